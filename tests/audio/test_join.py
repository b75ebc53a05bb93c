"""The streamed join: exact pauses, click-free seams, block size, format mismatches, RF64, gain, limiter."""

import numpy as np
import pytest
import soundfile as sf

from kokoro_narrator.audio import join as audio
from kokoro_narrator.audio.join import Piece, concat_wavs
from kokoro_narrator.audio.wav import AudioError, silence, wav_info
from support.audio import RATE, chunk, dc, max_seam_jump, tone, zero_runs


def test_three_chunks_join_with_their_pauses(tmp_path):
    paths = [chunk(tmp_path / f"{n}.wav", tone(0.5 + n * 0.1)) for n in range(3)]
    out = tmp_path / "book.wav"
    result = concat_wavs([Piece(paths[0], 0.6), Piece(paths[1], 2.0), Piece(paths[2], 0.0)], out)
    headers = sum(p.stat().st_size - sf.info(p).frames * 2 for p in paths)
    assert out.stat().st_size > headers
    expected = sum(sf.info(p).frames for p in paths) + round(2.6 * RATE)
    assert result.frames == sf.info(out).frames == expected
    assert result.seconds == pytest.approx(expected / RATE)
    assert (result.format, sf.info(out).format, sf.info(out).subtype) == ("WAV", "WAV", "PCM_16")
    assert result.starts == pytest.approx((0.0, 0.5 + 0.6, 0.5 + 0.6 + 0.6 + 2.0))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0.wav", "1.wav", "2.wav", "book.wav"]


def test_the_join_keeps_each_chunks_samples_between_its_fades(tmp_path):
    first, second = tone(0.3, freq=300), tone(0.4, freq=440)
    paths = [chunk(tmp_path / "a.wav", first), chunk(tmp_path / "b.wav", second)]
    result = concat_wavs([Piece(paths[0], 0.25), Piece(paths[1], 0.0)], tmp_path / "book.wav")
    book, _ = sf.read(tmp_path / "book.wav", dtype="int16")
    a, _ = sf.read(paths[0], dtype="int16")
    b, _ = sf.read(paths[1], dtype="int16")
    start = round(result.starts[1] * RATE)
    assert np.array_equal(book[120:len(a) - 120], a[120:-120])
    assert np.array_equal(book[start + 120:start + len(b) - 120], b[120:-120])


def test_the_join_is_the_same_whatever_the_block_size(tmp_path, monkeypatch):
    paths = [chunk(tmp_path / f"{n}.wav", tone(0.3, freq=300 + 50 * n)) for n in range(3)]
    pieces = [Piece(paths[0], 0.01), Piece(paths[1], 0.0), Piece(paths[2], 0.0)]
    concat_wavs(pieces, tmp_path / "big-blocks.wav")
    monkeypatch.setattr(audio, "BLOCK_FRAMES", 37)  # fades (120 frames) and pauses span several blocks
    concat_wavs(pieces, tmp_path / "small-blocks.wav")
    assert (tmp_path / "big-blocks.wav").read_bytes() == (tmp_path / "small-blocks.wav").read_bytes()


def test_silence_lengths_are_exact(tmp_path):
    paths = [chunk(tmp_path / f"{n}.wav", dc(0.1, 0.25)) for n in range(3)]
    out = tmp_path / "book.wav"
    concat_wavs([Piece(paths[0], 0.6), Piece(paths[1], 2.0), Piece(paths[2], 0.0)], out)
    audio, _ = sf.read(out, dtype="float32")
    runs = zero_runs(audio)
    assert len(runs) == 2
    assert abs(runs[0] - 0.6 * RATE) <= 1 and abs(runs[1] - 2.0 * RATE) <= 1
    assert len(silence(0.6)) == 14400 and silence(0.6).dtype == np.float32


def test_a_negative_pause_is_rejected(tmp_path):
    path = chunk(tmp_path / "chunk_0001.wav", tone(0.1))
    with pytest.raises(AudioError, match="chunk_0001.wav pause_after"):
        concat_wavs([Piece(path, -0.5)], tmp_path / "out.wav")
    with pytest.raises(AudioError):
        silence(float("nan"))
    assert not (tmp_path / "out.wav").exists()


def test_seams_do_not_click(tmp_path):
    loud = chunk(tmp_path / "a.wav", dc(0.2, 0.8))
    quiet = chunk(tmp_path / "b.wav", dc(0.2, -0.8))
    sine = chunk(tmp_path / "c.wav", tone(0.2, level=0.9, freq=1000))
    out = tmp_path / "book.wav"
    result = concat_wavs([Piece(loud, 0.0), Piece(quiet, 0.0), Piece(sine, 0.0)], out)
    assert max_seam_jump(out, result.starts[1:]) < 0.05
    naive = tmp_path / "naive.wav"
    sf.write(naive, np.concatenate([dc(0.2, 0.8), dc(0.2, -0.8)]), RATE, subtype="PCM_16")
    assert max_seam_jump(naive, [0.2]) > 1.0  # what the fade prevents


def test_a_sample_rate_mismatch_is_rejected_naming_the_chunk(tmp_path):
    good = chunk(tmp_path / "chunk_0001.wav", tone(0.2))
    bad = chunk(tmp_path / "chunk_0002.wav", tone(0.2), rate=22050)
    with pytest.raises(AudioError, match="chunk_0002.wav: samplerate is 22050, but chunk_0001.wav has 24000"):
        concat_wavs([Piece(good, 0.1), Piece(bad, 0.0)], tmp_path / "out.wav")
    assert not (tmp_path / "out.wav").exists()


def test_a_channel_mismatch_is_rejected(tmp_path):
    good = chunk(tmp_path / "chunk_0001.wav", tone(0.2))
    stereo = tmp_path / "chunk_0002.wav"
    sf.write(stereo, np.zeros((4800, 2), dtype=np.float32), RATE, subtype="PCM_16")
    with pytest.raises(AudioError, match="chunk_0002.wav: channels is 2"):
        concat_wavs([Piece(good, 0.0), Piece(stereo, 0.0)], tmp_path / "out.wav")
    with pytest.raises(AudioError, match="no chunk WAVs"):
        concat_wavs([], tmp_path / "out.wav")


def test_past_the_riff_limit_the_output_becomes_rf64(tmp_path):
    paths = [chunk(tmp_path / f"{n}.wav", tone(0.3, freq=300 + n)) for n in range(2)]
    pieces = [Piece(paths[0], 0.1), Piece(paths[1], 0.0)]
    small = concat_wavs(pieces, tmp_path / "wav.wav")
    big = concat_wavs(pieces, tmp_path / "rf64.wav", rf64_threshold_bytes=10_000)
    assert (small.format, big.format) == ("WAV", "RF64")
    assert (sf.info(tmp_path / "wav.wav").format, sf.info(tmp_path / "rf64.wav").format) == ("WAV", "RF64")
    assert wav_info(tmp_path / "rf64.wav").frames == big.frames == small.frames
    riff, _ = sf.read(tmp_path / "wav.wav", dtype="int16")
    rf64, _ = sf.read(tmp_path / "rf64.wav", dtype="int16")
    assert np.array_equal(riff, rf64)


def test_the_join_uses_a_pieces_frame_range_and_puts_lead_silence_first(tmp_path):
    first = chunk(tmp_path / "a.wav", silence(0.5), tone(1.0), silence(0.5))
    last = chunk(tmp_path / "b.wav", tone(0.5, freq=330.0), silence(1.0))
    pieces = [Piece(first, 0.6, start=RATE // 2), Piece(last, 0.25, end=RATE // 2)]
    result = audio.concat_wavs(pieces, tmp_path / "book.wav", lead=0.3)
    assert result.frames == round((0.3 + 1.5 + 0.6 + 0.5 + 0.25) * RATE)
    assert result.starts == pytest.approx((0.3, 0.3 + 1.5 + 0.6))
    assert result.ends == pytest.approx((0.3 + 1.5, 0.3 + 1.5 + 0.6 + 0.5))
    samples, _ = sf.read(tmp_path / "book.wav", dtype="float32")
    assert not samples[:round(0.3 * RATE)].any()
    assert np.abs(samples[round(0.35 * RATE):round(0.4 * RATE)]).max() > 0.4  # the tone, right after the lead
    with pytest.raises(AudioError, match="not inside"):
        audio.concat_wavs([Piece(first, 0.0, start=10, end=5)], tmp_path / "bad.wav")


def test_the_join_scales_every_sample_by_the_books_gain_and_measures_what_it_writes(tmp_path):
    from kokoro_narrator.audio.loudness import Meter, integrated

    paths = [chunk(tmp_path / f"{n}.wav", tone(1.0, level=0.2, freq=200.0 + 100 * n)) for n in range(2)]
    pieces = [Piece(paths[0], 0.5), Piece(paths[1], 0.0)]
    plain = audio.concat_wavs(pieces, tmp_path / "plain.wav", meter=Meter(RATE))
    louder = audio.concat_wavs(pieces, tmp_path / "louder.wav", gain=2.0, meter=Meter(RATE))
    a, _ = sf.read(tmp_path / "plain.wav", dtype="int16")
    b, _ = sf.read(tmp_path / "louder.wav", dtype="int16")
    middle = slice(RATE // 4, RATE // 2)
    assert np.array_equal(b[middle], 2 * a[middle].astype(np.int32))
    assert integrated(louder.measurement) - integrated(plain.measurement) == pytest.approx(6.02, abs=0.05)
    assert louder.measurement.true_peak - plain.measurement.true_peak == pytest.approx(6.02, abs=0.05)


def test_the_join_with_a_limiter_keeps_the_true_peak_under_the_limit(tmp_path):
    from scipy.signal import resample_poly

    from kokoro_narrator.audio.loudness import Limiter

    loud = tone(1.0, level=0.9, freq=3000.0)
    path = chunk(tmp_path / "c.wav", loud)
    audio.concat_wavs([Piece(path, 0.0)], tmp_path / "book.wav", gain=1.5, limiter=Limiter.for_peak(-1.0))
    samples, _ = sf.read(tmp_path / "book.wav", dtype="float64")
    true_peak = 20 * np.log10(np.abs(resample_poly(samples, 8, 1)).max())  # an independent 8x oversampling
    assert true_peak < -1.0
