"""WAV files: writing chunks, checking them, and joining them into one book, streamed.

Audio is float32 mono at 24 kHz in memory and 16-bit PCM on disk. Joining never holds
more than one block of audio, whatever the book's length, and needs no external tool.
Seams get a few milliseconds of fade so that no sample jumps (a click) where two pieces
meet. Past the 4 GiB RIFF limit (about 24.8 h of audio) the output becomes RF64.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterable, Sequence

import numpy as np
import soundfile as sf

from .atomic import atomic_write

SAMPLE_RATE = 24000
SUBTYPE = "PCM_16"
BLOCK_FRAMES = 65536
FADE_SECONDS = 0.005
HEADER_BYTES = 44
RIFF_LIMIT = 0xFFFFFFFF - 1024


class AudioError(ValueError):
    """A WAV that cannot be used; the message names the file and what is wrong."""


@dataclass(frozen=True)
class WavInfo:
    samplerate: int
    channels: int
    subtype: str
    frames: int
    format: str

    @property
    def seconds(self) -> float:
        return self.frames / self.samplerate if self.samplerate else 0.0


@dataclass(frozen=True)
class Piece:
    """A chunk WAV to join, and the silence (seconds) that follows it."""

    path: Path
    pause_after: float


@dataclass(frozen=True)
class ConcatResult:
    frames: int
    seconds: float
    format: str
    starts: tuple[float, ...]
    """Start time (s) of each piece in the output."""


def wav_info(path: Path) -> WavInfo:
    """Given a WAV path, return its format; raise AudioError when it is missing or damaged."""
    try:
        info = sf.info(str(path))
    except (RuntimeError, OSError, sf.LibsndfileError) as exc:
        raise AudioError(f"{path.name}: not a readable WAV ({exc})") from exc
    return WavInfo(info.samplerate, info.channels, info.subtype, info.frames, info.format)


def silence(seconds: float, samplerate: int = SAMPLE_RATE) -> np.ndarray:
    return np.zeros(round(seconds * samplerate), dtype=np.float32)


def _envelope(start: int, count: int, total: int, fade: int) -> np.ndarray | None:
    """Gain for frames [start, start+count) of a piece of `total` frames faded at both ends."""
    if fade <= 0 or (fade <= start and start + count <= total - fade):
        return None
    index = np.arange(start, start + count, dtype=np.float32)
    gain_in = np.clip(index / fade, 0.0, 1.0)
    gain_out = np.clip((total - 1 - index) / fade, 0.0, 1.0)
    return np.minimum(gain_in, gain_out)


def fade_edges(audio: np.ndarray, fade_seconds: float = FADE_SECONDS, samplerate: int = SAMPLE_RATE) -> np.ndarray:
    """Return audio with a short linear fade in and out, so that seams never click."""
    fade = min(round(fade_seconds * samplerate), len(audio) // 2)
    gain = _envelope(0, len(audio), len(audio), fade)
    return audio if gain is None else (audio * gain).astype(np.float32)


def write_chunk_wav(path: Path, segments: Iterable[np.ndarray], samplerate: int = SAMPLE_RATE) -> WavInfo:
    """Stream float32 mono segments into a 16-bit WAV at path (atomic); return its info.

    Each segment is written as it arrives, so a chunk's audio is never held whole.
    """

    def write(f: BinaryIO) -> None:
        with sf.SoundFile(f, "w", samplerate=samplerate, channels=1, subtype=SUBTYPE, format="WAV") as out:
            for segment in segments:
                if len(segment):
                    out.write(fade_edges(np.asarray(segment, dtype=np.float32), samplerate=samplerate))

    atomic_write(path, write)
    return wav_info(path)


def check_compatible(paths: Sequence[Path]) -> WavInfo:
    """Return the common format of paths; raise AudioError naming the first that differs."""
    if not paths:
        raise AudioError("nothing to join: no chunk WAVs")
    first = wav_info(paths[0])
    for path in paths[1:]:
        info = wav_info(path)
        for name in ("samplerate", "channels", "subtype"):
            if getattr(info, name) != getattr(first, name):
                raise AudioError(f"{path.name}: {name} is {getattr(info, name)}, but {paths[0].name} has "
                                 f"{getattr(first, name)}; chunks must all match")
    return first


def concat_wavs(pieces: Sequence[Piece], out_path: Path, rf64_threshold_bytes: int = RIFF_LIMIT) -> ConcatResult:
    """Join pieces into out_path (atomic), with their pauses and faded seams; return timings."""
    common = check_compatible([piece.path for piece in pieces])
    rate, channels = common.samplerate, common.channels
    lengths = [wav_info(piece.path).frames for piece in pieces]
    pauses = [round(piece.pause_after * rate) for piece in pieces]
    total = sum(lengths) + sum(pauses)
    data_bytes = total * channels * 2
    container = "RF64" if data_bytes + HEADER_BYTES > rf64_threshold_bytes else "WAV"
    fade = round(FADE_SECONDS * rate)
    starts: list[float] = []

    def write(f: BinaryIO) -> None:
        position = 0
        with sf.SoundFile(f, "w", samplerate=rate, channels=channels, subtype=SUBTYPE, format=container) as out:
            for piece, length, pause in zip(pieces, lengths, pauses):
                starts.append(position / rate)
                with sf.SoundFile(str(piece.path)) as source:
                    offset = 0
                    for block in source.blocks(blocksize=BLOCK_FRAMES, dtype="float32", always_2d=True):
                        gain = _envelope(offset, len(block), length, min(fade, length // 2))
                        out.write(block if gain is None else block * gain[:, None])
                        offset += len(block)
                position += length
                for start in range(0, pause, BLOCK_FRAMES):
                    out.write(np.zeros((min(BLOCK_FRAMES, pause - start), channels), dtype=np.float32))
                position += pause

    atomic_write(out_path, write)
    return ConcatResult(total, total / rate, container, tuple(starts))


def max_seam_jump(path: Path, seams: Sequence[float], window: float = 0.002) -> float:
    """Largest |x[n+1] - x[n]| within ±window seconds of each seam time (a click detector)."""
    worst = 0.0
    with sf.SoundFile(str(path)) as source:
        span = round(window * source.samplerate)
        for seam in seams:
            centre = round(seam * source.samplerate)
            source.seek(max(0, centre - span))
            frames = source.read(2 * span + 1, dtype="float32", always_2d=True)
            if len(frames) > 1:
                worst = max(worst, float(np.abs(np.diff(frames, axis=0)).max()))
    return worst
