"""The acoustic model's numeric path: fp32, fp32 channels-last, or the generator in bf16 where the CPU has it natively."""

import dataclasses

import numpy as np
import pytest

from kokoro_narrator.synthesis.acoustic import cpu_has_native_bf16, resolve_precision
from kokoro_narrator.core.config import Config, KokoroConfig, TtsConfig
from kokoro_narrator.synthesis.engine import KokoroEngine
from kokoro_narrator.synthesis.channels_last import BF16_PATH, FP32_CL_PATH
from kokoro_narrator.jobs.identity import audio_settings, job_id

TEXT = "The decoder takes the time."


@pytest.fixture(scope="module")
def engines(tiny_settings):
    fp32 = KokoroEngine.load(dataclasses.replace(tiny_settings, precision="fp32"))
    bf16 = KokoroEngine.load(dataclasses.replace(tiny_settings, precision="bf16"))
    return fp32, bf16


@pytest.fixture(scope="module")
def fp32_cl(tiny_settings):
    return KokoroEngine.load(dataclasses.replace(tiny_settings, precision="fp32-cl"))


def speak(engine) -> np.ndarray:
    return np.concatenate([segment.audio for segment in engine.synthesize_chunk(TEXT)])


def test_bf16_keeps_every_phonemes_timing_and_stays_close_to_fp32(engines):
    fp32, bf16 = (speak(engine) for engine in engines)
    assert fp32.shape == bf16.shape  # the duration predictor is not touched
    assert not np.array_equal(fp32, bf16)  # the decoder really ran in bf16
    assert np.corrcoef(fp32, bf16)[0, 1] > 0.9  # tiny random weights; 0.999 with the real ones (bench/README.md)


def test_bf16_rounds_the_generator_but_not_its_last_convolution_nor_the_layers_before_it(engines):
    """conv_post's output is exponentiated into the spectrum: in bf16 it cost 8 points of WER."""
    import torch

    _, bf16 = engines
    decoder = bf16.acoustic.model.decoder
    seen = {}

    def record(name):
        def hook(module, inputs, output):
            seen.setdefault(name, output.dtype)  # returns None: the output is left as it is
        return hook

    watched = {"post": decoder.generator.conv_post, "upsampling": decoder.generator.ups[0],
               "residual": decoder.generator.resblocks[0].convs1[0], "frame rate": decoder.encode.conv1}
    handles = [module.register_forward_hook(record(name)) for name, module in watched.items()]
    try:
        speak(bf16)
    finally:
        for handle in handles:
            handle.remove()
    assert seen == {"post": torch.float32, "upsampling": torch.bfloat16, "residual": torch.bfloat16,
                    "frame rate": torch.float32}


def test_bf16_gives_the_same_samples_every_time(engines):
    _, bf16 = engines
    assert np.array_equal(speak(bf16), speak(bf16))  # resume can make a chunk again exactly


@pytest.mark.parametrize("flags, expected", [
    ("fpu sse avx512f avx512_bf16 avx512_vnni", True),
    ("fpu sse avx2 amx_bf16 amx_tile", True),
    ("fpu sse avx2 avx512f", False),
])
def test_native_bf16_is_read_from_the_cpu_flags(tmp_path, monkeypatch, flags, expected):
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nflags\t\t: {flags}\n")
    assert cpu_has_native_bf16(cpuinfo) is expected


@pytest.mark.parametrize("isa, expected", [("AVX2", False), ("avx512_core", False), ("AVX512_CORE_VNNI", False),
                                           ("AVX512_CORE_BF16", True), ("AVX512_CORE_AMX", True), ("ALL", True)])
def test_a_onednn_isa_cap_below_bf16_means_no_native_bf16(tmp_path, monkeypatch, isa, expected):
    """ONEDNN_MAX_CPU_ISA=AVX2 makes oneDNN emulate bf16 (7x slower than fp32): auto must not pick it then."""
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_bf16\n")
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", isa)
    assert cpu_has_native_bf16(cpuinfo) is expected


def test_auto_means_bf16_only_on_a_cpu_with_native_bf16(monkeypatch):
    from kokoro_narrator.synthesis import acoustic

    cpu = KokoroConfig(device="cpu", precision="auto")
    monkeypatch.setattr(acoustic, "cpu_has_native_bf16", lambda: True)
    assert resolve_precision(cpu) == "bf16"
    assert resolve_precision(dataclasses.replace(cpu, device="cuda")) == "fp32"  # not measured on GPUs
    assert resolve_precision(dataclasses.replace(cpu, precision="fp32")) == "fp32"
    assert resolve_precision(dataclasses.replace(cpu, backend="onnx", onnx_model="m.onnx")) == "onnx"
    monkeypatch.setattr(acoustic, "cpu_has_native_bf16", lambda: False)
    assert resolve_precision(cpu) == "fp32-cl"
    assert resolve_precision(dataclasses.replace(cpu, precision="fp32")) == "fp32"
    assert resolve_precision(dataclasses.replace(cpu, precision="bf16")) == "bf16"  # asked for: emulated, but done


def test_fp32_cl_is_a_cpu_layout_so_on_a_gpu_it_is_fp32(monkeypatch):
    import torch

    cpu = KokoroConfig(device="cpu", precision="fp32-cl")
    assert resolve_precision(cpu) == "fp32-cl"
    assert resolve_precision(dataclasses.replace(cpu, device="cuda")) == "fp32"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # a CUDA or ROCm torch, which cannot exist here
    assert resolve_precision(dataclasses.replace(cpu, device="auto")) == "fp32"
    assert resolve_precision(dataclasses.replace(cpu, device="auto", precision="auto")) == "fp32"


def test_another_numeric_path_makes_another_job():
    def identity(precision: str) -> str:
        config = Config(tts=TtsConfig(kokoro=KokoroConfig(device="cpu", precision=precision)))
        return job_id("book.txt", "0" * 64, audio_settings(config))

    assert len({identity("fp32"), identity("fp32-cl"), identity("bf16")}) == 3
    # the bf16 path is recorded by name: jobs made on an older bf16 path are not resumed on this one
    config = Config(tts=TtsConfig(kokoro=KokoroConfig(device="cpu", precision="bf16")))
    assert audio_settings(config)["precision"] == BF16_PATH != "bf16"
    config = Config(tts=TtsConfig(kokoro=KokoroConfig(device="cpu", precision="fp32-cl")))
    assert audio_settings(config)["precision"] == FP32_CL_PATH != "fp32-cl"


def test_the_onnx_backend_feeds_tokens_padded_with_zeros_the_style_row_and_the_speed():
    """The ONNX export's inputs, as kokoro-onnx feeds them (the session records what it gets)."""
    import torch

    from kokoro_narrator.synthesis.acoustic import OnnxAcoustic

    class Session:
        def run(self, outputs, feeds):
            self.feeds = feeds
            return [np.ones((1, 480), dtype=np.float64)]

    acoustic = OnnxAcoustic.__new__(OnnxAcoustic)  # no .onnx file here: only the session is stood in for
    acoustic.session, acoustic.vocab = Session(), {"h": 50, "ə": 83, "l": 54}
    audio = acoustic("hə?l", torch.arange(256, dtype=torch.float32).reshape(1, 256), 1.25)
    feeds = acoustic.session.feeds
    assert feeds["tokens"].tolist() == [[0, 50, 83, 54, 0]]  # a phoneme outside the vocabulary is skipped
    assert feeds["tokens"].dtype == np.int64
    assert feeds["style"].shape == (1, 256) and feeds["style"].dtype == np.float32 and feeds["style"][0, 3] == 3
    assert feeds["speed"].tolist() == [1.25] and feeds["speed"].dtype == np.float32
    assert audio.shape == (480,) and audio.dtype == np.float32


def test_the_onnx_backend_without_onnxruntime_is_a_clear_error(monkeypatch, tmp_path):
    import builtins

    from kokoro_narrator.synthesis.acoustic import EngineError, OnnxAcoustic

    real_import = builtins.__import__

    def no_onnxruntime(name, *args, **kwargs):
        if name == "onnxruntime":
            raise ImportError("No module named 'onnxruntime'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_onnxruntime)
    with pytest.raises(EngineError, match=r'pip install "kokoro-narrator\[onnx\]"'):
        OnnxAcoustic(tmp_path / "model.onnx", {})


def test_the_default_is_bf16_only_where_the_cpu_computes_it_natively(monkeypatch):
    """The generator in bf16 matched fp32's word error rate in the quality bench (bench/README.md); elsewhere
    fp32 channels-last, which is fp32 but for the order of its sums."""
    from kokoro_narrator.synthesis import acoustic

    default = KokoroConfig(device="cpu")
    monkeypatch.setattr(acoustic, "cpu_has_native_bf16", lambda: True)
    assert resolve_precision(default) == "bf16"
    monkeypatch.setattr(acoustic, "cpu_has_native_bf16", lambda: False)
    assert resolve_precision(default) == "fp32-cl"


def test_bf16_runs_the_generator_channels_last_so_no_convolution_changes_the_layout(engines):
    """oneDNN's bf16 convolutions are up to 1.6x faster channels-last (channels_last.py)."""
    import torch

    _, bf16 = engines
    generator = bf16.acoustic.model.decoder.generator
    strides, last_stage = [], []
    handles = [
        generator.resblocks[0].convs1[0].register_forward_hook(
            lambda module, inputs, output: strides.append(output.stride())),
        # the last stage's input comes through the reflection pad, which autocast would make fp32
        generator.resblocks[-1].register_forward_hook(
            lambda module, inputs, output: last_stage.append((inputs[0].dtype, inputs[0].stride()[1]))),
    ]
    try:
        speak(bf16)
    finally:
        for handle in handles:
            handle.remove()
    assert strides and all(stride[1] == 1 for stride in strides)  # channels innermost
    assert last_stage and set(last_stage) == {(torch.bfloat16, 1)}


def test_a_generator_that_computes_otherwise_keeps_the_plain_bf16_path(tiny_settings, monkeypatch, caplog):
    import logging

    from kokoro_narrator.synthesis import channels_last

    monkeypatch.setattr(channels_last, "_adain", lambda layer, x, style: x)  # as if kokoro's AdaIN had changed
    with caplog.at_level(logging.WARNING, logger="kokoro_narrator.synthesis.channels_last"):
        engine = KokoroEngine.load(dataclasses.replace(tiny_settings, precision="bf16"))
    assert "without the channels-last layout" in caplog.text
    block = engine.acoustic.model.decoder.generator.resblocks[0]
    assert block.forward == block.plain_forward  # kokoro's block (with the exact fast path) still runs
    assert speak(engine).size > 0


def test_fp32_cl_equals_fp32_but_for_the_order_of_its_sums(engines, fp32_cl):
    fp32, _ = engines
    ours, theirs = speak(fp32_cl), speak(fp32)
    assert ours.shape == theirs.shape  # every phoneme keeps its timing
    assert not np.array_equal(ours, theirs)  # the channels-last layout really ran
    assert np.linalg.norm(ours - theirs) <= 1e-4 * np.linalg.norm(theirs)  # 95 dB with the real weights


def test_fp32_cl_gives_the_same_samples_every_time(fp32_cl):
    assert np.array_equal(speak(fp32_cl), speak(fp32_cl))  # resume can make a chunk again exactly


def test_fp32_cl_keeps_fp32_and_channels_last_through_the_generator_and_its_last_convolution(fp32_cl):
    import torch

    generator = fp32_cl.acoustic.model.decoder.generator
    seen = []
    handles = [generator.resblocks[0].convs1[0].register_forward_hook(
                   lambda module, inputs, output: seen.append(("conv", output.dtype, output.stride()[1]))),
               generator.conv_post.register_forward_hook(
                   lambda module, inputs, output: seen.append(("post", output.dtype, None)))]
    try:
        speak(fp32_cl)
    finally:
        for handle in handles:
            handle.remove()
    assert {("conv", torch.float32, 1), ("post", torch.float32, None)} == set(seen)


def test_a_generator_that_computes_otherwise_keeps_kokoros_layout_in_fp32_cl(tiny_settings, monkeypatch, caplog):
    import logging

    from kokoro_narrator.synthesis import channels_last

    monkeypatch.setattr(channels_last, "_snake", lambda x, alpha: x)  # as if kokoro's Snake had changed
    with caplog.at_level(logging.WARNING, logger="kokoro_narrator.synthesis.channels_last"):
        engine = KokoroEngine.load(dataclasses.replace(tiny_settings, precision="fp32-cl"))
    assert "fp32-cl runs it in kokoro's own layout" in caplog.text
    block = engine.acoustic.model.decoder.generator.resblocks[0]
    assert block.forward == block.plain_forward
    assert speak(engine).size > 0
