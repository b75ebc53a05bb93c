"""Text in, speakable text out: what a narrator would read, before G2P.

Kokoro's G2P (misaki) reads what it is given, letter for letter: `CHAPTER IV.` becomes
"chapter eye-vee", `HARKER'S` is spelled out, `JOURNAL--continued` is one word and `8:35`
"eight colon thirty-five". `normalize(text, lang_code, headings)` rewrites a chunk's text
(after the non-speech filter and the lexicon, before G2P) so that it is read as a narrator
would; docs/narration.md lists every rule with examples and the measured effect.

Rules, in the order they run, per paragraph (text between blank lines):
1. A paragraph that is only an image file name (`Insert 18333fig0101.png`) is not read;
   it is returned in `Normalized.skipped`, so the caller can account for it.
2. Dashes: `--` (any run of two or more hyphens) and `―` become an em dash `—`, which G2P
   reads as a pause; no two words are glued together. `. . .` becomes `...` (a pause).
3. Web addresses: a URL is read as its site (`https://git-scm.com/book` -> "git-scm dot
   com"), an e-mail address as "name at site dot com", a file name as "name dot ext".
4. English only (lang_code a or b):
   - abbreviations: `&c.` "et cetera", `i.e.` "that is", `e.g.` "for example", `viz.`
     "namely", `cf.` "compare", `St. Paul` "Saint Paul", `Baker St.` "Baker Street";
   - numbers misaki reads wrong: times (`8:35` "eight thirty-five", `10:00` "ten o'clock"),
     simple fractions (`1/2` "one half", `7 1/2` "seven and a half"; not `9/11`), number ranges with
     an en dash and year ranges (`1914-1918` "1914 to 1918"). Ordinals, years, currency,
     decimals, percentages and thousands separators are left to misaki, which reads them
     right (measured: docs/narration.md);
   - Roman numerals by context (`roman`): after a chapter-like label or as a heading's own
     number they are cardinals ("Chapter Four"); after war, phase, type, ... cardinals
     ("World War Two"); after a name, regnal ordinals ("Henry the Eighth"). The pronoun I
     is never a numeral (only as a heading number or after a label at the end of a
     heading), and words that only look like numerals (MIX, DIM, CIVIL) stay words;
   - capitals (`capitals`): all-capitals headings and shouted words become title or lower
     case, so that G2P reads them as words; acronyms (misaki's own lexicon decides, plus
     ACRONYMS, plus words without a vowel) stay as they are, so they are spelled.
5. Other languages get rules 1 to 3 and the numerals of headings and labels, as digits,
   which espeak reads in the book's language ("Chapitre IV" -> "Chapitre 4").

Text inside misaki's inline markup `[word](/phonemes/)` (what the lexicon writes) is never
touched. The rules look only at the text, so the same text always gives the same result;
change NORMALIZE_VERSION whenever a rule changes what it gives: it is part of the job's
settings, so a changed rule makes a new job instead of mixing audio.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from num2words import num2words

from ..chapters import is_heading
from .capitals import capitals
from .entries import MARKUP
from .roman import roman_numerals

NORMALIZE_VERSION = 2
"""2: every line of a heading block, and every heading the chunker found, is read as a heading."""
ENGLISH = ("a", "b")

PARAGRAPH_BREAK = re.compile(r"(\n[ \t]*\n\s*)")
MAX_CAPITALS_HEADING = 200
"""A line of capitals up to this long is a heading (title case); longer, a shouted sentence (sentence case)."""
IMAGE_EXTENSIONS = "png|jpe?g|gif|svg|bmp|tiff?|webp|eps"
IMAGE_ONLY = re.compile(
    rf"^\W*(?:(?:insert|figure|fig\.?|image|img|illustration|picture|see)\s*:?\s+)?"
    rf"[\w./\\-]+\.(?:{IMAGE_EXTENSIONS})\W*$", re.IGNORECASE)

DASHES = re.compile(r"-{2,}|\u2015|\u2014{2,}")
SPACED_DOTS = re.compile(r"\.(?: \.){2,}")

URL = re.compile(r"\b(?:https?|ftp)://([^\s/?#<>\"']+)[^\s<>\"]*|\bwww\.([^\s/?#<>\"']+)[^\s<>\"]*", re.IGNORECASE)
EMAIL = re.compile(r"\b([\w.+-]+)@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)\b")
FILE_NAME = re.compile(
    rf"\b([\w-]+)\.({IMAGE_EXTENSIONS}|pdf|txt|md|html?|css|js|py|rb|sh|c|h|cpp|java|json|xml|toml|ya?ml|csv|"
    r"zip|gz|tar|exe|doc|docx|xls|xlsx|epub|mp3|wav|mp4)\b(?![\w-])", re.IGNORECASE)

ABBREVIATIONS = (
    (re.compile(r"&c\.(?=(\s+[A-Z\"']|\s*$))"), "et cetera."),  # it ends a sentence: keep the full stop
    (re.compile(r"&c\.?(?=\W|$)"), "et cetera"),
    (re.compile(r"\b[iI]\.\s?[eE]\.(?=[\s,;:)]|$)"), "that is"),
    (re.compile(r"\b[eE]\.\s?[gG]\.(?=[\s,;:)]|$)"), "for example"),
    (re.compile(r"\b[vV]iz\.(?=[\s,;:]|$)"), "namely"),
    (re.compile(r"\b[cC]f\.(?=\s)"), "compare"),
)
SAINT_OR_STREET = re.compile(r"(?:\b([A-Za-z]+)[ \t]+)?\bSt\.?(?=([ \t]+[\"']?([A-Za-z]+))?)(?![\w'])")
SENTENCE_STARTS = frozenset("he she it i we they you the a an this that there then but and so his her its our their".split())

TIME = re.compile(r"(?<![\d:.,/])([01]?\d|2[0-3]):([0-5]\d)(?![\d:])(\s*[ap]\.?m\.?)?", re.IGNORECASE)
MIXED_FRACTION = re.compile(r"(?<![\d/.,])(\d+)[ \u00a0](\d{1,2})/(\d{1,2})(?![\d/])")
FRACTION = re.compile(r"(?<![\d/.,])(\d{1,2})/(\d{1,2})(?![\d/])")
EN_DASH_RANGE = re.compile(r"(?<![\d.,])(\d[\d,]*)\s?\u2013\s?(\d[\d,]*)(?![\d])")
YEAR_RANGE = re.compile(r"(?<![\d.,-])(1\d{3}|20\d{2})-(\d{2}|1\d{3}|20\d{2})(?![\d-])")
DENOMINATORS = {2: ("half", "halves"), 4: ("quarter", "quarters")}
FRACTION_DENOMINATORS = frozenset({2, 3, 4, 5, 6, 8, 10, 12, 16})
"""Fractions a narrator reads as such; 9/11 or 7/13 are dates, scores or names, left to misaki."""


@dataclass(frozen=True)
class Normalized:
    """A chunk's text as it is read, and what was not read."""

    text: str
    skipped: tuple[str, ...] = ()
    """Paragraphs that are not read at all: image file names."""


def normalize(text: str, lang_code: str = "a", headings: Collection[str] = ()) -> Normalized:
    """Given a chunk's text, its lang_code and the book's markdown headings, return it as it is read.

    Paragraphs (separated by blank lines) are rewritten one by one by the rules in the module
    docstring; their separators and line breaks are kept. Deterministic.
    """
    english = lang_code in ENGLISH
    parts = PARAGRAPH_BREAK.split(text)
    out: list[str] = []
    skipped: list[str] = []
    for position in range(0, len(parts), 2):
        paragraph, separator = parts[position], parts[position + 1] if position + 1 < len(parts) else ""
        if IMAGE_ONLY.match(paragraph.strip()) and not MARKUP.search(paragraph):
            skipped.append(paragraph.strip())
            if out and not separator:  # the last paragraph: no dangling separator before it
                out[-1] = out[-1].rstrip()
            continue
        out.append(normalize_paragraph(paragraph, english, headings) + separator)
    return Normalized("".join(out), tuple(skipped))


def normalize_paragraph(paragraph: str, english: bool, headings: Collection[str] = ()) -> str:
    """Given one paragraph, return it rewritten by every rule that applies to its language."""
    detected = is_heading(paragraph.strip(), headings)
    if detected and "\n" in paragraph.strip():  # "CHAPTER V.\nADVENTURE VII. ...": each line is a heading
        return "\n".join(normalize_paragraph(line, english, (line.strip(),)) for line in paragraph.split("\n"))
    heading = detected or looks_like_heading(paragraph)
    pieces = []
    position = 0
    for match in MARKUP.finditer(paragraph):  # markup is kept as it is; the text around it is rewritten
        pieces.append(_plain(paragraph[position:match.start()], english, heading, detected))
        pieces.append(match.group(0))
        position = match.end()
    pieces.append(_plain(paragraph[position:], english, heading, detected))
    return "".join(pieces)


def looks_like_heading(paragraph: str) -> bool:
    """Whether a paragraph is one line of at most MAX_CAPITALS_HEADING characters without a lower-case
    letter: an all-capitals heading or title."""
    stripped = paragraph.strip()
    return 0 < len(stripped) <= MAX_CAPITALS_HEADING and "\n" not in stripped \
        and not any(ch.islower() for ch in stripped) \
        and any(ch.isalpha() for ch in stripped)


def _plain(text: str, english: bool, heading: bool, detected: bool = False) -> str:
    text = DASHES.sub("\u2014", text)
    text = SPACED_DOTS.sub("...", text)
    text = URL.sub(lambda m: _site(m, english), text)
    if english:
        text = EMAIL.sub(lambda m: f"{m.group(1)} at {spoken_site(m.group(2), True)}", text)
        text = FILE_NAME.sub(lambda m: f"{m.group(1)} dot {m.group(2)}", text)
        for pattern, spoken in ABBREVIATIONS:
            text = pattern.sub(lambda m, said=spoken: m.expand(said.capitalize() if m.group(0)[0].isupper() else said), text)
        text = SAINT_OR_STREET.sub(_saint_or_street, text)
        text = numbers(text)
    text = roman_numerals(text, english, heading, detected)
    if english:
        text = capitals(text, heading)
    return text


def _site(match: re.Match[str], english: bool) -> str:
    """A URL read as its site; punctuation that ends the sentence after it is kept."""
    trailing = match.group(0)[len(match.group(0).rstrip(".,;:!?)")):]
    return spoken_site(match.group(1) or match.group(2), english) + trailing


def spoken_site(host: str, english: bool) -> str:
    """Given a URL's host, return how it is read: without "www." and, in English, with " dot "."""
    host = host.rstrip(".,;:!?)").lower()
    host = host[4:] if host.startswith("www.") else host
    host = host.split("@")[-1].split(":")[0]
    return host.replace(".", " dot ") if english else host


def _saint_or_street(match: re.Match[str]) -> str:
    """St. before a name is Saint ("St. Paul"); after a name it is Street ("Baker St.")."""
    previous, following = match.group(1), match.group(3)
    before = match.group(0)[:match.group(0).rindex("St")]
    rest = match.string[match.end():]
    street = bool(previous and previous[:1].isupper()) and (
        not following or not following[:1].isupper() or following.lower() in SENTENCE_STARTS)
    if street:
        ends_sentence = match.group(0).endswith(".") and (not rest.strip() or bool(following and following[:1].isupper()))
        return before + ("Street." if ends_sentence else "Street")
    if following and following[:1].isupper():
        return before + "Saint"
    return match.group(0)


# --------------------------------------------------------------------------- numbers


def numbers(text: str) -> str:
    """Given English text, return it with times, fractions and ranges written as they are said."""
    text = TIME.sub(_time, text)
    text = MIXED_FRACTION.sub(lambda m: _fraction(m) or m.group(0), text)
    text = FRACTION.sub(lambda m: _fraction(m) or m.group(0), text)
    text = EN_DASH_RANGE.sub(r"\1 to \2", text)
    text = YEAR_RANGE.sub(_year_range, text)
    return text


def _time(match: re.Match[str]) -> str:
    hours, minutes, suffix = int(match.group(1)), int(match.group(2)), match.group(3) or ""
    spoken = num2words(hours)
    if minutes == 0:
        spoken += "" if suffix else " o'clock"
    elif minutes < 10:
        spoken += f" oh {num2words(minutes)}"
    else:
        spoken += f" {num2words(minutes)}"
    return spoken + suffix


def _fraction(match: re.Match[str]) -> str | None:
    groups = [int(g) for g in match.groups()]
    whole, (numerator, denominator) = (groups[0], groups[1:]) if len(groups) == 3 else (None, groups)
    if not 0 < numerator < denominator or denominator not in FRACTION_DENOMINATORS:
        return None  # 5/3, 3/20, 9/11: a ratio, a score or a date, not a fraction a narrator reads
    one, many = DENOMINATORS.get(denominator, (None, None))
    if one is None:
        one = num2words(denominator, to="ordinal")
        many = one + "s"
    if whole is not None:
        if numerator == 1:
            return f"{whole} and {'a' if denominator in (2, 4) else 'one'} {one}"
        return f"{whole} and {num2words(numerator)} {many}"
    return f"{num2words(numerator)} {one if numerator == 1 else many}"


def _year_range(match: re.Match[str]) -> str:
    first, second = match.group(1), match.group(2)
    end = int(first[:2] + second) if len(second) == 2 else int(second)
    return f"{first} to {second}" if end > int(first) else match.group(0)
