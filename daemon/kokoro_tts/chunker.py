"""Clean text in, chapters and chunks out: chapter-first, deterministic, nothing dropped.

1. Chapters. A heading is a paragraph of one short line (or a heading line plus a short
   subtitle line) that looks like `CHAPTER IV.`, `Chapter 12`, `BOOK ONE`, `PART II`, a bare
   Roman numeral (`II`), or a markdown heading passed in by the reader. Prose that merely
   starts with "Part of..." is not a heading: the word after the marker must be a number.
   A heading with (almost) no text before the next one, as in a table of contents, does
   not start a chapter; its line stays in the text. The text before the first heading is
   the opening chapter.
2. Chunks. Each chapter's paragraphs are packed into chunks of at most `max_chunk_chars`;
   a longer paragraph is cut at sentences, then words, then hard (a URL, base64). Chunks
   never span two chapters and are never empty.

The heading text stays in the spoken text; titles are metadata besides. The same text and
settings always give the same chunks; `CHUNKER_VERSION` changes when the rules do.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any, Collection

CHUNKER_VERSION = 1
# A "heading" followed by less body text than this before the next heading is a contents line.
MIN_CHAPTER_BODY = 200
MAX_HEADING_CHARS = 100

NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    "sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|first|second|third|fourth|fifth|"
    "sixth|seventh|eighth|ninth|tenth|last|the\\s+first|the\\s+last"
)
MARKER = re.compile(
    rf"^(chapter|book|part|volume|section|canto)\s+(\d+|[ivxlcdm]+|{NUMBER_WORDS})\b(?![''])([\s.:,;—–-].*)?$",
    re.IGNORECASE,
)
ROMAN_ONLY = re.compile(r"^[IVXLCDM]{1,7}\.?$")
ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "st", "jr", "sr", "prof", "rev", "gen", "col", "capt", "lt", "sgt", "hon",
    "vs", "etc", "e.g", "i.e", "no", "vol", "ch", "fig", "mt", "ft", "co", "inc", "ltd", "messrs", "mme", "mlle",
}
SENTENCE_END = re.compile(r"""([.!?…]+["')\]]*)(\s+)""")


@dataclass(frozen=True)
class Chapter:
    index: int
    title: str


@dataclass(frozen=True)
class Chunk:
    index: int
    chapter: int
    text: str
    sha256: str


@dataclass(frozen=True)
class ChunkPlan:
    chapters: tuple[Chapter, ...]
    chunks: tuple[Chunk, ...]
    max_chunk_chars: int
    version: int = CHUNKER_VERSION

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "max_chunk_chars": self.max_chunk_chars,
            "chapters": [
                {"index": c.index, "title": c.title,
                 "chunks": sum(1 for k in self.chunks if k.chapter == c.index),
                 "chars": sum(len(k.text) for k in self.chunks if k.chapter == c.index)}
                for c in self.chapters
            ],
            "chunks": [{"index": k.index, "chapter": k.chapter, "chars": len(k.text), "sha256": k.sha256}
                       for k in self.chunks],
            "totals": {"chapters": len(self.chapters), "chunks": len(self.chunks),
                       "chars": sum(len(k.text) for k in self.chunks)},
        }


def is_heading(paragraph: str, headings: Collection[str] = ()) -> bool:
    """Given a paragraph, say whether it is a chapter heading line."""
    if paragraph in headings:
        return True
    lines = paragraph.split("\n")
    if len(paragraph) > MAX_HEADING_CHARS or len(lines) > 2:
        return False
    first = lines[0].strip()
    return bool(MARKER.match(first) or ROMAN_ONLY.match(first))


def heading_title(paragraph: str) -> str:
    return " ".join(line.strip() for line in paragraph.split("\n"))


def split_chapters(paragraphs: list[str], headings: Collection[str] = ()) -> list[tuple[str, list[str]]]:
    """Return [(title, paragraphs)] with the opening first; contents-like headings merge in."""
    marks = [i for i, p in enumerate(paragraphs) if is_heading(p, headings)]
    starts = []
    for position, i in enumerate(marks):
        following = marks[position + 1] if position + 1 < len(marks) else len(paragraphs)
        body = sum(len(p) for p in paragraphs[i + 1:following])
        if body >= MIN_CHAPTER_BODY or (following == len(paragraphs) and body > 0):
            starts.append(i)
    chapters: list[tuple[str, list[str]]] = []
    if not starts or starts[0] > 0:
        chapters.append(("Opening", paragraphs[:starts[0]] if starts else paragraphs))
    for position, i in enumerate(starts):
        end = starts[position + 1] if position + 1 < len(starts) else len(paragraphs)
        chapters.append((heading_title(paragraphs[i]), paragraphs[i:end]))
    return chapters


def split_sentences(paragraph: str) -> list[str]:
    """Cut a paragraph into sentences, keeping abbreviations like "Mr." inside them."""
    sentences, start = [], 0
    for match in SENTENCE_END.finditer(paragraph):
        words = paragraph[start:match.start()].split()
        last = words[-1].lower().strip("\"'([") if words else ""
        if match.group(1) == "." and (last in ABBREVIATIONS or re.fullmatch(r"[a-z]", last)):
            continue
        sentences.append(paragraph[start:match.end(1)])
        start = match.end()
    if paragraph[start:].strip():
        sentences.append(paragraph[start:])
    return [s.strip() for s in sentences if s.strip()]


def split_words(text: str, limit: int) -> list[str]:
    """Cut text at whitespace into pieces of at most limit chars; cut longer words hard."""
    pieces: list[str] = []
    current = ""
    for word in text.split():
        while len(word) > limit:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(word[:limit])
            word = word[limit:]
        if current and len(current) + 1 + len(word) > limit:
            pieces.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        pieces.append(current)
    return pieces


def pieces_of(paragraph: str, limit: int) -> list[str]:
    """A paragraph as pieces of at most limit chars: itself, or its sentences, or words."""
    if len(paragraph) <= limit:
        return [paragraph]
    pieces = []
    for sentence in split_sentences(paragraph.replace("\n", " ")):
        pieces += [sentence] if len(sentence) <= limit else split_words(sentence, limit)
    return pieces


def pack(paragraphs: list[str], limit: int) -> list[str]:
    """Pack paragraphs (joined by a blank line) into chunks of at most limit chars."""
    chunks: list[str] = []
    current = ""
    for paragraph in paragraphs:
        pieces = pieces_of(paragraph, limit)
        joiner = "\n\n"
        for piece in pieces:
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


def plan_chunks(text: str, max_chunk_chars: int = 20000, headings: Collection[str] = ()) -> ChunkPlan:
    """Given clean text, return its chapters and chunks; raise ValueError for unusable input."""
    if max_chunk_chars < 100:
        raise ValueError(f"max_chunk_chars must be at least 100, got {max_chunk_chars}")
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    if not paragraphs:
        raise ValueError("no text to chunk")
    chapters, chunks = [], []
    for index, (title, chapter_paragraphs) in enumerate(split_chapters(paragraphs, headings)):
        chapters.append(Chapter(index, title))
        for chunk_text in pack(chapter_paragraphs, max_chunk_chars):
            digest = hashlib.sha256(chunk_text.encode("utf-8", "surrogatepass")).hexdigest()
            chunks.append(Chunk(len(chunks), index, chunk_text, digest))
    return ChunkPlan(tuple(chapters), tuple(chunks), max_chunk_chars)
