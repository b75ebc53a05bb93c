"""Audio helpers for the tests: tones, DC levels, chunk WAVs, zero runs and a click detector."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import soundfile as sf

from kokoro_narrator.audio.wav import write_chunk_wav

RATE = 24000


def tone(seconds: float, level: float = 0.5, freq: float = 220.0) -> np.ndarray:
    t = np.arange(round(seconds * RATE), dtype=np.float32) / RATE
    return (level * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def dc(seconds: float, level: float) -> np.ndarray:
    return np.full(round(seconds * RATE), level, dtype=np.float32)


def chunk(path, *segments, rate=RATE):
    if rate == RATE:
        write_chunk_wav(path, segments)
    else:
        sf.write(path, np.concatenate(segments), rate, subtype="PCM_16")
    return path


def zero_runs(samples: np.ndarray) -> list[int]:
    """Lengths of the runs of exact zeros in samples."""
    padded = np.concatenate([[False], samples == 0, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(edges[1::2] - edges[0::2])


def max_seam_jump(path, seams: Sequence[float], window: float = 0.002) -> float:
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
