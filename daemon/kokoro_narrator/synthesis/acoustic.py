"""The acoustic model: phonemes + a voice's style row -> audio, on torch (CPU or GPU) or ONNX Runtime.

`load_acoustic(settings)` picks the device, loads the weights once (local files when
configured, else kokoro downloads them from the hub, its normal path) and returns a callable
`acoustic(phonemes, style, speed) -> float32 samples at 24 kHz`.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np

from ..core import KokoroConfig
from .wordtimes import Durations

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

Acoustic = Callable[[str, "torch.Tensor", float], np.ndarray]


class EngineError(RuntimeError):
    """The engine cannot start or cannot speak: a missing file, an absent GPU."""


def resolve_device(requested: str) -> tuple[str, str]:
    """Given auto|cpu|cuda, return (torch device string, label for the log: rocm|cuda|cpu).

    ROCm builds of PyTorch reuse the torch.cuda API and the "cuda" device string.
    """
    import torch

    if requested == "cpu":
        return "cpu", "cpu"
    available = torch.cuda.is_available()
    if requested == "cuda" and not available:
        raise EngineError(
            'device = "cuda" was asked for, but torch.cuda.is_available() is False: install a CUDA or '
            'ROCm build of PyTorch, or set tts.kokoro.device = "auto" or "cpu"'
        )
    if not available:
        return "cpu", "cpu"
    if getattr(torch.version, "hip", None):
        return "cuda", "rocm"
    return "cuda", "cuda"


NATIVE_BF16_FLAGS = ("avx512_bf16", "amx_bf16")
"""CPU flags (/proc/cpuinfo) of x86 CPUs that compute in bfloat16 natively: there bf16
convolutions are about twice as fast as fp32 (bench/README.md); elsewhere they are emulated."""

ONEDNN_BF16_ISAS = ("ALL", "DEFAULT", "AVX512_CORE_BF16", "AVX512_CORE_FP16", "AVX512_CORE_AMX",
                    "AVX512_CORE_AMX_FP16", "AVX10_1_512", "AVX10_1_512_AMX", "AVX10_1_512_AMX_FP16")
"""Values of ONEDNN_MAX_CPU_ISA that still let oneDNN use bf16 instructions: any other (AVX2, say)
makes it emulate bf16, about 7x slower than fp32 (bench/README.md)."""


def cpu_has_native_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether this CPU computes bfloat16 natively (x86: AVX512-BF16 or AMX), and oneDNN may use it."""
    capped = os.environ.get("ONEDNN_MAX_CPU_ISA", "").strip().upper()
    if capped and capped not in ONEDNN_BF16_ISAS:
        return False
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), [])
    return any(flag in flags for flag in NATIVE_BF16_FLAGS)


def resolve_precision(settings: KokoroConfig) -> str:
    """Given Kokoro settings, return the decoder's arithmetic on this machine: "fp32", "fp32-cl", "bf16"
    or "onnx".

    "auto" on a CPU is the fastest path measured to keep the quality bench: bf16 where the CPU
    computes it natively, else fp32 channels-last. GPUs stay fp32 until measured there (and
    fp32-cl is a CPU layout: on a GPU it is fp32). Part of a job's settings: a changed numeric
    path changes the audio, so it makes a new job and resume never mixes the two.
    """
    if settings.backend == "onnx":
        return "onnx"
    if settings.precision in ("fp32", "bf16"):
        return settings.precision
    on_gpu = settings.device == "cuda"
    if settings.device == "auto":
        import torch

        on_gpu = torch.cuda.is_available()
    if on_gpu:
        return "fp32"
    if settings.precision == "auto" and cpu_has_native_bf16():
        return "bf16"
    return "fp32-cl"


def numeric_path(settings: KokoroConfig) -> str:
    """The numeric path a job records in its settings: "fp32", "onnx", or a channels-last path's name.

    A channels-last path that changed (channels_last.BF16_PATH, FP32_CL_PATH) makes new jobs, as a
    changed setting does.
    """
    precision = resolve_precision(settings)
    if precision in ("bf16", "fp32-cl"):
        from .channels_last import BF16_PATH, FP32_CL_PATH

        return BF16_PATH if precision == "bf16" else FP32_CL_PATH
    return precision


class TorchAcoustic:
    """The acoustic model on torch: phonemes + style -> audio, on the CPU or a GPU."""

    def __init__(self, model) -> None:
        self.model = model

    def __call__(self, phonemes: str, style: "torch.Tensor", speed: float) -> np.ndarray:
        return self.with_durations(phonemes, style, speed)[0]

    def with_durations(self, phonemes: str, style: "torch.Tensor", speed: float) -> tuple[np.ndarray, Durations | None]:
        """The audio, and the frames the model gave each phoneme (wordtimes.py): the same call, nothing extra."""
        import torch

        with torch.inference_mode():
            output = self.model(phonemes, style, speed, return_output=True)
        audio = output.audio.detach().float().cpu().numpy().reshape(-1)
        pred_dur = output.pred_dur
        if pred_dur is None:
            return audio, None
        return audio, Durations.from_prediction(phonemes, self.model.vocab, pred_dur.reshape(-1).tolist())


class OnnxAcoustic:
    """The same acoustic model exported to ONNX, on ONNX Runtime (fast on CPUs).

    Inputs as in the Kokoro ONNX export: tokens [1, n] int64 with a 0 at both ends, the
    voice pack's row for n phonemes as style [1, 256], and speed [1].
    """

    def __init__(self, path: Path, vocab: dict[str, int], threads: int = 0) -> None:
        try:
            import onnxruntime
        except ImportError as exc:
            raise EngineError('backend = "onnx" needs onnxruntime: pip install "kokoro-narrator[onnx]"') from exc
        options = onnxruntime.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.vocab = vocab

    def __call__(self, phonemes: str, style: "torch.Tensor", speed: float) -> np.ndarray:
        return self.with_durations(phonemes, style, speed)[0]

    def with_durations(self, phonemes: str, style: "torch.Tensor", speed: float) -> tuple[np.ndarray, Durations | None]:
        """The audio, and the phonemes' frames when the export has a second output for them (kokoro's own
        export does; others give the waveform alone, and then no word has a time)."""
        ids = [self.vocab[p] for p in phonemes if p in self.vocab]
        feeds = {
            "tokens": np.array([[0, *ids, 0]], dtype=np.int64),
            "style": style.detach().cpu().numpy().reshape(1, -1).astype(np.float32),
            "speed": np.array([speed], dtype=np.float32),
        }
        outputs = self.session.run(None, feeds)
        audio = outputs[0].reshape(-1).astype(np.float32)
        if len(outputs) < 2:
            return audio, None
        return audio, Durations.from_prediction(phonemes, self.vocab, outputs[1].reshape(-1).tolist())


def load_vocab(settings: KokoroConfig) -> dict[str, int]:
    """The phoneme vocabulary from config.json (local, else the hub's)."""
    path = settings.model_config
    if path is None:
        from huggingface_hub import hf_hub_download

        path = Path(hf_hub_download(repo_id=settings.repo_id, filename="config.json"))
    return json.loads(Path(path).read_text(encoding="utf-8"))["vocab"]


@dataclass(frozen=True)
class LoadedAcoustic:
    acoustic: Acoustic
    device: str
    """The torch device string: cpu or cuda (ROCm too)."""
    device_label: str
    """What the log says: cpu, cuda or rocm."""
    source: str
    """Where the weights came from: a file path or the hub repo."""


def load_acoustic(settings: KokoroConfig) -> LoadedAcoustic:
    """Given Kokoro settings, load the acoustic model once; raise EngineError when impossible."""
    from kokoro import KModel

    from .channels_last import generator_channels_last, generator_in_bf16
    from .fastpath import speed_up
    from .modelload import build_kmodel

    device, label = resolve_device("cpu" if settings.backend == "onnx" else settings.device)
    for name in ("model_config", "model_weights", "voices_dir", "onnx_model"):
        path = getattr(settings, name)
        if path is not None and not path.exists():
            raise EngineError(f"tts.kokoro.{name}: {path} does not exist")
    if settings.backend == "onnx":
        if settings.onnx_model is None:
            raise EngineError('backend = "onnx" needs tts.kokoro.onnx_model: the path to a Kokoro .onnx file')
        source = str(settings.onnx_model)
    else:
        source = str(settings.model_weights) if settings.model_weights else settings.repo_id
    try:
        if settings.backend == "onnx":
            acoustic: Acoustic = OnnxAcoustic(settings.onnx_model, load_vocab(settings), settings.threads)
        else:
            model = build_kmodel(lambda: KModel(
                repo_id=settings.repo_id,
                config=str(settings.model_config) if settings.model_config else None,
                model=str(settings.model_weights) if settings.model_weights else None,
            ))
            model = model.to(device).eval()
            if device == "cuda":
                deterministic_gpu()
            speed_up(model)
            precision = resolve_precision(settings)
            if precision == "bf16":
                generator_in_bf16(model)
            elif precision == "fp32-cl":
                generator_channels_last(model)
            acoustic = TorchAcoustic(model)
    except (OSError, RuntimeError, KeyError, ValueError) as exc:
        raise EngineError(f"could not load the Kokoro model from {source}: {exc}{offline_hint(settings)}") from exc
    return LoadedAcoustic(acoustic, device, label, source)


def deterministic_gpu() -> None:
    """Same input, same samples on a GPU too, as resume's byte-identical chunks need.

    cuDNN's default picks convolution and LSTM algorithms by timing them (`benchmark`), and some
    of those add in an order that changes run to run; the deterministic ones cost a few percent.
    """
    import torch

    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True


def offline_hint(settings: KokoroConfig) -> str:
    """What to add to a load error when the hub was used: how to go offline."""
    if settings.model_weights:
        return ""
    return ("; without a network, point tts.kokoro.model_config, model_weights and voices_dir at local "
            "files (README: Offline setup)")
