"""A book's timings from its chunks' timed words: book time, sentences, and places in the clean text.

Each finished chunk kept its words as [text start, text end, first sample, sample after], in its
spoken text and its own audio (jobs/checkpoint.py). Publishing knows where each chunk's audio
landed in the book (the join's starts, after the lead silence, the pauses and the trimmed
edges), so a chunk sample becomes book time by one offset. Sentences are cut from the spoken
text as the engine cut them (paragraphs, then `split_sentences`), each timed from its first
word's start to its last word's end; align.py ties them, and every word, back to the clean text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Sequence

from ..chapters import split_sentences
from ..narration import without_markup
from .align import Alignment
from .timings import BookTimings, Sentence, Word

PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


@dataclass(frozen=True)
class TimedChunk:
    """One chunk as publishing hands it over."""

    chapter: int
    spoken: str
    """The chunk's text as G2P read it (narration rules, lexicon markup)."""
    clean: str
    """The chunk's clean text (the chunker's), which `spoken` was made from."""
    words: Sequence[Sequence[int]]
    """[text start, text end, first sample, sample after] per word, in `spoken` and the chunk's audio."""
    start: float
    """Book seconds at which the chunk's used audio starts."""
    first: int
    """The chunk's first sample used (the book's start is trimmed of the model's silence)."""
    end: float
    """Book seconds at which the chunk's used audio ends."""


def spans(text: str, pieces: Sequence[str], cursor: int = 0) -> list[tuple[int, int]]:
    """Where each piece (in order, each a substring) is found in text."""
    found = []
    for piece in pieces:
        at = text.find(piece, cursor)
        at = cursor if at < 0 else at
        found.append((at, at + len(piece)))
        cursor = at + len(piece)
    return found


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Each sentence's [start, end) in a chunk's text: its paragraphs' sentences, in order."""
    found: list[tuple[int, int]] = []
    position = 0
    for paragraph in PARAGRAPH_BREAK.split(text):
        at = text.find(paragraph, position)
        found += [(at + start, at + end) for start, end in spans(paragraph, split_sentences(paragraph))]
        position = at + len(paragraph)
    return found


def chunk_offsets(book_text: str, clean: str, cursor: int) -> tuple[list[tuple[int, int, int]], int]:
    """(chunk offset, book offset, length) for each of the chunk's paragraphs found in the book's clean
    text from cursor on, and the new cursor. A paragraph the chunker relabelled ("I" -> "Part I") is not found."""
    found = []
    for start, end in spans(clean, [p for p in PARAGRAPH_BREAK.split(clean)]):
        at = book_text.find(clean[start:end], cursor)
        if at >= 0:
            found.append((start, at, end - start))
            cursor = at + end - start
    return found, cursor


def to_book(offsets: list[tuple[int, int, int]], span: tuple[int, int] | None) -> tuple[int, int] | None:
    """A span of the chunk's clean text as a span of the book's clean text, when its paragraphs were found."""
    if span is None:
        return None
    moved = []
    for point, is_end in ((span[0], False), (span[1], True)):
        inside = [(c, b) for c, b, n in offsets if c <= point - is_end < c + n or (is_end and point == c + n)]
        if not inside:
            return None
        chunk_start, book_start = inside[0]
        moved.append(book_start + point - chunk_start)
    return moved[0], moved[1]


class ChunkPlaces:
    """Where spans of one chunk's spoken text are in the book's clean text (for `chunk --json --voices` too)."""

    def __init__(self, spoken: str, clean: str, book_text: str, cursor: int = 0):
        self.offsets, self.cursor = chunk_offsets(book_text, clean, cursor)
        """cursor: where the next chunk's paragraphs are looked for in the book's text."""
        self.alignment = Alignment(spoken, clean)

    def __call__(self, start: int, end: int, whole: bool = False) -> tuple[int, int] | None:
        """[start, end) of the spoken text as [start, end) of the book's clean text, or None when it has none;
        whole: with the punctuation and quotes around it."""
        return to_book(self.offsets, self.alignment.clean_span(start, end, whole))


def book_timings(chunks: Sequence[TimedChunk], book_text: str, chapters: Sequence[dict[str, Any]], duration: float,
                 samplerate: int, audio: str = "", language: str | None = None) -> BookTimings:
    """Given a book's chunks in order, its clean text and its chapter times (publish's `chapter_times`),
    return its timings: every sentence with a spoken word, in order, in book seconds."""
    sentences: list[Sentence] = []
    cursor = 0
    for number, chunk in enumerate(chunks):
        source = ChunkPlaces(chunk.spoken, chunk.clean, book_text, cursor)
        cursor = source.cursor

        def seconds(sample: int) -> float:
            return round(min(chunk.end, max(chunk.start, chunk.start + (sample - chunk.first) / samplerate)), 3)

        words = sorted(chunk.words, key=lambda word: word[2])
        bounds = sentence_spans(chunk.spoken)
        owner, last = [], 0
        for first, _, _, _ in words:  # a word not found in the text stays with the sentence before it
            while first >= 0 and last + 1 < len(bounds) and first >= bounds[last + 1][0]:
                last += 1
            owner.append(last)
        grouped: dict[int, list[Sequence[int]]] = {}
        for word, belongs in zip(words, owner):
            grouped.setdefault(belongs, []).append(word)
        for index, (start, end) in enumerate(bounds):
            timed = grouped.get(index)
            if not timed:
                continue
            place = source(start, end, whole=True)
            sentences.append(Sentence(
                f"s{len(sentences) + 1}", chunk.chapter, number, seconds(timed[0][2]), seconds(timed[-1][3]),
                " ".join(without_markup(chunk.spoken[start:end]).split()), place,
                book_text[place[0]:place[1]] if place else None,
                tuple(Word(seconds(begin), seconds(finish), without_markup(chunk.spoken[a:b]) if a >= 0 else "",
                           source(a, b) if a >= 0 else None) for a, b, begin, finish in timed)))
    chapter_list = tuple({"index": c["index"], "title": c["title"], "level": c.get("level", 1),
                          "parent": c.get("parent"), "start": c["start_seconds"], "end": c["end_seconds"]}
                         for c in chapters)
    return BookTimings(round(duration, 3), chapter_list, tuple(sentences), audio, language, samplerate)
