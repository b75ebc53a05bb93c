"""Loudness: the streamed BS.1770 meter against pyloudnorm, chunk records that add up, the one book gain."""

import numpy as np
import pyloudnorm
import pytest

from kokoro_narrator.audio.loudness import Measurement, Meter, book_gain, combine, integrated

RATE = 24000


def speechlike(seconds: float, seed: int = 0, level: float = 0.1) -> np.ndarray:
    """Bursts of modulated noise and tone with silent gaps, like speech with pauses."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    envelope = np.clip(np.sin(2 * np.pi * 0.7 * t), 0, None) ** 2
    voice = np.sin(2 * np.pi * (180 + 40 * np.sin(2 * np.pi * 3 * t)) * t) + 0.3 * rng.normal(size=len(t))
    return (level * envelope * voice).astype(np.float32)


def measure(audio: np.ndarray, block: int = 10_000) -> Measurement:
    meter = Meter(RATE)
    for start in range(0, len(audio), block):
        meter.add(audio[start:start + block])
    return meter.result()


@pytest.mark.parametrize("level", [0.02, 0.1, 0.5])
def test_the_streamed_meter_agrees_with_pyloudnorm_within_a_fifth_of_a_lu(level):
    audio = speechlike(20.0, level=level)
    reference = pyloudnorm.Meter(RATE).integrated_loudness(audio.astype(np.float64))
    assert integrated(measure(audio)) == pytest.approx(reference, abs=0.2)


def test_block_size_does_not_change_the_measurement():
    audio = speechlike(12.0)
    assert measure(audio, 997).histogram == measure(audio, 65536).histogram == measure(audio, len(audio)).histogram


def test_chunks_measured_apart_add_up_to_the_whole_book():
    book = [speechlike(8.0, seed=n, level=0.05 * (n + 1)) for n in range(4)]
    whole = integrated(measure(np.concatenate(book)))
    assert integrated(combine(measure(chunk) for chunk in book)) == pytest.approx(whole, abs=0.1)


def test_silence_measures_as_silent_and_gets_no_gain():
    silent = measure(np.zeros(RATE * 3, dtype=np.float32))
    assert integrated(silent) == -np.inf and silent.histogram == {}
    gain = book_gain(silent, -18.0, -1.0)
    assert gain.gain_db == 0.0 and gain.before_lufs is None


def test_the_true_peak_sees_between_the_samples():
    """A quarter-rate sine sampled at 45 degrees: every sample is at 0.707, the wave peaks at 1.0."""
    n = np.arange(RATE)
    audio = np.sin(2 * np.pi * n / 4 + np.pi / 4).astype(np.float32)
    peak = measure(audio).true_peak
    sample_peak = 20 * np.log10(np.abs(audio).max())
    assert sample_peak == pytest.approx(-3.01, abs=0.05)
    assert peak == pytest.approx(0.0, abs=0.3)


def test_the_gain_reaches_the_target_when_the_peak_allows():
    m = measure(speechlike(10.0, level=0.05))
    gain = book_gain(m, -18.0, -1.0)
    assert not gain.limited_by_peak
    assert gain.before_lufs + gain.gain_db == pytest.approx(-18.0, abs=0.01)
    assert gain.expected_lufs == pytest.approx(-18.0, abs=0.01)


def test_the_gain_is_capped_so_the_true_peak_stays_under_the_limit():
    audio = speechlike(10.0, level=0.01)
    audio[RATE] = 0.9  # one click: quiet book, loud peak
    m = measure(audio)
    gain = book_gain(m, -18.0, -1.0)
    assert gain.limited_by_peak
    assert m.true_peak + gain.gain_db <= -1.0
    assert gain.expected_lufs < -18.0


def test_loudness_false_measures_but_applies_no_gain():
    m = measure(speechlike(5.0))
    gain = book_gain(m, None, -1.0)
    assert gain.gain_db == 0.0 and gain.expected_lufs == gain.before_lufs is not None


def test_a_measurement_survives_job_json_and_a_damaged_one_is_refused():
    m = measure(speechlike(5.0))
    again = Measurement.from_json(m.to_json())
    assert again.histogram == m.histogram and again.frames == m.frames
    assert again.true_peak == pytest.approx(m.true_peak, abs=0.01)
    with pytest.raises(ValueError, match="not a loudness record"):
        Measurement.from_json({"blocks": "nonsense"})


def test_a_chunks_record_stays_small_in_the_indented_job_json():
    import json

    m = measure(speechlike(120.0, level=0.2) + speechlike(120.0, seed=1, level=0.01))
    assert len(m.histogram) > 50
    assert len(json.dumps(m.to_json(), indent=2)) < 8 * len(m.histogram) + 200


def test_within_the_limiter_allowance_the_gain_reaches_the_target_and_says_how_much_is_limited():
    audio = speechlike(10.0, level=0.01)
    audio[RATE] = 0.5  # one click
    m = measure(audio)
    needed = -18.0 - integrated(m)
    allowance = m.true_peak + needed - (-1.0) + 0.5  # just enough, and a little more
    gain = book_gain(m, -18.0, -1.0, limiter_db=allowance)
    assert not gain.limited_by_peak and gain.expected_lufs == pytest.approx(-18.0, abs=0.01)
    assert gain.limiting_db == pytest.approx(m.true_peak + gain.gain_db + 1.0, abs=0.02) and gain.limiting_db > 0
    short = book_gain(m, -18.0, -1.0, limiter_db=allowance - 1.0)
    assert short.limited_by_peak and short.limiting_db == pytest.approx(allowance - 1.0, abs=0.02)


def test_the_soft_limiter_leaves_quiet_samples_alone_and_keeps_loud_ones_under_its_ceiling():
    from kokoro_narrator.audio.loudness import Limiter

    limiter = Limiter.for_peak(-1.0)
    x = np.linspace(-2.0, 2.0, 4001, dtype=np.float32)
    y = limiter.apply(x)
    quiet = np.abs(x) <= limiter.knee
    assert np.array_equal(y[quiet], x[quiet])
    assert np.abs(y).max() < limiter.ceiling == pytest.approx(10 ** (-1.5 / 20))
    assert np.all(np.diff(y) > 0)  # monotonic: no fold-over distortion
