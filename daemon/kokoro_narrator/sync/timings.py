"""A published book's timings: every sentence and word, with its time in the book's audio and its place in the text.

The runner records, for every chunk, each word's span in the chunk's spoken text and its
samples in the chunk's audio (from the model's own phoneme durations: synthesis/wordtimes.py).
At publish, book.py turns those into book time (lead silence, pauses, seams and trimmed edges
counted) and ties every sentence and word back to the book's clean text. The result is
`<book>.timings.json` beside `<book>.json`: the captions and the read-along EPUB are made from it.

    {"version": 1, "audio": "book.wav", "samplerate": 24000, "duration": 812.345,
     "timing": "model",  # "model": from the model's durations
     "language": "en",
     "chapters": [{"index": 0, "title": "...", "level": 1, "parent": null, "start": 0.0, "end": 61.2}],
     "sentences": [{"id": "s1", "chapter": 0, "chunk": 0, "start": 0.52, "end": 3.104,
                    "text": "Chapter Four.",        # as spoken (after narration rules)
                    "source": [1200, 1212],         # [start, end) in the book's clean text, or null
                    "source_text": "CHAPTER IV.",   # that span of the clean text, or null
                    "words": [[0.52, 0.9, "Chapter", 1200, 1207], [0.9, 1.5, "Four", 1208, 1211]]}]}

Times are seconds, rounded to the millisecond; sentences are in reading order and do not
overlap. A word's source offsets may be null when it has no counterpart in the clean text.
`clean text` is `books.read_book(...).text` of the job's source copy: paragraphs separated by
one blank line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TIMINGS_VERSION = 1


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    text: str
    source: tuple[int, int] | None = None

    def to_json(self) -> list[Any]:
        return [self.start, self.end, self.text, *(self.source or (None, None))]

    @classmethod
    def from_json(cls, data: list[Any]) -> "Word":
        start, end, text, *source = data
        return cls(float(start), float(end), str(text),
                   (int(source[0]), int(source[1])) if len(source) == 2 and source[0] is not None else None)


@dataclass(frozen=True)
class Sentence:
    id: str
    chapter: int
    chunk: int
    start: float
    end: float
    text: str
    """What was spoken (after the narration rules), without lexicon markup."""
    source: tuple[int, int] | None = None
    """[start, end) of the sentence in the book's clean text."""
    source_text: str | None = None
    words: tuple[Word, ...] = ()

    @property
    def shown(self) -> str:
        """What a reader sees for it: the book's own text when known, else what was spoken."""
        return self.source_text if self.source_text else self.text

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "chapter": self.chapter, "chunk": self.chunk, "start": self.start, "end": self.end,
                "text": self.text, "source": list(self.source) if self.source else None,
                "source_text": self.source_text, "words": [word.to_json() for word in self.words]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Sentence":
        source = data.get("source")
        return cls(str(data["id"]), int(data["chapter"]), int(data.get("chunk", 0)), float(data["start"]),
                   float(data["end"]), str(data["text"]), (int(source[0]), int(source[1])) if source else None,
                   data.get("source_text"), tuple(Word.from_json(word) for word in data.get("words") or ()))


@dataclass(frozen=True)
class BookTimings:
    duration: float
    """Seconds of the book's audio."""
    chapters: tuple[dict[str, Any], ...]
    """{"index", "title", "level", "parent", "start", "end"} per chapter, seconds."""
    sentences: tuple[Sentence, ...]
    audio: str = ""
    """The book's WAV file name."""
    language: str | None = None
    samplerate: int = 24000
    timing: str = "model"
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"version": TIMINGS_VERSION, "audio": self.audio, "samplerate": self.samplerate,
                "duration": self.duration, "timing": self.timing, "language": self.language,
                "chapters": [dict(chapter) for chapter in self.chapters],
                "sentences": [sentence.to_json() for sentence in self.sentences], **self.extra}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "BookTimings":
        if data.get("version") != TIMINGS_VERSION:
            raise ValueError(f"timings version {data.get('version')!r} is not {TIMINGS_VERSION}")
        return cls(float(data["duration"]), tuple(data.get("chapters") or ()),
                   tuple(Sentence.from_json(s) for s in data.get("sentences") or ()), str(data.get("audio") or ""),
                   data.get("language"), int(data.get("samplerate", 24000)), str(data.get("timing", "model")))


def timings_bytes(timings: BookTimings) -> bytes:
    """The timings file's content: readable JSON with one sentence a line (a whole book has 100,000 words)."""
    data = timings.to_json()
    sentences = data.pop("sentences")
    head = json.dumps(data, indent=1, ensure_ascii=False)[:-2]
    lines = ",\n  ".join(json.dumps(sentence, ensure_ascii=False, separators=(",", ":")) for sentence in sentences)
    return f'{head},\n "sentences": [\n  {lines}\n ]\n}}\n'.encode("utf-8", "surrogatepass") if sentences else \
        (json.dumps(timings.to_json(), indent=1, ensure_ascii=False) + "\n").encode("utf-8", "surrogatepass")


def read_timings(path: Path) -> BookTimings:
    """Given a `<book>.timings.json`, return its timings; raise ValueError when it is not one."""
    try:
        return BookTimings.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{path}: not a readable timings file ({exc})") from None
