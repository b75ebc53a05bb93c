import numpy as np
import pytest
import soundfile as sf

from kokoro_tts.audio import (AudioError, Piece, concat_wavs, max_seam_jump, silence, wav_info,
                              write_chunk_wav)

RATE = 24000


def tone(seconds: float, level: float = 0.5, freq: float = 220.0) -> np.ndarray:
    t = np.arange(round(seconds * RATE), dtype=np.float32) / RATE
    return (level * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def chunk(path, *segments, rate=RATE):
    if rate == RATE:
        write_chunk_wav(path, segments)
    else:
        sf.write(path, np.concatenate(segments), rate, subtype="PCM_16")
    return path


def zero_runs(samples: np.ndarray) -> list[int]:
    """Lengths of runs of exact zeros."""
    runs, current = [], 0
    for is_zero in samples == 0:
        if is_zero:
            current += 1
        elif current:
            runs.append(current)
            current = 0
    return runs + ([current] if current else [])


def test_a_chunk_wav_is_24khz_mono_16bit_with_every_segment(tmp_path):
    info = write_chunk_wav(tmp_path / "c.wav", iter([tone(0.5), tone(0.25)]))
    assert (info.samplerate, info.channels, info.subtype) == (RATE, 1, "PCM_16")
    assert info.frames == round(0.75 * RATE)


def test_three_chunks_join_with_their_pauses(tmp_path):
    paths = [chunk(tmp_path / f"{n}.wav", tone(0.5 + n * 0.1)) for n in range(3)]
    out = tmp_path / "book.wav"
    result = concat_wavs([Piece(paths[0], 0.6), Piece(paths[1], 2.0), Piece(paths[2], 0.0)], out)
    headers = sum(p.stat().st_size - sf.info(p).frames * 2 for p in paths)
    assert out.stat().st_size > headers
    expected = sum(sf.info(p).frames for p in paths) + round(2.6 * RATE)
    assert result.frames == sf.info(out).frames == expected
    assert result.starts == pytest.approx((0.0, 0.5 + 0.6, 0.5 + 0.6 + 0.6 + 2.0))


def test_silence_lengths_are_exact(tmp_path):
    paths = [chunk(tmp_path / f"{n}.wav", np.full(2400, 0.25, dtype=np.float32)) for n in range(3)]
    out = tmp_path / "book.wav"
    concat_wavs([Piece(paths[0], 0.6), Piece(paths[1], 2.0), Piece(paths[2], 0.0)], out)
    audio, _ = sf.read(out, dtype="float32")
    long_runs = [run for run in zero_runs(audio) if run > 100]
    # each pause, plus at most a few edge samples that the seam fade brings to zero
    assert len(long_runs) == 2
    assert abs(long_runs[0] - 0.6 * RATE) <= 6 and abs(long_runs[1] - 2.0 * RATE) <= 6
    assert len(silence(0.6)) == 14400


def test_seams_do_not_click(tmp_path):
    loud = chunk(tmp_path / "a.wav", np.full(4800, 0.8, dtype=np.float32))
    quiet = chunk(tmp_path / "b.wav", np.full(4800, -0.8, dtype=np.float32))
    out = tmp_path / "book.wav"
    result = concat_wavs([Piece(loud, 0.0), Piece(quiet, 0.0)], out)
    assert max_seam_jump(out, [result.starts[1]]) < 0.05
    naive = tmp_path / "naive.wav"
    sf.write(naive, np.concatenate([np.full(4800, 0.8), np.full(4800, -0.8)]), RATE, subtype="PCM_16")
    assert max_seam_jump(naive, [0.2]) > 1.0  # what the fade prevents


def test_a_sample_rate_mismatch_is_rejected_naming_the_chunk(tmp_path):
    good = chunk(tmp_path / "chunk_0001.wav", tone(0.2))
    bad = chunk(tmp_path / "chunk_0002.wav", tone(0.2), rate=22050)
    with pytest.raises(AudioError, match="chunk_0002.wav: samplerate is 22050"):
        concat_wavs([Piece(good, 0.1), Piece(bad, 0.0)], tmp_path / "out.wav")
    assert not (tmp_path / "out.wav").exists()


def test_a_channel_mismatch_is_rejected(tmp_path):
    good = chunk(tmp_path / "chunk_0001.wav", tone(0.2))
    stereo = tmp_path / "chunk_0002.wav"
    sf.write(stereo, np.zeros((4800, 2), dtype=np.float32), RATE, subtype="PCM_16")
    with pytest.raises(AudioError, match="chunk_0002.wav: channels is 2"):
        concat_wavs([Piece(good, 0.0), Piece(stereo, 0.0)], tmp_path / "out.wav")


def test_past_the_riff_limit_the_output_becomes_rf64(tmp_path):
    paths = [chunk(tmp_path / f"{n}.wav", tone(0.3, freq=300 + n)) for n in range(2)]
    small = concat_wavs([Piece(paths[0], 0.1), Piece(paths[1], 0.0)], tmp_path / "wav.wav")
    big = concat_wavs([Piece(paths[0], 0.1), Piece(paths[1], 0.0)], tmp_path / "rf64.wav", rf64_threshold_bytes=10_000)
    assert (small.format, big.format) == ("WAV", "RF64")
    assert sf.info(tmp_path / "rf64.wav").format == "RF64"
    assert np.array_equal(sf.read(tmp_path / "wav.wav")[0], sf.read(tmp_path / "rf64.wav")[0])


def test_a_damaged_wav_is_an_audio_error(tmp_path):
    path = chunk(tmp_path / "c.wav", tone(0.2))
    path.write_bytes(path.read_bytes()[:20])
    with pytest.raises(AudioError, match="c.wav: not a readable WAV"):
        wav_info(path)
