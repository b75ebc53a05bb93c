"""Would static int8 convolutions make the generator fast on AVX2 CPUs, at fp32's quality? (issue 28)

    ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2 python bench/bench_int8.py --weights weights

The candidate: every convolution of the generator's residual blocks (the resblocks and noise_res,
about two thirds of the decoder's FLOPs) in int8 through oneDNN (`torch.ops.onednn.qconv2d_pointwise`,
channels-last, which is the layout of precision "fp32-cl"), with per-output-channel weight scales and
the activations quantised per tensor on each call from their own range (the most faithful per-tensor
scale there is: a calibrated one can only clip more). Everything else stays as in fp32-cl.

For a few paragraphs of a corpus book, each spoken by fp32, fp32-cl and this int8 path in one process
(the same seed), it prints the model-call time against fp32, the log-mel error and waveform SNR
against fp32, and for one paragraph each quantised convolution's relative output error and its
input's range (absolute maximum over standard deviation: what one per-tensor scale must span).
Not a product path: a measurement that says why there is none (bench/README.md).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from bench_voices import RATE, mel_bank  # this file's folder is on sys.path when run as a script

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"


BANK = mel_bank(bands=80, low=0, high=RATE / 2)


def log_mel(audio: np.ndarray) -> np.ndarray:
    frames = np.lib.stride_tricks.sliding_window_view(audio, 1024)[::256]
    return 10 * np.log10((np.abs(np.fft.rfft(frames * np.hanning(1024))) ** 2) @ BANK.T + 1e-12)


def log_mel_error(audio: np.ndarray, reference: np.ndarray) -> float:
    """Mean absolute log-mel difference, dB, over the bins within 60 dB of the reference's peak."""
    n = min(len(audio), len(reference))
    ours, theirs = log_mel(audio[:n]), log_mel(reference[:n])
    return float(np.abs(ours - theirs)[theirs > theirs.max() - 60].mean())


def snr(audio: np.ndarray, reference: np.ndarray) -> float:
    n = min(len(audio), len(reference))
    return float(10 * np.log10((reference[:n] ** 2).sum() / ((audio[:n] - reference[:n]) ** 2).sum()))


def int8_weights(module: torch.nn.Conv1d, shape: tuple, x_scale: float, x_zero: int):
    """module's weights in int8 for oneDNN, one scale per output channel (its largest weight is 127):
    the packed weights, their scales and their zero points (all 0)."""
    weight = module.weight.detach().float()
    scales = (weight.abs().amax(dim=(1, 2)).clamp_min(1e-12) / 127).double()
    quantised = torch.round(weight / scales[:, None, None]).clamp(-127, 127).to(torch.int8).unsqueeze(2)
    quantised = quantised.contiguous(memory_format=torch.channels_last)
    packed = torch.ops.onednn.qconv_prepack(quantised, scales, x_scale, x_zero, *shape, module.groups, None)
    return packed, scales, torch.zeros(len(scales), dtype=torch.int64)


def int8_conv(module: torch.nn.Conv1d):
    """A forward for module as an int8 oneDNN convolution: weights per output channel, input per tensor."""
    (stride,), (padding,), (dilation,) = module.stride, module.padding, module.dilation
    shape = ([1, stride], [0, padding], [1, dilation])
    packed, scales, zero_points = int8_weights(module, shape, 0.05, 128)
    bias = module.bias.detach().float()

    def forward(x: torch.Tensor) -> torch.Tensor:
        x = x.float().unsqueeze(2).contiguous(memory_format=torch.channels_last)
        low, high = x.permute(0, 2, 3, 1).reshape(-1).aminmax()  # a flat view: 40x faster than on 4-D
        low, high = min(low.item(), 0.0), max(high.item(), 0.0)
        scale = max(high - low, 1e-8) / 255
        zero = int(round(-low / scale))
        qx = torch.quantize_per_tensor(x, scale, zero, torch.quint8).int_repr()
        return torch.ops.onednn.qconv2d_pointwise(qx, scale, zero, packed, scales, zero_points, bias, *shape,
                                                  module.groups, 1.0, 0, torch.float32, "none", [], "").squeeze(2)

    return forward


def int8_conv_in_blocks(module: torch.nn.Conv1d, block: int):
    """The same with the input scaled per block of `block` samples (and its halo), the blocks batched into one
    oneDNN call: each block is divided by its own absolute maximum, quantised on one shared scale, and its
    output multiplied back (a convolution is linear; the bias is added after)."""
    (padding,), (dilation,) = module.padding, module.dilation
    assert module.stride == (1,) and module.groups == 1 and padding <= block
    shape = ([1, 1], [0, 0], [1, dilation])
    packed, scales, zero_points = int8_weights(module, shape, 1 / 127, 128)
    bias = module.bias.detach().float()

    def forward(x: torch.Tensor) -> torch.Tensor:
        _, channels, length = x.shape
        count = -(-length // block)
        rows = torch.zeros(count * block + 2 * padding, channels)
        rows[padding:padding + length] = x[0].float().t()
        own = rows[padding:padding + count * block].view(count, block * channels).abs().amax(dim=1)
        reach = torch.stack([own, torch.cat([own[1:], own[-1:]]), torch.cat([own[:1], own[:-1]])]).amax(dim=0)
        reach = reach.clamp_min(1e-8)
        windows = rows.unfold(0, block + 2 * padding, block).unsqueeze(2)  # (count, C, 1, W), channels-last strides
        normalised = torch.empty(windows.shape, memory_format=torch.channels_last)
        torch.mul(windows, (1 / reach).view(count, 1, 1, 1), out=normalised)
        qx = torch.quantize_per_tensor(normalised, 1 / 127, 128, torch.quint8).int_repr()
        y = torch.ops.onednn.qconv2d_pointwise(qx, 1 / 127, 128, packed, scales, zero_points, None, *shape, 1,
                                               1.0, 0, torch.float32, "none", [], "")
        y.mul_(reach.view(count, 1, 1, 1))
        out = y.permute(0, 2, 3, 1).reshape(count * block, -1)[:length].add_(bias)
        return out.t().unsqueeze(0)

    return forward


def residual_convs(model) -> dict[str, torch.nn.Conv1d]:
    generator = model.decoder.generator
    convs = {}
    for group in ("resblocks", "noise_res"):
        for b, block in enumerate(getattr(generator, group)):
            for j, (first, second) in enumerate(zip(block.convs1, block.convs2)):
                convs[f"{group}{b}.convs1.{j}"], convs[f"{group}{b}.convs2.{j}"] = first, second
    return convs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", required=True)
    parser.add_argument("--voice", default="jf_gongitsune")
    parser.add_argument("--book", default="pg1342.txt")
    parser.add_argument("--paragraphs", type=int, default=6)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--block", type=int, default=512, help="samples per activation scale in the blocked way")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")  # torch's deprecation of quantize_per_tensor, once per call
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.path.insert(0, str(REPO / "daemon"))
    from kokoro import KPipeline
    from kokoro_narrator.core.config import KokoroConfig
    from kokoro_narrator.synthesis.acoustic import load_acoustic

    torch.set_num_threads(args.threads)
    w = Path(args.weights)
    base = KokoroConfig(voice=args.voice, device="cpu", threads=args.threads, model_config=w / "config.json",
                        model_weights=w / "kokoro-v1_0-dequant.pth", voices_dir=w / "voices", precision="fp32")
    pack = torch.load(w / "voices" / f"{args.voice}.pt", weights_only=True)
    text = (CORPUS / args.book).read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
    paragraphs = [p.replace("\n", " ") for p in text.split("\n\n") if 150 < len(p) < 400][10:10 + args.paragraphs]
    g2p = KPipeline(lang_code="a", repo_id="hexgrad/Kokoro-82M", model=False)
    phonemes = [next(iter(g2p(p))).phonemes for p in paragraphs]

    models = {name: load_acoustic(dataclasses.replace(base, precision=name)).acoustic.model
              for name in ("fp32", "fp32-cl")}
    models[f"int8, per {args.block} samples"] = load_acoustic(dataclasses.replace(base, precision="fp32-cl")).acoustic.model
    for conv in residual_convs(models[f"int8, per {args.block} samples"]).values():
        conv.forward = int8_conv_in_blocks(conv, args.block)
    models["int8"] = load_acoustic(dataclasses.replace(base, precision="fp32-cl")).acoustic.model
    convs = residual_convs(models["int8"])
    plain = {name: conv.forward for name, conv in convs.items()}
    for conv in convs.values():
        conv.forward = int8_conv(conv)

    def speak(model, ph: str) -> np.ndarray:
        torch.manual_seed(0)
        with torch.inference_mode():
            return model(ph, pack[len(ph) - 1], 1.0).numpy()

    for model in models.values():
        speak(model, phonemes[0])  # warm
    seconds = dict.fromkeys(models, 0.0)
    audio = {name: [] for name in models}
    for ph in phonemes:  # interleaved, so that drift hits every way alike
        for name, model in models.items():
            started = time.perf_counter()
            audio[name].append(speak(model, ph))
            seconds[name] += time.perf_counter() - started
    isa = os.environ.get("ONEDNN_MAX_CPU_ISA") or "native"
    total = sum(len(a) for a in audio["fp32"]) / RATE
    print(f"{len(phonemes)} paragraphs of {args.book}, {total:.0f} s of audio, {args.threads} threads, ISA {isa}\n")
    print("| way | model calls s | vs fp32 | log-mel error vs fp32 (dB, per paragraph) | SNR vs fp32 (dB) |")
    print("|---|---|---|---|---|")
    for name in models:
        errors = [log_mel_error(a, r) for a, r in zip(audio[name], audio["fp32"])]
        snrs = [snr(a, r) for a, r in zip(audio[name], audio["fp32"])] if name != "fp32" else [float("inf")]
        print(f"| {name} | {seconds[name]:.1f} | {seconds['fp32'] / seconds[name]:.2f}x | "
              f"{min(errors):.2f}-{max(errors):.2f} | {min(snrs):.1f}-{max(snrs):.1f} |")

    rows = []
    for name, conv in convs.items():
        quantised = conv.forward

        def compare(x, name=name, quantised=quantised):
            exact, rounded = plain[name](x), quantised(x)
            magnitude = x.float().abs()
            rows.append((name, float((rounded - exact).norm() / exact.norm()),
                         float(magnitude.max() / x.float().std())))
            return exact

        conv.forward = compare
    speak(models["int8"], phonemes[0])
    errors = np.array([r[1] for r in rows])
    spans = np.array([r[2] for r in rows])
    print(f"\n{len(rows)} int8 convolutions, one paragraph: relative output error median {np.median(errors):.3f}, "
          f"max {errors.max():.3f} ({rows[int(errors.argmax())][0]}); input max/std median {np.median(spans):.0f}, "
          f"max {spans.max():.0f}")


if __name__ == "__main__":
    main()
