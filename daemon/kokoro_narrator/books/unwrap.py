"""Hard-wrapped plain text in, its paragraphs out: reader.py's unwrapping rules (its module docstring).

A paragraph is the text between blank lines. Prose lines are joined, verse, lists and indented
letters keep their lines; a paragraph set apart by more blank lines than the book's usual gap
is reported too (a title-only heading may be one: headings.py).
"""

from __future__ import annotations

import re
from collections import Counter

WRAP_PERCENTILE = 0.9
"""The wrap width is this percentile of line lengths: robust to a few over-long lines."""
WRAP_SLACK = 3
"""A line this close to fitting the next word still counts as full (uneven re-wrapping)."""
FULL_SHARE = 0.85
"""A line at least this share of the wrap width is full whatever comes next."""
LONG_LINE = 100
"""Lines longer than this on average are paragraphs of their own, never verse."""
MAX_WRAP_WIDTH = 120
"""Nobody hard-wraps prose wider than this: a longer line is a whole paragraph."""

LIST_ITEM = re.compile(r"^\s*(?:([-*+\u2022])|(\d{1,9}[.)]))\s+")
SPOKEN = re.compile(r"[^\W_]")  # a letter or a digit, in any script


def blocks_of(text: str, gaps: list[int] | None = None) -> list[list[str]]:
    """Split text at blank lines into blocks of non-blank lines (indentation kept); append to gaps the
    number of blank lines before each block."""
    blocks: list[list[str]] = []
    block: list[str] = []
    blank = 0
    for line in text.split("\n") + [""]:
        if line.strip():
            if not block and gaps is not None:
                gaps.append(blank)
            block.append(line.rstrip())
            blank = 0
        else:
            if block:
                blocks.append(block)
                block = []
            blank += 1
    return blocks


def wrap_width(blocks: list[list[str]]) -> int:
    """The width hard-wrapped text was wrapped at: a high percentile of multi-line blocks' line lengths."""
    lengths = sorted(len(line) for block in blocks if len(block) > 1 for line in block)
    return lengths[int(len(lengths) * WRAP_PERCENTILE)] if lengths else 0


def is_full(line: str, following: str, width: int) -> bool:
    """Whether a line ends where a wrapper had to break it: the next word would not have fitted."""
    if len(line) > min(width * 1.25 + WRAP_SLACK, MAX_WRAP_WIDTH):
        return False  # longer than any wrap width: not a wrapped line
    next_word = following.split()[0]
    return len(line) + 1 + len(next_word) > width - WRAP_SLACK or len(line) >= width * FULL_SHARE


def unwrap(block: list[str], width: int, indented_book: bool = False) -> list[str]:
    """Given a block's lines, return its paragraphs: usually one, joined or with its line breaks kept."""
    lines = [" ".join(line.split()) for line in block]
    if len(lines) == 1:
        return lines
    if sum(bool(LIST_ITEM.match(line)) for line in lines) >= 2:
        return ["\n".join(LIST_ITEM.sub(keep_number, line) for line in lines)]
    if not indented_book and all(line[:1].isspace() for line in block):
        return ["\n".join(lines)]  # verse or a quoted letter, set indented
    full = [is_full(line, following, width) for line, following in zip(block, block[1:], strict=False)]
    if width and sum(full) * 2 > len(full):
        return [" ".join(lines)]
    if sum(map(len, lines)) / len(lines) > LONG_LINE:
        return lines
    return ["\n".join(lines)]


def keep_number(item: re.Match[str]) -> str:
    """Replacement for a list marker: a bullet goes, an ordered number stays."""
    return f"{item.group(2)} " if item.group(2) else ""


def is_spoken(paragraph: str) -> bool:
    """Whether a paragraph has anything to say: a letter or a digit."""
    return bool(SPOKEN.search(paragraph))


def paragraphs_of(text: str, apart: list[bool] | None = None) -> list[str]:
    """Unwrap normalized text into its paragraphs (empty ones and pure punctuation dropped); append to
    apart, for each paragraph returned, whether it is a one-line paragraph set apart: more blank
    lines before it than the book's usual gap between paragraphs, and fewer after it (a title
    stands nearer its own text)."""
    gaps: list[int] = []
    blocks = blocks_of(text, gaps)
    width = wrap_width(blocks)
    lines = [line for block in blocks for line in block]
    indented_book = sum(line[:1].isspace() for line in lines) * 2 > len(lines)
    usual = Counter(gaps[1:]).most_common(1)[0][0] if len(gaps) > 1 else 0
    paragraphs, flags = [], []
    carried = 0  # an ornament (`* * *`) says nothing: the gap before it counts for the line after it
    for position, block in enumerate(blocks):
        pieces = [piece for piece in unwrap(block, width, indented_book) if is_spoken(piece)]
        before = max(gaps[position], carried)
        carried = 0 if pieces else before
        after = gaps[position + 1] if position + 1 < len(gaps) else 0
        flags += [len(block) == 1 and before > usual and after < before] * len(pieces)
        paragraphs += pieces
    if apart is not None:
        apart += flags
    return paragraphs
