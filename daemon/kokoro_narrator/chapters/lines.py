"""One line or paragraph at a time: is it a chapter heading (`CHAPTER IV.`, `PART II`, `Prologue`), what kind, a title?

chunker.py's module docstring says what counts as a heading; this module holds the patterns
and the one-paragraph questions (is it a heading? what kind? a number alone? does it read like
a title?), for chunker.py, tree.py, headings.py and narration. The number words and Roman
numerals the patterns use live in numbers.py.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from .numbers import NUMBER_WORD, ROMAN, SMALL_ROMAN

MAX_HEADING_CHARS = 100
MAX_TITLE_CHARS = 60
"""A paragraph longer than this never looks like a title."""
SMALL_WORDS = frozenset(
    "a an the and or but nor of in on at to by for from with into onto upon as vs de la le du von van".split()
)

MARKER = re.compile(
    rf"^(chapter|book|part|volume|section|canto|act|scene|stave|letter)\s+(\d{{1,4}}|{ROMAN}|{NUMBER_WORD})"
    r"(?:$|[.:;,)\]\u2013\u2014-]|\s+(?!(?-i:[a-z])))",
    re.IGNORECASE,
)
ROMAN_LINE = re.compile(rf"^{SMALL_ROMAN}(?:[.:]?$|[.:]\s+[A-Z\"'])")
SPECIAL = re.compile(
    r"^(prologue|epilogue|preface|introduction|foreword|afterword|appendix|interlude|conclusion|postscript)"
    r"(?:$|[.:\u2013\u2014-]|\s+(?=(?-i:[A-Z0-9])))",
    re.IGNORECASE,
)
BARE_MARKER = re.compile(rf"^(?:\w+\s+)?(?:\d{{1,4}}|{ROMAN}|{NUMBER_WORD})\W*$", re.IGNORECASE)
NUMBER_ALONE = re.compile(rf"^(?:\d{{1,4}}|{ROMAN}|{NUMBER_WORD})\W*$", re.IGNORECASE)
"""A heading that is only a number ("I", "II.", "3", "Three"): it says nothing without its part."""


def is_heading_line(line: str) -> bool:
    """Whether one line looks like a chapter heading: a marker and a number, a Roman numeral, a prologue..."""
    line = line.strip()
    return bool(MARKER.match(line) or roman_heading(line) or SPECIAL.match(line))


def roman_heading(line: str) -> bool:
    """A Roman numeral alone, or with a title ("IV. The Battle"), never with a sentence after it
    ("II. A Loose-Fish is fair game for anybody who can soonest catch it.")."""
    if not ROMAN_LINE.match(line):
        return False
    rest = re.sub(r"^[IVXLC]+[.:]?", "", line).strip()
    return not rest or rest.isupper() or looks_like_title(rest)


def is_heading(paragraph: str, headings: Collection[str] = ()) -> bool:
    """Given a paragraph, say whether it is a chapter heading (chunker.py's module docstring says when)."""
    if paragraph in headings:
        return True
    lines = paragraph.split("\n")
    if len(paragraph) > MAX_HEADING_CHARS or len(lines) > 3 or not is_heading_line(lines[0]):
        return False  # a heading block: "CHAPTER V." / "ADVENTURE VII." / "THE RED-HEADED LEAGUE"
    return all(looks_like_title(line.strip()) or is_heading_line(line) for line in lines[1:])


def split_glued_heading(paragraph: str, headings: Collection[str]) -> list[str]:
    """Split a keyword heading line off the text glued below it; other paragraphs come back whole."""
    first, _, rest = paragraph.partition("\n")
    if not rest or not MARKER.match(first.strip()) or is_heading(paragraph, headings):
        return [paragraph]
    if any(is_heading_line(line) for line in rest.split("\n")):
        return [paragraph]  # a list of headings: contents, not a heading and its text
    return [first.strip(), rest.strip()]


def heading_title(paragraph: str) -> str:
    return " ".join(paragraph.split())


def heading_kind(title: str) -> str:
    """What sort of heading this is: the marker word ("part", "chapter"), "roman", or its first word."""
    marker = MARKER.match(title)
    if marker:
        return marker.group(1).lower()
    return "roman" if ROMAN_LINE.match(title) else title.split()[0].lower().strip(".:")


def looks_like_title(paragraph: str) -> bool:
    """Whether a paragraph reads like a title: one short line, its longer words capitalized.

    "Down the Rabbit-Hole." and "THE POOL OF TEARS" do; "It was night." does not.
    """
    if "\n" in paragraph or not 0 < len(paragraph) <= MAX_TITLE_CHARS or paragraph.rstrip("\u2014\u2013- ").endswith((",", ";", ":")):
        return False
    words = [word.strip("\"'([-") for word in paragraph.split()]
    if not words[0][:1].isupper() and not words[0][:1].isdigit():
        return False
    return all(not word[:1].islower() or word.lower().strip(".,!?;:)\"'") in SMALL_WORDS for word in words)
