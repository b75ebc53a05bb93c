"""WAV files: writing chunks, checking them, and joining them into one book, streamed.

Audio is float32 mono at 24 kHz in memory and 16-bit PCM on disk. Every file is written
through `atomic_write`, so a chunk WAV or a book appears whole or not at all.

Joining (`concat_wavs`) reads each chunk in blocks of `BLOCK_FRAMES` and writes them
straight to the output, so it holds one block of audio whatever the book's length, and
needs no external tool. Every piece gets a few milliseconds of raised-cosine fade at both
ends, so no sample jumps (a click) where two pieces meet. The join's fade never turns a
non-zero sample into zero, so the only silence it adds is the pauses asked for. Past the
4 GiB RIFF limit (about 24.8 h of audio) the output is RF64, so a long book is still one
valid file.

The join can also use only part of a piece (the book's edges, trimmed of the model's own
silence: `sound_bounds` finds it), put silence before the first piece, scale every sample
by one gain (the book's loudness normalisation) and feed what it writes to a loudness
`Meter`, all in the same single pass.
"""

from __future__ import annotations

import itertools
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Iterable, Sequence

import numpy as np
import soundfile as sf

from ..core.atomic import atomic_write
from ..core.heartbeat import beat

if TYPE_CHECKING:  # loudness imports scipy.signal (0.8 s), which `synth` never needs
    from .loudness import Limiter, Measurement, Meter

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


@dataclass(frozen=True)
class Piece:
    """A chunk WAV to join."""

    path: Path
    pause_after: float
    """Seconds of silence after this chunk (0 for the last)."""
    start: int = 0
    """First frame of the chunk to use."""
    end: int | None = None
    """Frame after the last one to use (None: the chunk's end)."""


@dataclass(frozen=True)
class ConcatResult:
    """What `concat_wavs` wrote."""

    frames: int
    seconds: float
    format: str
    """"WAV", or "RF64" when the book is past the RIFF limit."""
    starts: tuple[float, ...]
    """Start time (s) of each piece in the output, for chapter timestamps."""
    ends: tuple[float, ...] = ()
    """End time (s) of each piece's audio in the output (before its pause)."""
    measurement: Measurement | None = None
    """Loudness of what was written, when a meter was given."""


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

    def write(f: BinaryIO) -> None:
        with sf.SoundFile(f, "w", samplerate=samplerate, channels=1, subtype=SUBTYPE, format="WAV") as out:
            for number, segment in enumerate(segments):
                audio = _clean_segment(segment, path, number)
                if len(audio):
                    out.write(fade_edges(audio, samplerate=samplerate))

    atomic_write(path, write)
    return wav_info(path)


def _check_infos(paths: Sequence[Path], infos: Sequence[WavInfo]) -> None:
    """Raise AudioError naming the first of paths whose format differs from the first one's."""
    first = infos[0]
    for path, info in zip(paths[1:], infos[1:]):
        for name in ("samplerate", "channels", "subtype"):
            if getattr(info, name) != getattr(first, name):
                raise AudioError(f"{path.name}: {name} is {getattr(info, name)}, but {paths[0].name} has "
                                 f"{getattr(first, name)}; chunks must all match")


def check_compatible(paths: Sequence[Path]) -> WavInfo:
    """Given chunk paths, return their common format; raise AudioError naming the first that differs."""
    if not paths:
        raise AudioError("nothing to join: no chunk WAVs")
    infos = [wav_info(path) for path in paths]
    _check_infos(paths, infos)
    return infos[0]


def _fade_pcm(block: np.ndarray, gain: np.ndarray) -> np.ndarray:
    """Return 16-bit frames times gain (per frame), rounded; a sample that was not zero stays not zero.

    Chunks are already faded when written, so a second fade here would round their first
    and last few samples to zero and lengthen every pause; keeping them at the smallest
    step means the join adds no silence beyond the pauses asked for.
    """
    faded = np.rint(block * gain[:, None]).astype(np.int16)
    kept: np.ndarray = np.where((faded == 0) & (block != 0), np.sign(block), faded).astype(np.int16)
    return kept


def _scaled(block: np.ndarray, gain: float, limiter: Limiter | None = None) -> np.ndarray:
    """Return 16-bit frames times gain, through limiter when given, rounded and clipped to the 16-bit range
    (block itself when there is nothing to do)."""
    if gain == 1.0 and limiter is None:
        return block
    scaled = block * np.float32(gain / 32768)
    if limiter is not None:
        scaled = limiter.apply(scaled)
    return np.clip(np.rint(scaled * 32768), -32768, 32767).astype(np.int16)


def _copy_faded(out: sf.SoundFile, piece: Path, start: int, length: int, fade: int, buffer: np.ndarray,
                gain: float = 1.0, meter: Meter | None = None, limiter: Limiter | None = None) -> None:
    """Stream piece's frames [start, start+length) into out through buffer (int16, frames x channels),
    times gain, faded at both ends, and through meter when given.

    Frames are copied as 16-bit integers, so with a gain of 1 the samples between the
    fades are the chunk's own, bit for bit.
    """
    offset = 0
    with sf.SoundFile(str(piece)) as source:
        source.seek(start)
        for block in source.blocks(out=buffer, frames=length):  # each block is written before the next read
            block = _scaled(block, gain, limiter)
            for where, ramp in _fade_spans(offset, len(block), length, fade):
                block[where] = _fade_pcm(block[where], ramp)
            out.write(block)
            if meter is not None:
                meter.add(block[:, 0] / 32768.0)
            offset += len(block)
            beat()  # a whole book's join takes minutes: the watchdog sees it move
    if offset != length:  # changed since it was checked: the starts would be wrong
        raise AudioError(f"{piece.name}: read {offset} frames, but its header said {length}; was it changed?")


def _write_silence(out: sf.SoundFile, frames: int, channels: int, meter: Meter | None = None) -> None:
    """Write `frames` of silence to out (and to meter), one block at most at a time."""
    for start in range(0, frames, BLOCK_FRAMES):
        zeros = np.zeros((min(BLOCK_FRAMES, frames - start), channels), dtype=np.int16)
        out.write(zeros)
        if meter is not None:
            meter.add(zeros[:, 0])


def _used_frames(piece: Piece, info: WavInfo) -> int:
    """Return how many frames of piece are used; raise AudioError when its range is not inside the file."""
    end = info.frames if piece.end is None else piece.end
    if not 0 <= piece.start <= end <= info.frames:
        raise AudioError(f"{piece.path.name}: frames {piece.start}..{end} are not inside its {info.frames} frames")
    return end - piece.start


def concat_wavs(pieces: Sequence[Piece], out_path: Path, rf64_threshold_bytes: int = RIFF_LIMIT, *,
                lead: float = 0.0, gain: float = 1.0, meter: Meter | None = None,
                limiter: Limiter | None = None) -> ConcatResult:
    """Join pieces into out_path (atomically), with `lead` seconds of silence first, their pauses,
    faded seams, every sample times gain (then through limiter); return timings (and meter's
    measurement of the output).

    Raise AudioError when there are no pieces, one is unreadable, their formats differ
    (naming the first that differs), a piece's frame range is outside it, or a pause is
    negative. The output is RF64 when its size (data plus header) would exceed
    rf64_threshold_bytes, else WAV.
    """
    paths = [piece.path for piece in pieces]
    if not paths:
        raise AudioError(f"{out_path.name}: nothing to join: no chunk WAVs")
    infos = [wav_info(path) for path in paths]
    _check_infos(paths, infos)
    rate, channels = infos[0].samplerate, infos[0].channels
    lengths = [_used_frames(piece, info) for piece, info in zip(pieces, infos)]
    pauses = [_frames(piece.pause_after, rate, f"{piece.path.name} pause_after") for piece in pieces]
    lead_frames = _frames(lead, rate, "lead silence")
    total = lead_frames + sum(lengths) + sum(pauses)
    container = "RF64" if total * channels * SAMPLE_BYTES + HEADER_BYTES > rf64_threshold_bytes else "WAV"
    starts = tuple(itertools.accumulate((length + pause for length, pause in zip(lengths[:-1], pauses[:-1])),
                                        initial=lead_frames))

    def write(f: BinaryIO) -> None:
        buffer = np.empty((BLOCK_FRAMES, channels), dtype=np.int16)  # the one block of audio held
        with sf.SoundFile(f, "w", samplerate=rate, channels=channels, subtype=SUBTYPE, format=container) as out:
            _write_silence(out, lead_frames, channels, meter)
            for piece, length, pause in zip(pieces, lengths, pauses):
                _copy_faded(out, piece.path, piece.start, length, _fade_frames(FADE_MS, rate, length), buffer,
                            gain, meter, limiter)
                _write_silence(out, pause, channels, meter)

    atomic_write(out_path, write)
    log.debug("joined %d pieces into %s: %d frames, %s", len(pieces), out_path, total, container)
    return ConcatResult(total, total / rate, container, tuple(start / rate for start in starts),
                        tuple((start + length) / rate for start, length in zip(starts, lengths)),
                        meter.result() if meter is not None else None)


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


def measure_wav(path: Path) -> Measurement:
    """Given a mono WAV, return its loudness measurement (streamed); raise AudioError when unreadable."""
    from .loudness import Meter

    try:
        with sf.SoundFile(str(path)) as source:
            meter = Meter(source.samplerate)
            for block in source.blocks(BLOCK_FRAMES, dtype="float32", always_2d=True):
                beat()
                meter.add(block[:, 0])
    except (RuntimeError, OSError) as exc:
        raise AudioError(f"{path.name}: not a readable WAV ({exc})") from exc
    return meter.result()


def max_seam_jump(path: Path, seams: Sequence[float], window: float = 0.002) -> float:
    """Largest |x[n+1] - x[n]| within ±window seconds of each seam time (a click detector)."""
    worst = 0.0
    with sf.SoundFile(str(path)) as source:
        span = round(window * source.samplerate)
        for seam in seams:
            centre = round(seam * source.samplerate)
            source.seek(min(max(0, centre - span), source.frames))
            frames = source.read(2 * span + 1, dtype="float32", always_2d=True)
            if len(frames) > 1:
                worst = max(worst, float(np.abs(np.diff(frames, axis=0)).max()))
    return worst
