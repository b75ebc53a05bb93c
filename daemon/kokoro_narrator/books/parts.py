"""The structured form every structured reader returns: a book's paragraphs, chapters, metadata and warnings.

EPUB (epub.py), DOCX (docx.py), FB2 (fb2.py), single-file HTML (html.py), PDF (pdf.py) and books
Calibre converts (calibre.py) each return a `BookParts`; reader.py's `read_parts` turns any of
them into the one `SourceText` the rest of the daemon reads, so that every format is cleaned the
same way.

Readers that know each heading's level but not which headings are chapters (DOCX heading styles,
FB2 section nesting, HTML's h1..h6) hand their blocks to `from_blocks`, which picks the chapters
as markdown does (`chapter_marks`: the shallowest level used at least twice, and every level
above it) and reads each chapter's notes after its text, as an EPUB's notes are read after
their document. A reader raises `BookError` for a book it cannot read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

SPOKEN = re.compile(r"[^\W_]")
NUMBERED_PART = re.compile(r"((part|book|chapter|section)\s+)?([ivxlcdm]+|\d+|one|two|three|first)\.?$", re.I)
"""A deeper heading that is a part's number ("I", "Part One"): a part, whatever the rest of the book does."""


class BookError(ValueError):
    """A book its reader cannot read; the message says what is wrong and what to do (reader.py makes it a
    TextError)."""


def empty_metadata() -> dict[str, Any]:
    return {"title": None, "authors": [], "language": None, "cover": None}


@dataclass
class BookParts:
    """What a structured reader found in a book."""

    paragraphs: list[str]
    headings: list[str]
    """The chapter headings, in order, each a paragraph of `paragraphs`."""
    metadata: dict[str, Any]
    """"title" (str or None), "authors" (list of str), "language" (str or None), "cover"
    ({"media_type": str, "data": bytes} or None)."""
    lexicons: list[tuple[str, str]] = field(default_factory=list)
    """(file name, XML text) of each PLS lexicon (EPUB only)."""
    titles: list[str] = field(default_factory=list)
    """The chapter titles, one per heading: a TOC's label, else the heading itself."""
    levels: list[int] = field(default_factory=list)
    """The chapter levels, one per heading (1 at the top)."""
    warnings: list[str] = field(default_factory=list)
    encoding: str = "utf-8"
    """How the text was decoded (HTML: by its charset; the others are XML or zip parts read as declared)."""


def chapter_level(levels: list[int]) -> int:
    """The shallowest heading level used at least twice; 6 (every level) when none repeats."""
    repeated = sorted(level for level in set(levels) if levels.count(level) > 1)
    return repeated[0] if repeated else max(6, *levels) if levels else 6


def holds_parts(blocks: list[tuple[int, str]], level: int) -> bool:
    """Whether the deeper headings right under a title-only chapter heading are its parts (chapters).

    Only when the book does so throughout: a chapter heading followed by text before its deeper
    headings shows that they are sections of a chapter (`# Chapter One`, text, `## Background`),
    and then none are chapters, not even under a chapter that happens to start with one.
    """
    headed = [position for position, (lvl, _) in enumerate(blocks) if lvl and lvl <= level] + [len(blocks)]
    for start, end in zip(headed, headed[1:]):
        deeper = [position for position in range(start + 1, end) if blocks[position][0] > level]
        if deeper and deeper[0] != start + 1:
            return False
    return True


def chapter_marks(blocks: list[tuple[int, str]]) -> dict[int, int]:
    """Given (heading level or 0, paragraph) blocks, return {position: level} of those that are chapter headings.

    Every heading at or above the chapter level counts; a chapter heading followed at once by a
    deeper one (`A Story`, then `I`) holds only its title, and the deeper ones under it are its
    parts, chapters too (when the book does so throughout, or they are numbers).
    """
    level = chapter_level([lvl for lvl, _ in blocks if lvl])
    parts = holds_parts(blocks, level)
    marks: dict[int, int] = {}
    inner = 0  # the level of the parts under a chapter heading that holds only its title
    for position, (block_level, paragraph) in enumerate(blocks):
        if not block_level:
            continue
        if block_level <= level:
            following = blocks[position + 1][0] if position + 1 < len(blocks) else 0
            deeper = following > level
            numbered = deeper and NUMBERED_PART.match(" ".join(blocks[position + 1][1].split()))
            inner = following if deeper and (parts or numbered) else 0
        if block_level <= level or block_level == inner:
            marks[position] = block_level
    return marks


def from_blocks(blocks: list[tuple[int, str]], metadata: dict[str, Any], notes: dict[int, list[str]] | None = None,
                end_notes: list[str] | None = None, warnings: list[str] | None = None) -> BookParts:
    """Given a book's blocks in reading order ((heading level or 0, paragraph)), the notes each block refers
    to (its position -> note texts) and the notes none refers to, return its parts: the chapters picked by
    `chapter_marks` (a heading's lines joined), each chapter's notes read at its end, the rest at the book's
    end. Blocks without a letter or a digit are left out."""
    notes = notes or {}
    kept = [(position, lvl, " ".join(text.split()) if lvl else text)
            for position, (lvl, text) in enumerate(blocks) if SPOKEN.search(text)]
    marks = chapter_marks([(lvl, text) for _, lvl, text in kept])
    book = BookParts([], [], {**empty_metadata(), **metadata}, warnings=list(warnings or []))
    pending: list[str] = []
    for number, (position, _, text) in enumerate(kept):
        if number in marks:
            book.paragraphs += pending  # the chapter before ends with its notes
            pending = []
            book.headings.append(text)
            book.titles.append(text)
            book.levels.append(marks[number])
        book.paragraphs.append(text)
        after = kept[number + 1][0] if number + 1 < len(kept) else len(blocks)
        for at in range(position, after):  # a block left out may refer to a note too
            pending += [note for note in notes.get(at, ()) if note not in pending and SPOKEN.search(note)]
    book.paragraphs += pending + [note for note in end_notes or () if SPOKEN.search(note)]
    return book
