"""Fake `BookTimings` for a book, and a silent WAV to match: read-along tests and bench/readalong_check.py.

The book is read with `read_book`; each clean-text paragraph is cut into sentences
(`split_sentences`), each given `SECONDS_PER_CHAR` per character after a short gap. Chapters
start at the book's headings (for plain text: paragraphs that start with "Chapter"), the
text before the first one being a chapter of its own.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import soundfile as sf

from kokoro_narrator.books import read_book
from kokoro_narrator.chapters import split_sentences
from kokoro_narrator.sync import BookTimings, Sentence

RATE = 24000
SECONDS_PER_CHAR = 0.002
GAP = 0.05
CHAPTER_LINE = re.compile(r"(?i)^chapter\b")


def fake_timings(data: bytes, name: str, wav: Path, seconds_per_char: float = SECONDS_PER_CHAR) -> BookTimings:
    """Timings for every sentence of the book's clean text, and wav written as long as they are (silence)."""
    book = read_book(data, name)
    headings = list(book.headings)
    chapters: list[dict] = []
    sentences: list[Sentence] = []
    clock, offset = 0.0, 0
    for paragraph in book.text.split("\n\n"):
        heading = paragraph == headings[0] if headings else not book.headings and CHAPTER_LINE.match(paragraph)
        if heading:
            if headings:
                headings.pop(0)
            chapters.append({"index": len(chapters), "title": " ".join(paragraph.split()), "level": 1, "parent": None,
                             "start": round(clock, 3), "end": None})
        elif not chapters:
            chapters.append({"index": 0, "title": book.metadata.get("title") or "Start", "level": 1, "parent": None,
                             "start": 0.0, "end": None})
        at = 0
        for text in split_sentences(paragraph):
            start = paragraph.index(text, at)
            at = start + len(text)
            if not any(ch.isalnum() for ch in text):
                continue  # nothing to say ("." alone): the narrator speaks no such sentence
            begin = round(clock + GAP, 3)
            clock = round(begin + len(text) * seconds_per_char, 3)
            sentences.append(Sentence(f"s{len(sentences) + 1}", len(chapters) - 1, 0, begin, clock, text,
                                      (offset + start, offset + at), text))
        offset += len(paragraph) + 2
    duration = round(clock + GAP, 3)
    for chapter, following in zip(chapters, chapters[1:] + [None]):
        chapter["end"] = following["start"] if following else duration
    sf.write(str(wav), np.zeros(round(duration * RATE), dtype=np.int16), RATE, subtype="PCM_16")
    return BookTimings(duration, tuple(chapters), tuple(sentences), wav.name, book.metadata.get("language") or "en")
