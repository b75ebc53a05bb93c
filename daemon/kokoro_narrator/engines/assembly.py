"""A chunk's audio from its engine's segments: the one code both the local runner and a pool's worker run.

The provider (synthesis/) yields one `Segment` per model call. A chunk's WAV is made of those
segments' audio with a paragraph pause before the first audio after a paragraph's end; each
word's time is its sample offset in the chunk; coverage adds up the letters sent and spoken.
The same segments always give the same pieces, words and coverage here, whichever process
makes them: that is what keeps a chunk byte-identical wherever it is made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Protocol, Sequence

import numpy as np

from ..audio import silence
from ..synthesis import Segment, TtsProvider
from ..voices import Role, voice_spans


class Tally(Protocol):
    """How far a chunk got: jobs' Checkpoint (kept across runs) or a worker's `Made`."""

    calls: int
    chars: int
    pending_pause: bool
    coverage: dict[str, Any]


@dataclass
class Made:
    """What a worker has made of a chunk so far (the fields a `Tally` needs)."""

    calls: int = 0
    chars: int = 0
    pending_pause: bool = False
    coverage: dict[str, Any] = field(default_factory=lambda: {"sent": 0, "spoken": 0, "dropped": []})


def synthesis_args(settings: dict[str, Any], cast: Sequence[dict[str, Any]], text: str) -> dict[str, Any]:
    """Given a job's settings, its cast (job.source["cast"]) and a chunk's text, return the keyword
    arguments of `synthesize_chunk` for it: the job's voice, speed and lang_code, and the chunk's
    quotations in the dialogue or a character's voice (voices/plan.py)."""
    roles = [Role.from_json(role) for role in cast or ()]
    spans = voice_spans(text, settings.get("dialogue_voice", ""), roles)
    args: dict[str, Any] = {"voice": settings["voice"], "speed": settings["speed"], "lang_code": settings["lang_code"]}
    if spans:  # only then: providers without voices need not take the argument
        args["voices"] = [(span.start, span.end, span.voice) for span in spans]
    return args


def segments(provider: TtsProvider, text: str, args: dict[str, Any], start: int = 0) -> Iterator[Segment]:
    """The provider's segments of a chunk from model call `start` on (args: `synthesis_args`)."""
    return iter(provider.synthesize_chunk(text, start=start, **args))


def add_segment(tally: Tally, segment: Segment, offset: int, chunk_chars: int,
                paragraph_pause: float) -> tuple[list[np.ndarray], list[list[int]]]:
    """Given a chunk's tally, its next segment and the chunk's samples so far (offset), return the arrays
    the segment adds to the chunk's WAV (a paragraph pause first when one is owed) and its words as
    [text start, text end, first sample, sample after] in the chunk; advance the tally."""
    if segment.audio.size == 0:
        tally.pending_pause = tally.pending_pause or segment.ends_paragraph
        pieces: list[np.ndarray] = []
    else:
        pieces = [silence(paragraph_pause)] if tally.pending_pause else []
        tally.pending_pause = segment.ends_paragraph
        pieces.append(segment.audio)
    start = offset + sum(len(piece) for piece in pieces[:-1])  # after a paragraph pause
    words = [[first, last, start + begin, start + end] for first, last, begin, end in segment.words]
    tally.calls += 1
    tally.chars = min(chunk_chars, tally.chars + len(segment.text))
    tally.coverage["sent"] += segment.coverage.sent
    tally.coverage["spoken"] += segment.coverage.spoken
    tally.coverage["dropped"] += list(segment.coverage.dropped)
    return pieces, words
