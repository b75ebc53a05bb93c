"""Chunk WAVs: format, every segment kept, bad samples, fades, damaged files, edge silence, measuring."""

import numpy as np
import pytest
import soundfile as sf

from kokoro_narrator.audio import wav as audio
from kokoro_narrator.audio.wav import AudioError, fade_edges, silence, wav_info, write_chunk_wav
from support.audio import RATE, chunk, dc, tone

def test_a_chunk_wav_is_24khz_mono_16bit_with_every_segment(tmp_path):
    info = write_chunk_wav(tmp_path / "c.wav", iter([tone(0.5), silence(0.3), tone(0.25)]))
    assert (info.samplerate, info.channels, info.subtype, info.format) == (RATE, 1, "PCM_16", "WAV")
    assert info.frames == sf.info(tmp_path / "c.wav").frames == round(1.05 * RATE)
    assert info.seconds == pytest.approx(1.05)
    audio, _ = sf.read(tmp_path / "c.wav", dtype="float32")
    middle = slice(RATE // 10, RATE // 5)  # away from the faded edges the samples are the tone's
    assert np.allclose(audio[middle], tone(0.5)[middle], atol=1 / 32768)


def test_a_chunk_wav_with_a_failing_source_is_not_written(tmp_path):
    def segments():
        yield tone(0.2)
        raise RuntimeError("model crashed")

    with pytest.raises(RuntimeError, match="model crashed"):
        write_chunk_wav(tmp_path / "c.wav", segments())
    assert list(tmp_path.iterdir()) == []


def test_non_finite_samples_become_silence_not_a_full_scale_click(tmp_path):
    audio = tone(0.1)
    audio[1000:1010] = np.nan
    audio[2000] = np.inf
    write_chunk_wav(tmp_path / "c.wav", [audio])
    written, _ = sf.read(tmp_path / "c.wav", dtype="float32")
    assert np.all(written[1000:1010] == 0) and written[2000] == 0
    assert np.abs(written).max() <= 0.5 + 1 / 32768


def test_stereo_segments_are_rejected(tmp_path):
    with pytest.raises(AudioError, match="c.wav: segment 0 has shape"):
        write_chunk_wav(tmp_path / "c.wav", [np.zeros((100, 2), dtype=np.float32)])
    assert list(tmp_path.iterdir()) == []


def test_fade_edges_is_a_short_raised_cosine_that_never_reaches_zero():
    faded = fade_edges(dc(0.1, 1.0), fade_ms=5.0)
    fade = 120
    assert 0 < faded[0] < 0.001 and 0 < faded[-1] < 0.001
    assert np.all(np.diff(faded[:fade]) > 0) and np.all(faded[fade:-fade] == 1.0)
    assert faded[fade // 2] == pytest.approx(0.5, abs=0.01)  # the cosine's midpoint
    assert np.allclose(faded[:fade], faded[::-1][:fade])  # symmetric in and out


def test_a_damaged_wav_is_an_audio_error(tmp_path):
    path = chunk(tmp_path / "c.wav", tone(0.2))
    path.write_bytes(path.read_bytes()[:20])
    with pytest.raises(AudioError, match="c.wav: not a readable WAV"):
        wav_info(path)
    with pytest.raises(AudioError, match="missing.wav: not a readable WAV"):
        wav_info(tmp_path / "missing.wav")


def test_sound_bounds_finds_the_first_and_last_sound_past_the_models_edge_silence(tmp_path):
    hiss = (np.random.default_rng(0).normal(size=RATE) * 1e-4).astype(np.float32)
    path = chunk(tmp_path / "c.wav", hiss, tone(1.0), hiss[:RATE // 2])
    first, end = audio.sound_bounds(path, 10 ** (-50 / 20))
    assert first == pytest.approx(RATE, abs=RATE // 100)
    assert end == pytest.approx(2 * RATE, abs=RATE // 100)
    assert audio.sound_bounds(chunk(tmp_path / "quiet.wav", hiss), 10 ** (-50 / 20)) == (0, 0)


def test_measure_wav_streams_a_chunk_through_the_meter(tmp_path):
    import pyloudnorm

    path = chunk(tmp_path / "c.wav", tone(3.0, level=0.1), silence(1.0), tone(2.0, level=0.3, freq=440.0))
    from kokoro_narrator.audio.loudness import integrated

    samples, _ = sf.read(path, dtype="float64")
    assert integrated(audio.measure_wav(path)) == pytest.approx(pyloudnorm.Meter(RATE).integrated_loudness(samples),
                                                               abs=0.2)
    with pytest.raises(AudioError, match="not a readable WAV"):
        audio.measure_wav(tmp_path / "missing.wav")
