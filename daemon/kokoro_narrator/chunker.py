"""Clean text in, chapters and chunks out: chapter-first, deterministic, nothing dropped.

The input is `text.read_book`'s output: paragraphs separated by blank lines.

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
     no other kind, a line in capitals set apart (`THE SISTERS`).
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
   - otherwise a heading with nothing to say stays in the chapter before it.
   The text before the first chapter is the opening chapter, titled "Opening". A chapter's
   title is its heading (both lines), plus the next paragraph when the heading is a bare
   marker (`CHAPTER I.`) and that paragraph looks like a title. Titles are metadata: the
   heading text also stays in the spoken text. Text is never dropped, only moved between
   neighbouring chapters.
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

from .headings import SMALL_WORDS, find_headings, looks_like_title  # noqa: F401 (capitals.py imports SMALL_WORDS from here)
from .sentences import split_sentences, split_words  # noqa: F401  (g2p.py imports them from here)

log = logging.getLogger(__name__)

CHUNKER_VERSION = 3  # 2: chunk text is normalized for speech (normalize.py) before G2P; 3: headings.py, EPUB, CommonMark
MIN_CHAPTER_BODY = 200
"""A section with fewer characters than this is small: a contents entry, or a part title."""
TOC_RUN = 3
"""This many consecutive small sections are a table of contents."""
MAX_HEADING_CHARS = 100
MIN_CHUNK_CHARS = 100

NUMBER_WORD = (
    r"(?:the\s+)?(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[-\s](?:one|two|three|four|"
    r"five|six|seven|eight|nine|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth))?|one|two|three|"
    r"four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|"
    r"nineteen|hundred|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|"
    r"(?:thir|four|fif|six|seven|eigh|nine)teenth|twentieth|thirtieth|fortieth|fiftieth|last|final)"
)
ROMAN = r"(?=[MDCLXVI])M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})"
SMALL_ROMAN = r"(?=[CLXVI])C{0,3}(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})"  # up to 399
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




@dataclass(frozen=True)
class Chapter:
    """One chapter of the plan."""

    index: int
    """0-based position in the book."""
    title: str
    """The heading, e.g. "CHAPTER I. Down the Rabbit-Hole."; "Opening" for the text before the first."""


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
            "chapters": [{"index": c.index, "title": c.title, "chunks": chunk_counts[c.index],
                          "chars": char_counts[c.index]} for c in self.chapters],
            "chunks": [{"index": k.index, "chapter": k.chapter, "chars": len(k.text), "sha256": k.sha256}
                       for k in self.chunks],
            "totals": {"chapters": len(self.chapters), "chunks": len(self.chunks),
                       "chars": sum(char_counts.values())},
            "contents": list(self.contents),
        }


# ----------------------------------------------------------------------------- headings


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
    """Given a paragraph, say whether it is a chapter heading (see the module docstring)."""
    if paragraph in headings:
        return True
    lines = paragraph.split("\n")
    if len(paragraph) > MAX_HEADING_CHARS or len(lines) > 2 or not is_heading_line(lines[0]):
        return False
    return len(lines) == 1 or looks_like_title(lines[1].strip())


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


@dataclass(frozen=True)
class Section:
    """A heading and what follows it up to the next heading."""

    start: int
    """Index of the heading paragraph."""
    end: int
    """Index after the section's last paragraph."""
    title: str
    kind: str
    """The heading's first word, lower case: tells a PART from a CHAPTER."""
    small: bool
    prose: bool


def given_marks(paragraphs: list[str], headings: Sequence[str]) -> list[int]:
    """The paragraphs that are the given headings, matched in order (a text may repeat a heading's words)."""
    marks, position = [], 0
    for index, paragraph in enumerate(paragraphs):
        if position < len(headings) and paragraph == headings[position]:
            marks.append(index)
            position += 1
    return marks


def heading_marks(paragraphs: list[str], headings: Sequence[str]) -> tuple[list[int], list[str]]:
    """(indexes of the heading paragraphs, the contents list found): the given headings when there are
    any (markdown's, an EPUB's table of contents), else the markers and headings.py's signals."""
    if headings:
        return given_marks(paragraphs, headings), []
    found = find_headings(paragraphs)
    marks = ({i for i, paragraph in enumerate(paragraphs) if is_heading(paragraph)} | found.marks) - set(found.contents_span)
    subtitles = {i for i in marks if i - 1 in marks and BARE_MARKER.match(heading_title(paragraphs[i - 1]))
                 and looks_like_title(paragraphs[i]) and not is_heading(paragraphs[i])}  # "I." then "THE PRISON-DOOR.": one heading, titled by both
    return sorted(marks - subtitles), found.contents


def sections_of(paragraphs: list[str], marks: list[int], given: bool = False,
                titles: dict[int, str] | None = None) -> list[Section]:
    sections = []
    for position, start in enumerate(marks):
        end = marks[position + 1] if position + 1 < len(marks) else len(paragraphs)
        body = paragraphs[start + 1:end]
        title = heading_title(paragraphs[start])
        if titles and start in titles:
            title = titles[start]  # the book's own title for it (an EPUB's TOC label)
        elif body and BARE_MARKER.match(title) and looks_like_title(body[0]):
            title = f"{title} {heading_title(body[0])}"  # "CHAPTER I." + "Down the Rabbit-Hole."
        sections.append(Section(
            start, end, title, heading_kind(title),
            small=sum(len(p) for p in body) < MIN_CHAPTER_BODY and not given,
            prose=any(not looks_like_title(p) for p in body),
        ))
    return sections


def in_contents(sections: list[Section]) -> list[bool]:
    """Mark the sections that belong to a run of TOC_RUN or more consecutive small ones."""
    marked = [False] * len(sections)
    run_start = 0
    for position in range(len(sections) + 1):
        if position == len(sections) or not sections[position].small:
            if position - run_start >= TOC_RUN:
                marked[run_start:position] = [True] * (position - run_start)
            run_start = position + 1
    return marked


def chapter_starts(paragraphs: list[str], marks: list[int], given: bool = False,
                   titles: dict[int, str] | None = None) -> list[tuple[int, str]]:
    """Given the heading paragraphs' indexes, return (paragraph index, title) for each chapter, the opening included.

    Given headings (markdown's, an EPUB's) are never a table of contents.
    """
    sections = sections_of(paragraphs, marks, given, titles)
    contents = in_contents(sections)
    starts: dict[int, tuple[int, str]] = {}  # section position -> (paragraph index, title)
    for position in reversed(range(len(sections))):
        section = sections[position]
        if contents[position]:
            continue
        if not section.small or section.prose:
            starts[position] = (section.start, section.title)
        elif position + 1 in starts and sections[position + 1].kind != section.kind:
            _, title = starts.pop(position + 1)  # "PART ONE" then "CHAPTER 1": one chapter
            starts[position] = (section.start, f"{section.title.rstrip(' .:')}: {title}")
    chapters = sorted(starts.values())
    if not chapters or chapters[0][0] > 0:
        chapters.insert(0, (0, "Opening"))
    return chapters


# ----------------------------------------------------------------------------- chunks


def pieces_of(paragraph: str, limit: int) -> list[str]:
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
        for piece in pieces_of(paragraph, limit):
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
                titles: Sequence[str] = ()) -> ChunkPlan:
    """Given clean text (and the book's own headings, in order, with their titles), return its chapters and chunks.

    `titles`, when given, names the chapter of each heading (an EPUB's TOC labels); chunks
    do not depend on it.

    Raise ValueError when max_chunk_chars is under 100 or the text has nothing but whitespace.
    """
    if isinstance(max_chunk_chars, bool) or not isinstance(max_chunk_chars, int) or max_chunk_chars < MIN_CHUNK_CHARS:
        raise ValueError(f"max_chunk_chars must be an integer of at least {MIN_CHUNK_CHARS}, got {max_chunk_chars!r}")
    headings = tuple(headings)
    paragraphs = [piece for block in re.split(r"\n\s*\n", text) if block.strip()
                  for piece in split_glued_heading(block.strip(), headings)]
    if not paragraphs:
        raise ValueError("no text to chunk: the text is empty or only whitespace")
    marks, contents = heading_marks(paragraphs, headings)
    contents = contents or list(titles)  # an EPUB's table of contents is its contents list
    named = dict(zip(marks, titles)) if headings and len(marks) == len(headings) else None
    starts = chapter_starts(paragraphs, marks, bool(headings), named)
    chapters: list[Chapter] = []
    chunks: list[Chunk] = []
    for index, (start, title) in enumerate(starts):
        end = starts[index + 1][0] if index + 1 < len(starts) else len(paragraphs)
        chapters.append(Chapter(index, title))
        for chunk_text in pack(paragraphs[start:end], max_chunk_chars):
            digest = hashlib.sha256(chunk_text.encode("utf-8", "surrogatepass")).hexdigest()
            chunks.append(Chunk(len(chunks), index, chunk_text, digest))
    log.debug("planned %d chapters, %d chunks (max %d chars)", len(chapters), len(chunks), max_chunk_chars)
    return ChunkPlan(tuple(chapters), tuple(chunks), max_chunk_chars, contents=tuple(contents))
