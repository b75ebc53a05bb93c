"""All-capitals words: read as words, except acronyms, which stay spelled.

misaki spells out any all-capitals word it does not know as an acronym: `JONATHAN HARKER'S
JOURNAL` comes out as "H-A-R-K-E-R-apostrophe-S". `capitals(text, heading)` writes such
words in title or lower case, so that G2P reads them as words, and leaves acronyms alone.

What is an acronym is decided by misaki's own lexicon, not by counting letters:
- a word in ACRONYMS (BBC, USA, FBI, ...: spelled acronyms that misaki's lexicon lacks);
- a word without a vowel (HTML, BBC, HMS), except interjections and titles (HMM, MR.);
- in mixed-case prose, a single capitals word that misaki's lexicon holds in capitals
  (NASA, NATO, US, IT): misaki then decides itself, by the word's part of speech.
Every other capitals word is a word: lower case when misaki's lexicon knows it in lower
case ("I said NO" -> "I said no"), else capitalized, as a name ("HARKER'S" -> "Harker's").
In a heading or a run of two or more capitals words (a shouted line), the words are
written in title case ("The Pool of Tears") and misaki's capitals entries do not count.
"""

from __future__ import annotations

import importlib.resources
import json
import re
from functools import lru_cache

from ..chapters import SMALL_WORDS, roman_value

CAPS_WORD = re.compile(r"(?<!\w)([A-Z]+(?:['\u2019][A-Z]+)*)(?!\w)")
VOWELS = set("AEIOUY")
ACRONYMS = frozenset(
    "USA UK EU UN UAE USSR NYC DC FBI CIA KGB NSA BBC CBS ABC NBC CNN ITV IBM IOU ID IQ CEO CFO DIY DNA RNA "
    "AI UFO OBE MBE RSVP PHD GPS USB URL PDF FAQ IRA IRS ATM VIP EEC RAF RN HMS SOS TNT BC PM "
    "MIT UCLA NYU LSE OECD OPEC UNICEF".split()
)
"""Spelled (or pronounced) acronyms kept as they are, even in a shouted line."""
VOWELLESS_WORDS = frozenset("hmm hm shh sh psst brr tsk pfft grr zzz nth mr mrs ms dr st jr sr".split())
"""Words without a vowel that are words, not acronyms."""


@lru_cache(maxsize=1)
def lexicon() -> tuple[frozenset[str], frozenset[str]]:
    """Return (misaki's capitals entries, the words misaki's lexicon holds in lower case)."""
    words: set[str] = set()
    upper: set[str] = set()
    for name in ("us_gold.json", "us_silver.json"):
        entries = json.loads((importlib.resources.files("misaki.data") / name).read_text(encoding="utf-8"))
        for key in entries:
            if len(key) > 1 and key.isupper():
                upper.add(key)
            elif key.islower():
                words.add(key)  # "Henry" is a name: it stays capitalized
    return frozenset(upper), frozenset(words)


def is_known_word(lower: str) -> bool:
    """Whether misaki's lexicon knows a lower-case word (or its stem before 's, s, ed, ing)."""
    words = lexicon()[1]
    lower = lower.replace("\u2019", "'")
    if lower in words:
        return True
    for suffix in ("'s", "s'", "s", "es", "ed", "d", "ing"):
        if lower.endswith(suffix) and lower[: -len(suffix)] in words:
            return True
    return False


def is_acronym(word: str, shouted: bool) -> bool:
    """Whether an all-capitals word stays as it is (spelled or read by misaki as an acronym)."""
    letters = word.replace("'", "").replace("\u2019", "")
    if word in ACRONYMS or (letters.endswith("S") and letters[:-1] in ACRONYMS and len(letters) > 2):
        return True
    if not VOWELS & set(letters):
        return word.lower() not in VOWELLESS_WORDS
    return not shouted and word in lexicon()[0]


def capitals(text: str, heading: bool) -> str:
    """Given a piece of a paragraph (heading: the paragraph is a heading), return it with its
    all-capitals words that are not acronyms in title or lower case."""
    matches = list(CAPS_WORD.finditer(text))
    if not matches:
        return text
    out = []
    position = 0
    for number, match in enumerate(matches):
        word = match.group(1)
        shouted = heading or _in_run(text, matches, number)
        first = not text[:match.start()].strip(" \t\"'([\u2014-") or text[:match.start()].rstrip()[-1:] in ".!?:"
        if len(word) == 1:  # I stays I; A in a shouted run is the article ("TOOK A WATCH")
            if word != "A" or first or not shouted:
                continue
        elif is_acronym(word, shouted) or (roman_value(word) is not None and not is_known_word(word.lower())):
            continue  # a Roman numeral roman.py left alone is no word either ("III" never becomes "Iii")
        out.append(text[position:match.start()] + _cased(word, heading, first))
        position = match.end()
    return "".join(out) + text[position:]


def _in_run(text: str, matches: list[re.Match[str]], number: int) -> bool:
    """Whether the capitals word matches[number] has another one (of two letters or more) next to it."""
    for other in (number - 1, number + 1):
        if 0 <= other < len(matches) and len(matches[other].group(1)) > 1:
            first, second = sorted((matches[number], matches[other]), key=lambda m: m.start())
            between = text[first.end():second.start()]
            if not any(ch.isalnum() for ch in between) and len(between) <= 3:
                return True
    return False


def _cased(word: str, heading: bool, first: bool) -> str:
    lower = word.lower()
    if heading:
        if lower in SMALL_WORDS and not first:
            return lower
        return _capitalized(word)
    if is_known_word(lower):
        return _capitalized(word) if first or lower.startswith(("i'", "i\u2019")) else lower
    return _capitalized(word)


def _capitalized(word: str) -> str:
    """HARKER'S -> Harker's; O'BRIEN -> O'Brien; I'LL -> I'll."""
    head, apostrophe, rest = word.partition("'") if "'" in word else word.partition("\u2019")
    if apostrophe and head == "I":
        return head + apostrophe + rest.lower()
    if apostrophe and head in ("O", "D", "L", "M") and len(rest) > 1:
        return head + apostrophe + rest.capitalize()
    return word.capitalize()
