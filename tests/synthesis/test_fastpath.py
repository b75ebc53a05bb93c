"""The fast path must leave every sample as kokoro's own code makes it."""

import types

import numpy as np
import torch
from kokoro.istftnet import AdaINResBlock1

from kokoro_narrator.synthesis import fastpath


def _kmodel(tiny_settings):
    from kokoro import KModel

    return KModel(repo_id="hexgrad/Kokoro-82M", config=str(tiny_settings.model_config),
                  model=str(tiny_settings.model_weights)).eval()


def _speak(model, voice_pack, phonemes="ðɪs ɪz ə tˈɛst."):
    torch.manual_seed(7)
    with torch.inference_mode():
        return model(phonemes, voice_pack[len(phonemes) - 1], 1.0).numpy()


def test_the_fast_path_gives_bit_identical_audio(tiny_settings):
    voice_pack = torch.load(tiny_settings.voices_dir / f"{tiny_settings.voice}.pt", weights_only=True)
    model = _kmodel(tiny_settings)
    expected = _speak(model, voice_pack)
    assert fastpath.fold_weight_norm(model) > 0
    assert fastpath.speed_up_residual_blocks(model) > 0
    assert all(isinstance(m.forward, types.MethodType) and m.forward.__func__ is fastpath._residual_block_forward
               for m in model.modules() if isinstance(m, AdaINResBlock1))
    assert np.array_equal(_speak(model, voice_pack), expected)


def test_snake_in_blocks_equals_the_formula(monkeypatch):
    monkeypatch.setattr(fastpath, "SNAKE_BLOCK_BYTES", 3 * 50 * 4)  # 3 channels a block, last block short
    x = torch.randn(1, 8, 50)
    alpha = torch.rand(1, 8, 1) + 0.5
    assert torch.equal(fastpath._snake(x, alpha), x + (1 / alpha) * (torch.sin(alpha * x) ** 2))


def test_blocks_that_compute_differently_keep_kokoros_code(tiny_settings, monkeypatch, caplog):
    model = _kmodel(tiny_settings)
    monkeypatch.setattr(AdaINResBlock1, "forward", lambda self, x, s: x * 2)  # a future kokoro, say
    assert fastpath.speed_up_residual_blocks(model) == 0
    assert "keeping kokoro's code" in caplog.text
    assert not any("forward" in vars(m) for m in model.modules() if isinstance(m, AdaINResBlock1))


def test_the_new_parametrized_weight_norm_is_folded_with_the_same_output():
    """kokoro's main branch uses torch.nn.utils.parametrizations.weight_norm: fold it too."""
    torch.manual_seed(3)
    net = torch.nn.Sequential(torch.nn.utils.parametrizations.weight_norm(torch.nn.Conv1d(4, 6, 3)))
    x = torch.randn(1, 4, 40)
    with torch.inference_mode():
        expected = net(x)
    assert fastpath.fold_weight_norm(net) == 1
    assert not torch.nn.utils.parametrize.is_parametrized(net[0])
    with torch.inference_mode():
        assert torch.equal(net(x), expected)


def test_a_model_the_fast_path_cannot_fold_is_logged_at_info(caplog):
    caplog.set_level("INFO", logger="kokoro_narrator.synthesis.fastpath")
    fastpath.speed_up(torch.nn.Sequential(torch.nn.Conv1d(2, 2, 1)))
    assert any(r.levelname == "INFO" and "slower" in r.getMessage() for r in caplog.records)
