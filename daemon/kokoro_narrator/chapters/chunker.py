"""Clean text in, chapters and chunks out: chapter-first, deterministic, nothing dropped.

The input is `books.read_book`'s output: paragraphs separated by blank lines.

1. Headings. A heading is a paragraph of its own, at most 100 characters and two lines,
   whose first line is one of:
   - a marker word and a number: `CHAPTER IV.`, `Chapter 12`, `BOOK ONE`, `PART II`,
     `Chapter the First`, `Letter 3`, `STAVE I`, `Act II` (words: chapter, book, part,
     volume, section, canto, act, scene, stave, letter; numbers: digits, a valid Roman
     numeral, or an English number word), optionally followed by a title;
   - a valid Roman numeral up to 399 alone, upper case (`II`, `XIV.`), or with a title
     (`IV. The Battle`; a title, not a sentence: "II. A Loose-Fish is fair game ..." is prose);
   - `Prologue`, `Epilogue`, `Preface`, `Introduction`, `Foreword`, `Afterword`, `Appendix`,
     `Interlude`, `Conclusion`, `Postscript`, alone or with a title;
   - a heading found by headings.py: a numbered sequence under any label (`STAVE ONE`,
     `ADVENTURE IV. TITLE`), an entry of the book's own contents list, or, in a book with
     no other kind, a line in capitals set apart (`THE SISTERS`), or a title set apart by
     more blank lines than the book's paragraphs (`Mowgli's Brothers`, `"Tiger! Tiger!"`).
   The patterns live in lines.py.
   Given headings (`SourceText.headings`: markdown's, an EPUB's table of contents) replace
   all of these: they are matched by text, in order, and each starts a chapter, titled by
   `titles` when given (an EPUB's TOC labels); they are never a table of contents.
   Prose that starts like a marker is not a heading: the number must be followed by
   punctuation, a space or the end ("I'll ..." is not "I"), and a title separated by a space
   only must not start in lower case ("Part one of the plan ..." is prose). A second line
   is allowed when it looks like a title (a subtitle: `CHAPTER I.\\nDown the Rabbit-Hole.`).
   A heading's first line is split off into a paragraph of its own when a keyword marker
   is glued to the text below it without a blank line (`CHAPTER V\\nIt was ...`), unless
   more heading lines follow (a table of contents set as one block).
2. Chapters. Each heading's section runs to the next heading. A section is "small" under
   200 characters. A heading starts a chapter when its section is not small or holds prose
   (a paragraph that does not look like a title), except:
   - three or more consecutive small sections are a table of contents: none of those
     headings starts a chapter, their text stays in the chapter before (the opening);
   - a heading with only titles under it (`PART ONE`, then `CHAPTER 1`) merges forward into
     the next chapter when that is of another kind, whose title becomes `PART ONE: CHAPTER 1`;
     so does a given heading with only its title before a deeper one (a story, then its `I`);
   - otherwise a heading with nothing to say stays in the chapter before it.
   Each chapter has a level and a parent in the book's tree, and a title that says nothing
   alone carries its parent's (`A Story — II`): tree.py.
   The text before the first chapter is the opening chapter, titled "Opening". A chapter's
   title is its heading (both lines), plus the next paragraph when the heading is a bare
   marker (`CHAPTER I.`) and that paragraph looks like a title. Titles are metadata: the
   heading text also stays in the spoken text. Text is never dropped, only moved between
   neighbouring chapters; the one word added is the label of a number alone under a part
   (`I` is read `Part I`, tree.py).
3. Chunks. Each chapter's paragraphs are packed, in order, into chunks of at most
   `max_chunk_chars`, joined by a blank line. A longer paragraph is cut at sentences, then
   words, then hard (a URL, base64); its pieces are joined by a space. Chunks never span two
   chapters and are never empty.

`split_sentences` and `split_words` (sentences.py) are also what the engine uses to cut a chunk into
model-sized utterances. The same text and settings always give the same plan;
`CHUNKER_VERSION` changes whenever the rules change what a plan would be.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from .headings import find_headings
from .lines import BARE_MARKER, heading_title, is_heading, looks_like_title, split_glued_heading
from .sentences import split_sentences, split_words
from .tree import chapter_starts

log = logging.getLogger(__name__)

CHUNKER_VERSION = 4
"""2: chunk text normalized for speech before G2P; 3: headings.py, EPUB, CommonMark; 4: the chapter tree
(levels, parents, parent-titled parts, a title-only parent merged), title-only headings set apart."""
MIN_CHUNK_CHARS = 100


@dataclass(frozen=True)
class Chapter:
    """One chapter of the plan."""

    index: int
    """0-based position in the book."""
    title: str
    """The heading, e.g. "CHAPTER I. Down the Rabbit-Hole."; "Opening" for the text before the first;
    a part inside a story carries the story's: "A Story — II" (tree.py)."""
    level: int = 1
    """Its depth in the book's tree: 1 at the top, 2 for a chapter inside a part or a story..."""
    parent: int | None = None
    """The index of the chapter its part starts in (the nearest earlier chapter of a lower level)."""
    heading: tuple[str, ...] = ()
    """The paragraphs of its heading block, as the chunks hold them: each is read as a heading."""


@dataclass(frozen=True)
class Chunk:
    """One unit of synthesis: a run of paragraphs of one chapter."""

    index: int
    """0-based, global order."""
    chapter: int
    """The `Chapter.index` this chunk belongs to."""
    text: str
    """Paragraphs separated by a blank line; never empty, at most `max_chunk_chars` long."""
    sha256: str
    """Hex SHA-256 of `text` as UTF-8: a changed chunk is a different chunk."""


@dataclass(frozen=True)
class ChunkPlan:
    """A book cut into chapters and chunks."""

    chapters: tuple[Chapter, ...]
    chunks: tuple[Chunk, ...]
    max_chunk_chars: int
    version: int = CHUNKER_VERSION
    contents: tuple[str, ...] = ()
    """The entries of the book's own contents list: the one found in a text and used (headings.py),
    or the table of contents an EPUB gave (its `titles`)."""

    def to_json(self) -> dict[str, Any]:
        """Return the plan as JSON-ready data: chapters with their sizes, chunks, and totals."""
        chunk_counts = Counter(chunk.chapter for chunk in self.chunks)
        char_counts: Counter[int] = Counter()
        for chunk in self.chunks:
            char_counts[chunk.chapter] += len(chunk.text)
        return {
            "version": self.version,
            "max_chunk_chars": self.max_chunk_chars,
            "chapters": [{"index": c.index, "title": c.title, "level": c.level, "parent": c.parent,
                          "chunks": chunk_counts[c.index], "chars": char_counts[c.index]} for c in self.chapters],
            "chunks": [{"index": k.index, "chapter": k.chapter, "chars": len(k.text), "sha256": k.sha256}
                       for k in self.chunks],
            "totals": {"chapters": len(self.chapters), "chunks": len(self.chunks),
                       "chars": sum(char_counts.values())},
            "contents": list(self.contents),
        }

    @property
    def headings(self) -> tuple[str, ...]:
        """Every paragraph of every chapter's heading block (normalize.py reads each line as a heading)."""
        return tuple(paragraph for chapter in self.chapters for paragraph in chapter.heading)


# ----------------------------------------------------------------------------- headings


def given_marks(paragraphs: list[str], headings: Sequence[str]) -> list[int]:
    """The paragraphs that are the given headings, matched in order (a text may repeat a heading's words)."""
    marks, position = [], 0
    for index, paragraph in enumerate(paragraphs):
        if position < len(headings) and paragraph == headings[position]:
            marks.append(index)
            position += 1
    return marks


def heading_marks(paragraphs: list[str], headings: Sequence[str],
                  spaced: Sequence[int] = ()) -> tuple[list[int], list[str]]:
    """(indexes of the heading paragraphs, the contents list found): the given headings when there are
    any (markdown's, an EPUB's table of contents), else the markers and headings.py's signals."""
    if headings:
        return given_marks(paragraphs, headings), []
    found = find_headings(paragraphs, [index for index in spaced if index < len(paragraphs)])
    marks = ({i for i, paragraph in enumerate(paragraphs) if is_heading(paragraph)} | found.marks) - set(found.contents_span)
    subtitles = {i for i in marks if i - 1 in marks and BARE_MARKER.match(heading_title(paragraphs[i - 1]))
                 and looks_like_title(paragraphs[i]) and not is_heading(paragraphs[i])}  # "I." then "THE PRISON-DOOR.": one heading, titled by both
    return sorted(marks - subtitles), found.contents


# ----------------------------------------------------------------------------- chunks


def paragraph_pieces(paragraph: str, limit: int) -> list[str]:
    """A paragraph as pieces of at most limit characters: itself, else its sentences, else words."""
    if len(paragraph) <= limit:
        return [paragraph]
    pieces: list[str] = []
    for sentence in split_sentences(paragraph):
        pieces += [sentence] if len(sentence) <= limit else split_words(sentence, limit)
    return pieces


def pack(paragraphs: list[str], limit: int) -> list[str]:
    """Pack paragraphs, in order, into chunks of at most limit characters."""
    chunks: list[str] = []
    current = ""
    for paragraph in paragraphs:
        joiner = "\n\n"
        for piece in paragraph_pieces(paragraph, limit):
            candidate = f"{current}{joiner}{piece}" if current else piece
            if len(candidate) <= limit:
                current = candidate
            else:
                chunks.append(current)
                current = piece
            joiner = " "  # the pieces of one cut paragraph stay one paragraph
    if current:
        chunks.append(current)
    return chunks


def plan_chunks(text: str, max_chunk_chars: int = 20000, headings: Collection[str] = (),
                titles: Sequence[str] = (), levels: Sequence[int] = (), spaced: Sequence[int] = ()) -> ChunkPlan:
    """Given clean text (and the book's own headings, in order, with their titles and levels), return its
    chapters and chunks.

    `titles`, when given, names the chapter of each heading (an EPUB's TOC labels); chunks do not
    depend on it. `levels` gives each heading's level (an EPUB's nav depth, markdown's `#` count);
    `spaced`, the indexes of the paragraphs a plain text sets apart by more blank lines than its paragraphs
    (books/reader.py): title-only headings may be among them (headings.py).

    Raise ValueError when max_chunk_chars is under 100 or the text has nothing but whitespace.
    """
    if isinstance(max_chunk_chars, bool) or not isinstance(max_chunk_chars, int) or max_chunk_chars < MIN_CHUNK_CHARS:
        raise ValueError(f"max_chunk_chars must be an integer of at least {MIN_CHUNK_CHARS}, got {max_chunk_chars!r}")
    headings = tuple(headings)
    paragraphs = [piece for block in re.split(r"\n\s*\n", text) if block.strip()
                  for piece in split_glued_heading(block.strip(), headings)]
    if not paragraphs:
        raise ValueError("no text to chunk: the text is empty or only whitespace")
    marks, contents = heading_marks(paragraphs, headings, spaced)
    contents = contents or list(titles)  # an EPUB's table of contents is its contents list
    matched = bool(headings) and len(marks) == len(headings)
    named = dict(zip(marks, titles)) if matched and titles else None
    depth = dict(zip(marks, levels)) if matched and len(levels) == len(headings) else None
    starts, relabel = chapter_starts(paragraphs, marks, bool(headings), named, depth)
    paragraphs = [relabel.get(index, paragraph) for index, paragraph in enumerate(paragraphs)]  # "I" -> "Part I"
    index_of = {start.start: index for index, start in enumerate(starts)}
    chapters: list[Chapter] = []
    chunks: list[Chunk] = []
    for index, start in enumerate(starts):
        end = starts[index + 1].start if index + 1 < len(starts) else len(paragraphs)
        chapters.append(Chapter(index, start.title, start.level, index_of.get(start.parent),
                                tuple(paragraphs[i] for i in start.heading)))
        for chunk_text in pack(paragraphs[start.start:end], max_chunk_chars):
            digest = hashlib.sha256(chunk_text.encode("utf-8", "surrogatepass")).hexdigest()
            chunks.append(Chunk(len(chunks), index, chunk_text, digest))
    log.debug("planned %d chapters, %d chunks (max %d chars)", len(chapters), len(chunks), max_chunk_chars)
    return ChunkPlan(tuple(chapters), tuple(chunks), max_chunk_chars, contents=tuple(contents))


def plan_book(book: Any, max_chunk_chars: int) -> ChunkPlan:
    """Given a read book (books.SourceText), return `plan_chunks` of it with everything it knows about its
    headings: the one call ingest, the runner and `chunk` make, so their chunks are the same."""
    return plan_chunks(book.text, max_chunk_chars, book.headings, book.titles,
                       getattr(book, "levels", ()), getattr(book, "spaced", ()))
