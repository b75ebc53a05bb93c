"""Opt-in: the real Kokoro-82M weights speak intelligibly through the product's engine.

    make offline-weights && make test-real-weights      (KOKORO_TTS_WEIGHTS=weights, ~1 min)

Transcribed offline with PocketSphinx, which is reliable on short plain sentences.

What it proves: with the real weights (not the tiny random model every other test uses), the
engine's whole path from text to audio (G2P, model, voice pack) gives speech a recognizer
understands. The only test that needs them: marker `realweights`, not run by default.
"""

import os
import re
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.realweights

SENTENCES = ["Please call me when you get home tonight.", "She opened the door and walked into the room."]


def words(text: str) -> list[str]:
    return re.sub(r"[^a-z' ]", " ", text.lower()).split()


def word_errors(ref: list[str], hyp: list[str]) -> int:
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        previous, row = row, [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (r != h))
    return row[-1]


def test_two_sentences_are_understood_with_a_word_error_rate_below_25_percent():
    weights = Path(os.environ.get("KOKORO_TTS_WEIGHTS", "weights"))
    if not (weights / "kokoro-v1_0-dequant.pth").exists():
        pytest.skip(f"no real weights in {weights} (make offline-weights)")
    pocketsphinx = pytest.importorskip("pocketsphinx")
    soxr = pytest.importorskip("soxr")
    from kokoro_narrator.core.config import KokoroConfig
    from kokoro_narrator.synthesis.engine import KokoroEngine

    engine = KokoroEngine.load(KokoroConfig(voice="jf_gongitsune", model_config=weights / "config.json",
                                            model_weights=weights / "kokoro-v1_0-dequant.pth",
                                            voices_dir=weights / "voices"))
    decoder = pocketsphinx.Decoder()
    errors = total = 0
    for sentence in SENTENCES:
        audio = np.concatenate([s.audio for s in engine.synthesize_chunk(sentence)])
        pcm = soxr.resample(audio, 24000, 16000)
        pcm = (np.clip(pcm / np.abs(pcm).max() * 0.9, -1, 1) * 32767).astype(np.int16)
        decoder.start_utt()
        decoder.process_raw(pcm.tobytes(), full_utt=True)
        decoder.end_utt()
        heard = words(decoder.hyp().hypstr if decoder.hyp() else "")
        errors += word_errors(words(sentence), heard)
        total += len(words(sentence))
    assert errors / total < 0.25, f"word error rate {errors}/{total}"
