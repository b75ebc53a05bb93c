"""WAV files: writing chunks, reading their format, measuring them, and silence.

Audio is float32 mono at 24 kHz in memory and 16-bit PCM on disk. Every file is written
through `atomic_write`, so a chunk WAV appears whole or not at all. Each chunk gets a few
milliseconds of raised-cosine fade at both ends (`fade_edges`), so no sample jumps (a click)
where two pieces meet; join.py puts chunks together into one book. `sound_bounds` finds
where the model's own silence ends, for trimming the book's edges.
"""

from __future__ import annotations

import io
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterable

import numpy as np
import soundfile as sf

from ..core import atomic_write, beat
from .loudness import Measurement, Meter


log = logging.getLogger(__name__)

SAMPLE_RATE = 24000
SUBTYPE = "PCM_16"
SAMPLE_BYTES = 2
"""Bytes per sample of SUBTYPE."""
BLOCK_FRAMES = 65536
"""Frames read and written at a time when joining (256 KiB of float32 mono)."""
FADE_MS = 5.0
HEADER_BYTES = 44
"""Size of a plain PCM WAV header; RF64 needs more, which the threshold's margin covers."""
RIFF_LIMIT = 0xFFFFFFFF - 1024
"""Largest WAV (bytes) written as RIFF; larger books are written as RF64."""


class AudioError(ValueError):
    """A WAV that cannot be used; the message names the file and what is wrong."""


@dataclass(frozen=True)
class WavInfo:
    """The format and length of one audio file."""

    samplerate: int
    channels: int
    subtype: str
    """Sample encoding, as soundfile names it: "PCM_16", "FLOAT", ..."""
    frames: int
    format: str
    """Container: "WAV" or "RF64"."""

    @property
    def seconds(self) -> float:
        return self.frames / self.samplerate if self.samplerate else 0.0


def wav_info(path: Path) -> WavInfo:
    """Given a WAV path, return its format; raise AudioError when it is missing or damaged."""
    try:
        info = sf.info(str(path))
    except (RuntimeError, OSError) as exc:  # sf.LibsndfileError is a RuntimeError
        raise AudioError(f"{path.name}: not a readable WAV ({exc})") from exc
    return WavInfo(info.samplerate, info.channels, info.subtype, info.frames, info.format)


def silence(seconds: float, samplerate: int = SAMPLE_RATE) -> np.ndarray:
    """Return `seconds` of float32 silence (rounded to the nearest frame)."""
    return np.zeros(_frames(seconds, samplerate, "silence"), dtype=np.float32)


def _frames(seconds: float, samplerate: int, what: str) -> int:
    """Return seconds as a whole number of frames; raise AudioError unless finite and >= 0."""
    if not math.isfinite(seconds) or seconds < 0:
        raise AudioError(f"{what}: a duration must be a finite number of seconds >= 0, not {seconds!r}")
    return round(seconds * samplerate)


def _fade_frames(fade_ms: float, samplerate: int, length: int) -> int:
    """Frames of fade at each end of a piece of `length` frames (at most half of it)."""
    return min(round(fade_ms * samplerate / 1000), length // 2)


def _ramp(from_edge: np.ndarray, fade: int) -> np.ndarray:
    """Raised-cosine gain for frames `from_edge` frames away from a piece's edge (0 = the edge frame).

    Strictly between 0 and 1 inside the fade: it starts near zero (no click) but never at
    zero (no silence the caller did not ask for).
    """
    ramp = (from_edge + 1.0) / (fade + 1.0)
    gain: np.ndarray = (0.5 - 0.5 * np.cos(np.pi * ramp)).astype(np.float32)
    return gain


def _fade_spans(start: int, count: int, total: int, fade: int) -> list[tuple[slice, np.ndarray]]:
    """Given frames [start, start+count) of a piece of `total` frames faded `fade` frames at both ends,
    return (where in those frames, gain) for the parts that lie in a fade; frames elsewhere keep gain 1.

    The fades never overlap, as fade <= total // 2.
    """
    spans = []
    head = range(start, min(start + count, fade))
    if head:
        spans.append((slice(head.start - start, head.stop - start), _ramp(np.arange(head.start, head.stop), fade)))
    tail = range(max(start, total - fade), start + count)
    if tail:
        spans.append((slice(tail.start - start, tail.stop - start),
                      _ramp(total - 1 - np.arange(tail.start, tail.stop), fade)))
    return spans


def fade_edges(audio: np.ndarray, fade_ms: float = FADE_MS, samplerate: int = SAMPLE_RATE) -> np.ndarray:
    """Return audio (frames first) with a short raised-cosine fade in and out, so seams never click."""
    spans = _fade_spans(0, len(audio), len(audio), _fade_frames(fade_ms, samplerate, len(audio)))
    if not spans:
        return audio
    faded = np.array(audio, dtype=np.float32)  # a copy: the caller's array is left alone
    for where, gain in spans:
        faded[where] *= gain if faded.ndim == 1 else gain[:, None]
    return faded


def _clean_segment(segment: np.ndarray, path: Path, number: int) -> np.ndarray:
    """Return segment as 1-D float32 with non-finite samples silenced; raise AudioError if not mono."""
    audio = np.asarray(segment, dtype=np.float32)
    if audio.ndim == 2 and audio.shape[1] == 1:
        audio = audio[:, 0]
    if audio.ndim != 1:
        raise AudioError(f"{path.name}: segment {number} has shape {audio.shape}; expected mono (1-D) audio")
    bad = ~np.isfinite(audio)
    if bad.any():  # libsndfile would turn NaN into full-scale -1.0, a loud click
        log.warning("%s: segment %d had %d non-finite samples; they were silenced", path.name, number, int(bad.sum()))
        audio = np.where(bad, np.float32(0.0), audio)
    return audio


def write_chunk_wav(path: Path, segments: Iterable[np.ndarray], samplerate: int = SAMPLE_RATE) -> WavInfo:
    """Stream float32 mono segments into a 16-bit WAV at path (atomically); return its info.

    Each segment is faded at its edges and written as it arrives, so a chunk's audio is
    never held whole. Samples beyond [-1, 1] are clipped by libsndfile. If iterating
    segments raises, no file is written and the error propagates.
    """

    atomic_write(path, lambda f: _write_segments(f, segments, path, samplerate))
    return wav_info(path)


def chunk_wav_bytes(segments: Iterable[np.ndarray], samplerate: int = SAMPLE_RATE) -> bytes:
    """Return the bytes `write_chunk_wav` writes for segments, made in memory by the same code:
    an engine on another host (engines/) sends a chunk back as them."""
    buffer = io.BytesIO()
    _write_segments(buffer, segments, Path("chunk.wav"), samplerate)
    return buffer.getvalue()


def _write_segments(f: BinaryIO, segments: Iterable[np.ndarray], path: Path, samplerate: int) -> None:
    with sf.SoundFile(f, "w", samplerate=samplerate, channels=1, subtype=SUBTYPE, format="WAV") as out:
        for number, segment in enumerate(segments):
            audio = _clean_segment(segment, path, number)
            if len(audio):
                out.write(fade_edges(audio, samplerate=samplerate))


def sound_bounds(path: Path, threshold: float) -> tuple[int, int]:
    """Given a WAV and a magnitude (full scale 1.0), return (first frame above it, frame after the last one);
    (0, 0) when no frame is; raise AudioError when the file is unreadable. Streams the file."""
    first, last, offset = None, -1, 0
    try:
        with sf.SoundFile(str(path)) as source:
            for block in source.blocks(BLOCK_FRAMES, dtype="float32", always_2d=True):
                beat()
                loud = np.flatnonzero(np.abs(block).max(axis=1) > threshold)
                if len(loud):
                    first = offset + int(loud[0]) if first is None else first
                    last = offset + int(loud[-1])
                offset += len(block)
    except (RuntimeError, OSError) as exc:
        raise AudioError(f"{path.name}: not a readable WAV ({exc})") from exc
    return (0, 0) if first is None else (first, last + 1)


def measure_wav(path: Path | BinaryIO) -> Measurement:
    """Given a mono WAV (a path, or an open file such as a chunk's bytes in memory), return its loudness
    measurement (streamed); raise AudioError when unreadable."""
    try:
        with sf.SoundFile(str(path) if isinstance(path, Path) else path) as source:
            meter = Meter(source.samplerate)
            for block in source.blocks(BLOCK_FRAMES, dtype="float32", always_2d=True):
                beat()
                meter.add(block[:, 0])
    except (RuntimeError, OSError) as exc:
        raise AudioError(f"{getattr(path, 'name', 'audio')}: not a readable WAV ({exc})") from exc
    return meter.result()
