"""Joining chunk WAVs into one book, streamed.

`concat_wavs` reads each chunk in blocks of `BLOCK_FRAMES` and writes them straight to the
output, so it holds one block of audio whatever the book's length, and needs no external
tool. Every piece is faded at both ends; the join's fade never turns a non-zero sample into
zero, so the only silence it adds is the pauses asked for. Past the 4 GiB RIFF limit (about
24.8 h of audio) the output is RF64, so a long book is still one valid file.

The join can also use only part of a piece (the book's edges, trimmed of the model's own
silence: wav.sound_bounds finds it), put silence before the first piece, scale every sample
by one gain (the book's loudness normalisation) and feed what it writes to a loudness
`Meter`, all in the same single pass.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Sequence

import numpy as np
import soundfile as sf

from ..core import atomic_write, beat
from .loudness import Limiter, Measurement, Meter
from .wav import (_fade_frames, _fade_spans, _frames, AudioError, BLOCK_FRAMES, FADE_MS, HEADER_BYTES, RIFF_LIMIT,
                  SAMPLE_BYTES, SUBTYPE, wav_info, WavInfo)


log = logging.getLogger(__name__)


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


def _check_infos(paths: Sequence[Path], infos: Sequence[WavInfo]) -> None:
    """Raise AudioError naming the first of paths whose format differs from the first one's."""
    first = infos[0]
    for path, info in zip(paths[1:], infos[1:]):
        for name in ("samplerate", "channels", "subtype"):
            if getattr(info, name) != getattr(first, name):
                raise AudioError(f"{path.name}: {name} is {getattr(info, name)}, but {paths[0].name} has "
                                 f"{getattr(first, name)}; chunks must all match")


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
