"""Roman numerals by context: which `IV` is "four", which "the fourth", which is a word.

misaki reads `CHAPTER IV.` as "chapter eye-vee" and `Henry VIII` as "Henry vee-eye-eye-eye".
`roman_numerals(text, english, heading)` rewrites a numeral only where its context says
what it is, and leaves every other one alone:
- after a chapter-like label (LABELS: chapter, book, part, volume, act, scene, canto, stave,
  letter, ... in English and the other languages Kokoro speaks) or a word that numbers
  things (CARDINAL_AFTER: war, phase, type, class, ...): a cardinal, "Chapter Four",
  "World War Two". Lower case (`chapter iv`) counts only after a label;
- at the start of a heading (`VII.`, `IV. The Battle`), or after the first word of a heading
  the chunker detected (any label: a markdown `## Kapittel IV`): a cardinal, "Seven.";
- English only, after a name (`Henry VIII`, `Louis XIV`, `KING HENRY V`): a regnal ordinal
  with "the", "Henry the Eighth". Numerals of one letter (I, V, X) count only after a known
  regnal name (REGNAL_NAMES: Henry, Louis, Pius, ...), so that "Malcolm X" stays X.
The traps: the pronoun I is a numeral only as a heading's own number, or after a label when
the heading or clause ends there ("CHAPTER I", "Part I." but not "the letter I is"); words
that only look like numerals (MIX, DIM, CIVIL, LIVID) are either not valid numerals or in
NOT_NUMERALS, and stay words. English numerals are written as words (num2words); in other
languages as digits, which espeak reads in the book's language.
"""

from __future__ import annotations

import re

from num2words import num2words

from ..chapters import roman_value

NUMERAL = re.compile(r"(?<![\w-])([IVXLCDM]+|[ivxlcdm]+)(?!\w|['\u2019]\w|-\w)")
PREVIOUS_WORD = re.compile(r"([A-Za-z\u00c0-\u024f][\w'\u2019]*)\.?\s+$")
WORD_BEFORE = re.compile(r"([A-Za-z][\w'\u2019]*)\s+[A-Za-z][\w'\u2019]*\.?\s+$")
ENDS_CLAUSE = re.compile(r"^(?:\s*$|[.:;,!?)\]\u2014\u2013-]|\s+(?:and|or|to|&)\s+[IVXLCDM]+\b)")
HEADING_NUMBER_END = re.compile(r"^(?:[.:]?\s*$|[.:)]\s+\S|\s+[\u2014\u2013-])")

LABELS = frozenset(
    "chapter chap ch book part pt volume vol section sect sec canto act scene stave letter appendix episode "
    "lesson psalm article art plate figure fig table no number tome fytte chapters books parts volumes "
    "sections cantos acts scenes staves letters appendices episodes lessons psalms articles plates figures "
    "chapitre livre partie acte scène capítulo capitulo libro parte acto escena tomo capitolo atto "
    "kapitel buch teil akt szene".split()
)
"""Words after which a numeral is a cardinal number and may be lower case ("chapter iv")."""
CARDINAL_AFTER = frozenset(
    "war phase type class mark mk grade level stage title bowl series form annex schedule vatican apollo "
    "gemini saturn mercury rocky mission".split()
)
"""Words after which an upper-case numeral is a cardinal: "World War II", "Phase IV", "Type I"."""
REGNAL_NAMES = frozenset(
    "henry edward george william richard louis charles james elizabeth mary john pius leo gregory benedict "
    "innocent clement urban boniface paul peter catherine frederick philip philippe napoleon alexander "
    "nicholas ferdinand alfonso henri ramesses rameses ptolemy antiochus amenhotep thutmose otto rudolph "
    "rudolf sigismund gustav gustavus christian haakon olaf harald sancho pedro juan carlos felipe victor "
    "emmanuel umberto wilhelm friedrich ludwig karl francis franz joseph stephen david robert duncan "
    "kenneth constantine justinian theodosius basil leopold maximilian sixtus julius alexius manuel ivan "
    "selim mehmed murad suleiman darius xerxes artaxerxes cyrus seti kamehameha anne victoria matilda "
    "harold canute cnut edmund ethelred alfred malcolm".split()
) - {"malcolm"}
TITLES = frozenset("king queen pope emperor empress tsar czar pharaoh prince princess duke sultan shah kaiser".split())
NOT_NUMERALS = frozenset({"MIX", "DIV", "MI", "DI", "LI", "CV", "CD", "DC", "MD", "MC", "MM", "CC", "CM", "XL",
                          "mix", "div", "mi", "di", "li", "cv", "cd", "dc", "md", "mc", "mm", "cc", "cm", "xl",
                          "civ", "mil", "vi", "dim"})
"""Valid numerals that are more often words or abbreviations; read as numerals only after a label."""
MAX_REGNAL = 39


def roman_numerals(text: str, english: bool, heading: bool, detected: bool = False) -> str:
    """Given a piece of a paragraph, return it with the numerals whose context is clear rewritten.

    heading: the paragraph is a heading (a chapter line, or a short all-capitals line);
    detected: the chunker's heading detector took it for one (chapters.is_heading: its patterns, or
    a markdown heading), so the word before a numeral that follows the heading's first word is
    its label, whatever the word ("Kapittel IV", "Lesson XII").
    """
    out = []
    position = 0
    for match in NUMERAL.finditer(text):
        spoken = _spoken(text, match, english, heading, detected)
        if spoken is not None:
            out.append(text[position:match.start()] + spoken)
            position = match.end()
    return "".join(out) + text[position:]


def _spoken(text: str, match: re.Match[str], english: bool, heading: bool, detected: bool) -> str | None:
    numeral = match.group(1)
    value = roman_value(numeral)
    if value is None:
        return None
    before, after = text[:match.start()], text[match.end():]
    previous = PREVIOUS_WORD.search(before)
    word = previous.group(1) if previous else ""
    label = word.lower()
    listed = _listed(before, label, numeral)
    if listed:
        word = listed
    if label in LABELS or (label in CARDINAL_AFTER and numeral.isupper()) or listed:
        if numeral in ("MIX", "mix", "DIV", "div"):
            return None
        if numeral in ("I", "i") and not (heading or ENDS_CLAUSE.match(after)):
            return None  # "the letter I is ...": a pronoun or a letter
        return cardinal(value, english, titled=word[:1].isupper())
    if not before.strip(" \t\"'(") and heading and numeral.isupper() and value <= 399 \
            and numeral not in NOT_NUMERALS and HEADING_NUMBER_END.match(after):
        return cardinal(value, english, titled=True)
    if detected and numeral.isupper() and len(before.split()) == 1 and word and label not in REGNAL_NAMES \
            and numeral not in NOT_NUMERALS and HEADING_NUMBER_END.match(after):
        return cardinal(value, english, titled=word[:1].isupper())  # the detected heading's own label
    if english and numeral.isupper() and _after_name(before, word, numeral, value):
        return "the " + ordinal(value, titled=word[:1].isupper())
    return None


def _listed(before: str, label: str, numeral: str) -> str | None:
    """When the numeral continues a list of numerals after a label ("Parts II and III", "Acts I to V"),
    return that label, else None."""
    if label not in ("and", "or", "to", "&") or not numeral.isupper():
        return None
    earlier = re.search(r"(?:^|\s)([A-Za-z]+)\.?[ \t]+([IVXLCDM]+),?[ \t]+\S+[ \t]+$", before)
    if earlier and earlier.group(1).lower() in LABELS and roman_value(earlier.group(2)):
        return earlier.group(1)
    return None


def _after_name(before: str, word: str, numeral: str, value: int) -> bool:
    """Whether the numeral follows a ruler's name: "Henry VIII", "Louis XIV", "KING HENRY V"."""
    if not word or value > MAX_REGNAL or numeral in NOT_NUMERALS:
        return False
    if before.rstrip()[-1:] in ".,;:!?":
        return False  # "... said Henry. I went": a sentence or clause ends before it
    name = word.lower()
    titled = word[:1].isupper() and (word[1:].islower() or word.isupper() and name in REGNAL_NAMES)
    if not titled or name in LABELS or name in CARDINAL_AFTER:
        return False
    if name in REGNAL_NAMES:
        return True
    ruler = WORD_BEFORE.search(before)
    if ruler and ruler.group(1).lower() in TITLES:
        return True
    return len(numeral) > 1 and word[1:].islower()


def cardinal(value: int, english: bool, titled: bool) -> str:
    """Given a number, return it as a cardinal: English words ("Twenty-Four"), else digits."""
    if not english:
        return str(value)
    words = num2words(value).replace(",", "")
    return _title(words) if titled else words


def ordinal(value: int, titled: bool) -> str:
    """Given a number, return it as an English ordinal word ("Eighth", "twenty-first")."""
    words = num2words(value, to="ordinal").replace(",", "")
    return _title(words) if titled else words


def _title(words: str) -> str:
    return "-".join(" ".join(w if w == "and" else w.capitalize() for w in part.split(" ")) for part in words.split("-"))
