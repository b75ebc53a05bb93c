"""Loudness (ITU-R BS.1770-4 / EBU R128), measured as audio streams past, and the book's one gain.

A `Meter` takes blocks of mono audio as they are made and keeps only a few numbers:
- the K-weighting filter's state (a high shelf and a high pass, designed for the sample rate);
- the mean square of each 100 ms step, and a histogram of the loudness of every 400 ms
  gating block (75 % overlap) above the absolute gate of -70 LUFS, in 0.1 LU bins;
- the true peak, from 4x oversampling (a 48-tap polyphase FIR, as BS.1770 Annex 2 suggests).

Histograms of several chunks add up, so the integrated loudness of a whole book comes from
its chunks' records with no second pass over the audio (blocks that straddle two chunks are
the only ones missed; they sit in pauses, below the gate). A 0.1 LU bin moves the result by
at most 0.05 LU. `book_gain` then picks one gain for the whole book: the one that brings it to
the target loudness, lowered when that would push the true peak more than `limiter_db` above
the peak limit. Within that allowance, the join passes every sample through a soft `Limiter`
(a tanh knee: samples more than KNEE_DB under its ceiling are untouched), so that a book with a
few sharp peaks still reaches the target without its true peak passing the limit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np

# scipy.signal takes 0.9 s to import: it is imported where a filter runs, so that `status` and
# `synth`, which import this package but measure nothing, do not pay for it.

ABSOLUTE_GATE = -70.0
RELATIVE_GATE = -10.0
BIN = 0.1
"""Histogram resolution in LU."""
OVERSAMPLE = 4
TRUE_PEAK_TAPS = 48
SILENT = -math.inf
KNEE_DB = 4.0
"""The soft limiter leaves samples alone up to this far under its ceiling."""
MARGIN_DB = 0.5
"""The limiter's sample ceiling sits this far under the true-peak limit: room for peaks between samples."""


def _k_weighting(rate: int) -> np.ndarray:
    """Given a sample rate, return the BS.1770 K-weighting filter as second-order sections.

    The two biquads are the standard's 48 kHz filters re-derived for any rate from their
    analogue prototypes (shelf at 1682 Hz, +4 dB; high pass at 38 Hz).
    """
    f0, gain_db, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * f0 / rate)
    vh = 10 ** (gain_db / 20)
    vb = vh ** 0.4996667741545416
    a0 = 1 + k / q + k * k
    shelf = [(vh + vb * k / q + k * k) / a0, 2 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0,
             1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0]
    f0, q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * f0 / rate)
    a0 = 1 + k / q + k * k
    high_pass = [1.0, -2.0, 1.0, 1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0]
    return np.array([shelf, high_pass])


def _oversampling_filter() -> np.ndarray:
    """The true-peak interpolation filter: low pass at the original Nyquist, gain OVERSAMPLE."""
    from scipy import signal

    return signal.firwin(TRUE_PEAK_TAPS, 1.0 / OVERSAMPLE, window=("kaiser", 8.0)) * OVERSAMPLE


def _db(power_or_amplitude: float, power: bool) -> float:
    if power_or_amplitude <= 0:
        return SILENT
    return (10 if power else 20) * math.log10(power_or_amplitude)


@dataclass
class Measurement:
    """What a Meter saw: enough to combine with other chunks and gate the whole."""

    histogram: dict[int, int]
    """Loudness bin (LUFS / BIN, rounded) -> number of 400 ms blocks, above the absolute gate."""
    true_peak: float
    """dBTP (-inf for silence)."""
    frames: int

    def to_json(self) -> dict[str, Any]:
        """A compact record for job.json: "blocks" is "<first bin>:<count>,<count>,..." over consecutive bins
        (one string, so that job.json's indentation does not give every bin a line of its own)."""
        peak = None if self.true_peak == SILENT else round(self.true_peak, 2)
        blocks = ""
        if self.histogram:
            low, high = min(self.histogram), max(self.histogram)
            blocks = f"{low}:" + ",".join(str(self.histogram.get(b, 0)) for b in range(low, high + 1))
        return {"blocks": blocks, "true_peak": peak, "frames": self.frames}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Measurement":
        """Given what to_json wrote, return the Measurement; raise ValueError when it is malformed."""
        try:
            histogram = {}
            if data["blocks"]:
                low, counts = data["blocks"].split(":")
                histogram = {int(low) + i: int(n) for i, n in enumerate(counts.split(",")) if int(n)}
            peak = SILENT if data["true_peak"] is None else float(data["true_peak"])
            return cls(histogram, peak, int(data["frames"]))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"not a loudness record ({exc}): {str(data)[:80]}") from exc


class Meter:
    """Streams mono float audio; measures gated loudness and true peak, holding O(1) audio."""

    def __init__(self, samplerate: int):
        self.rate = samplerate
        self.step = round(samplerate * 0.1)
        self.sos = _k_weighting(samplerate)
        self.zi = np.zeros((self.sos.shape[0], 2))
        self.fir = _oversampling_filter()
        self.context = np.zeros(math.ceil(TRUE_PEAK_TAPS / OVERSAMPLE), dtype=np.float64)
        self.partial = np.zeros(0)  # weighted samples of the unfinished 100 ms step
        self.steps: list[float] = []  # mean squares of the last three whole steps
        self.histogram: dict[int, int] = {}
        self.peak = 0.0
        self.frames = 0

    def add(self, audio: np.ndarray) -> None:
        """Measure the next block of mono audio (float, full scale 1.0)."""
        x = np.asarray(audio, dtype=np.float64).reshape(-1)
        if not len(x):
            return
        self.frames += len(x)
        self._true_peak(x)
        from scipy import signal

        weighted, self.zi = signal.sosfilt(self.sos, x, zi=self.zi)
        weighted = np.concatenate([self.partial, weighted])
        whole = len(weighted) // self.step * self.step
        squares = (weighted[:whole].reshape(-1, self.step) ** 2).mean(axis=1)
        self.partial = weighted[whole:]
        self._blocks(squares)

    def _blocks(self, squares: np.ndarray) -> None:
        """Add each 400 ms block that ends at one of these new 100 ms steps to the histogram."""
        series = np.concatenate([self.steps, squares])
        if len(series) >= 4:
            blocks = np.lib.stride_tricks.sliding_window_view(series, 4).mean(axis=1)
            with np.errstate(divide="ignore"):
                loudness = -0.691 + 10 * np.log10(blocks)
            kept = loudness[loudness > ABSOLUTE_GATE]
            bins, counts = np.unique(np.rint(kept / BIN).astype(int), return_counts=True)
            for b, n in zip(bins.tolist(), counts.tolist()):
                self.histogram[b] = self.histogram.get(b, 0) + n
        self.steps = list(series[-3:])

    def _true_peak(self, x: np.ndarray) -> None:
        """Track the largest 4x-oversampled magnitude, with the previous block's tail as history."""
        joined = np.concatenate([self.context, x])
        from scipy import signal

        upsampled = signal.upfirdn(self.fir, joined, OVERSAMPLE)
        valid = upsampled[len(self.fir) - 1: len(joined) * OVERSAMPLE]
        self.peak = max(self.peak, float(np.abs(valid).max(initial=0.0)), float(np.abs(x).max()))
        self.context = joined[-len(self.context):]

    def result(self) -> Measurement:
        return Measurement(dict(self.histogram), _db(self.peak, power=False), self.frames)


def combine(measurements: Iterable[Measurement]) -> Measurement:
    """Given the measurements of consecutive pieces, return one for all of them."""
    histogram: dict[int, int] = {}
    peak, frames = SILENT, 0
    for m in measurements:
        for b, n in m.histogram.items():
            histogram[b] = histogram.get(b, 0) + n
        peak, frames = max(peak, m.true_peak), frames + m.frames
    return Measurement(histogram, peak, frames)


def integrated(m: Measurement) -> float:
    """Given a measurement, return its gated integrated loudness in LUFS (-inf when all is below the gate)."""
    if not m.histogram:
        return SILENT
    levels = np.array(sorted(m.histogram), dtype=np.float64) * BIN
    counts = np.array([m.histogram[b] for b in sorted(m.histogram)], dtype=np.float64)
    powers = 10 ** ((levels + 0.691) / 10)
    gate = -0.691 + 10 * math.log10((powers * counts).sum() / counts.sum()) + RELATIVE_GATE
    above = levels > gate
    return -0.691 + 10 * math.log10((powers[above] * counts[above]).sum() / counts[above].sum())


@dataclass(frozen=True)
class Gain:
    """The one gain applied to a whole book, and why."""

    gain_db: float
    before_lufs: float | None
    """Integrated loudness of the unprocessed book (None: silent)."""
    true_peak_before: float | None
    expected_lufs: float | None
    """Loudness after the gain."""
    limited_by_peak: bool
    """True when the gain was lowered to keep the true peak under the limit."""
    limiting_db: float = 0.0
    """How far the gain would take the loudest true peak past the limit; the soft limiter takes it back."""

    @property
    def factor(self) -> float:
        return 10 ** (self.gain_db / 20)

    def to_json(self) -> dict[str, Any]:
        return {"gain_db": self.gain_db, "before_lufs": self.before_lufs, "true_peak_before_dbtp": self.true_peak_before,
                "expected_lufs": self.expected_lufs, "limited_by_peak": self.limited_by_peak,
                "limiting_db": self.limiting_db}


def book_gain(m: Measurement, target: float | None, peak_limit: float, limiter_db: float = 0.0) -> Gain:
    """Given a book's measurement, a target (LUFS, None: no normalisation), a true-peak limit (dBTP) and the
    soft limiting allowed (dB), return the one gain for the book: target minus loudness, capped so the true
    peak goes at most limiter_db past the limit (the limiter then takes that back)."""
    loudness = integrated(m)
    before = None if loudness == SILENT else round(loudness, 2)
    peak = None if m.true_peak == SILENT else round(m.true_peak, 2)
    if target is None or before is None:
        return Gain(0.0, before, peak, before, False)
    gain = target - loudness
    allowed = peak_limit - m.true_peak + limiter_db
    limited = gain > allowed
    gain = math.floor(allowed * 100) / 100 if limited else round(gain, 2)
    limiting = max(0.0, round(m.true_peak + gain - peak_limit, 2))
    return Gain(gain, before, peak, round(loudness + gain, 2), limited, limiting)


@dataclass(frozen=True)
class Limiter:
    """A memoryless soft limiter: identity up to `knee`, then a tanh curve that never reaches `ceiling`."""

    knee: float
    ceiling: float
    """Both in full scale (1.0)."""

    @classmethod
    def for_peak(cls, peak_limit: float) -> "Limiter":
        """Given a true-peak limit (dBTP), return the limiter that keeps samples MARGIN_DB under it."""
        ceiling = peak_limit - MARGIN_DB
        return cls(10 ** ((ceiling - KNEE_DB) / 20), 10 ** (ceiling / 20))

    def apply(self, x: np.ndarray) -> np.ndarray:
        """Return x (float, full scale 1.0) with every sample past the knee bent under the ceiling."""
        magnitude = np.abs(x)
        over = magnitude > self.knee
        if not over.any():
            return x
        span = self.ceiling - self.knee
        bent = np.array(x, copy=True)
        bent[over] = np.sign(x[over]) * (self.knee + span * np.tanh((magnitude[over] - self.knee) / span))
        return bent
