"""Building KModel without random initialisation gives exactly the model kokoro builds."""

import logging

import pytest
import torch

from kokoro_narrator.synthesis.modelload import build_kmodel, unset_tensors


def kmodel(settings, weights=None):
    from kokoro import KModel

    return KModel(repo_id="hexgrad/Kokoro-82M", config=str(settings.model_config),
                  model=str(weights or settings.model_weights))


def test_the_fast_build_holds_exactly_kokoros_parameters_and_buffers(tiny_settings):
    ordinary = kmodel(tiny_settings).state_dict()
    fast = build_kmodel(lambda: kmodel(tiny_settings)).state_dict()
    assert ordinary.keys() == fast.keys()
    assert all(torch.equal(ordinary[name], fast[name]) for name in ordinary)


def test_initialisers_and_torch_load_are_themselves_again_afterwards(tiny_settings):
    import torch.utils.serialization as serialization

    uniform = torch.nn.init.uniform_
    build_kmodel(lambda: kmodel(tiny_settings))
    assert torch.nn.init.uniform_ is uniform
    assert serialization.config.load.mmap is False
    assert not torch.isnan(torch.nn.init.kaiming_uniform_(torch.empty(4, 4))).any()


def test_a_checkpoint_that_lacks_a_layer_is_built_again_the_ordinary_way(tiny_settings, tmp_path, caplog):
    """kokoro leaves what a checkpoint lacks at its random start; NaN must never reach the audio."""
    checkpoint = torch.load(tiny_settings.model_weights, weights_only=True)
    del checkpoint["decoder"]["generator.conv_post.bias"]
    partial = tmp_path / "partial.pth"
    torch.save(checkpoint, partial)
    with caplog.at_level(logging.WARNING, logger="kokoro_narrator.synthesis.modelload"):
        model = build_kmodel(lambda: kmodel(tiny_settings, partial))
    assert unset_tensors(model) == []
    assert "building the model again the ordinary way" in caplog.text


def test_unset_tensors_names_what_holds_a_nan():
    layer = torch.nn.Linear(2, 2)
    with torch.no_grad():
        layer.bias[1] = float("nan")
    assert unset_tensors(layer) == ["bias"]


@pytest.mark.parametrize("precision", ["fp32", "fp32-cl", "bf16"])
def test_the_engine_speaks_the_same_samples_as_before(tiny_settings, precision):
    """The engine loads through build_kmodel: its audio equals a model that kokoro built itself."""
    import dataclasses

    import numpy as np

    from kokoro_narrator.synthesis.engine import KokoroEngine, seed_for
    from kokoro_narrator.synthesis.channels_last import generator_channels_last, generator_in_bf16
    from kokoro_narrator.synthesis.fastpath import speed_up

    settings = dataclasses.replace(tiny_settings, precision=precision)
    engine = KokoroEngine.load(settings)
    reference = kmodel(tiny_settings).eval()
    speed_up(reference)
    if precision == "bf16":
        generator_in_bf16(reference)
    elif precision == "fp32-cl":
        assert generator_channels_last(reference)
    pack = engine.voice_pack(settings.voice)
    phonemes = "hˈɛloʊ wˈɜɹld"
    torch.manual_seed(seed_for(1))
    ours = engine.acoustic(phonemes, pack[len(phonemes) - 1], 1.0)
    torch.manual_seed(seed_for(1))
    with torch.inference_mode():
        theirs = reference(phonemes, pack[len(phonemes) - 1], 1.0).numpy().reshape(-1)
    assert np.array_equal(ours, theirs)
