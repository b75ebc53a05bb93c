"""How close to this CPU's limit the decoder runs: its FLOPs per second of audio, and the GFLOP/s it reaches.

    python bench/bench_decoder.py --weights weights [--compile] [--rounds 3]
    ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2 python bench/bench_decoder.py --weights weights

One utterance (the first paragraph of Alice, about 15 s of audio) goes through KModel once to catch
the decoder's inputs; then the decoder alone is timed, in the engine's own numeric paths (fp32 with
fastpath.py, fp32 channels-last, and the bf16 generator unless --no-bf16), best of each round, rounds alternating. FLOPs are
torch's FlopCounterMode count: convolutions and matrix products, which are the decoder's arithmetic
(Snake, AdaIN and padding are memory-bound and not counted). The peak is cores x clock x FLOPs per
cycle, given on the command line (defaults: two 256-bit FMA pipes per core, 32 fp32 FLOPs a cycle,
and twice that in bf16 through AVX512-BF16), so the percentage is only as good as those numbers.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from pathlib import Path

import torch

TEXT = ("Alice was beginning to get very tired of sitting by her sister on the bank, and of having nothing to do: "
        "once or twice she had peeped into the book her sister was reading, but it had no pictures or conversations "
        "in it, 'and what is the use of a book,' thought Alice 'without pictures or conversations?'")


def clock_ghz() -> float:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("cpu MHz"):
            return float(line.split(":")[1]) / 1000
    return 0.0


def decoder_inputs(model, pack, phonemes: str):
    """The decoder's arguments for one utterance, caught in a real forward call, and the audio's seconds."""
    caught = {}
    forward = model.decoder.forward

    def catch(*args, **kwargs):
        caught["args"] = args
        return forward(*args, **kwargs)

    model.decoder.forward = catch
    try:
        with torch.inference_mode():
            audio = model(phonemes, pack[len(phonemes) - 1], 1.0)
    finally:
        model.decoder.forward = forward
    return caught["args"], audio.numel() / 24000


def best_of(call, times: int) -> float:
    best = float("inf")
    for _ in range(times):
        started = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", required=True)
    parser.add_argument("--voice", default="jf_gongitsune")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--fp32-flops-per-cycle", type=float, default=32.0)
    parser.add_argument("--bf16-flops-per-cycle", type=float, default=64.0)
    parser.add_argument("--compile", action="store_true", help="also torch.compile the fp32 decoder (minutes)")
    parser.add_argument("--no-bf16", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "daemon"))
    from torch.utils.flop_counter import FlopCounterMode

    from kokoro import KPipeline
    from kokoro_narrator.core.config import KokoroConfig
    from kokoro_narrator.synthesis.acoustic import load_acoustic

    torch.set_num_threads(args.threads)
    w = Path(args.weights)
    base = KokoroConfig(voice=args.voice, device="cpu", threads=args.threads, model_config=w / "config.json",
                        model_weights=w / "kokoro-v1_0-dequant.pth", voices_dir=w / "voices", precision="fp32")
    pack = torch.load(w / "voices" / f"{args.voice}.pt", weights_only=True)
    phonemes = next(iter(KPipeline(lang_code="a", repo_id="hexgrad/Kokoro-82M", model=False)(TEXT))).phonemes
    paths = {"fp32": load_acoustic(base).acoustic.model,
             "fp32-cl": load_acoustic(dataclasses.replace(base, precision="fp32-cl")).acoustic.model}
    if not args.no_bf16:
        paths["bf16"] = load_acoustic(dataclasses.replace(base, precision="bf16")).acoustic.model
    calls, audio_seconds = {}, 0.0
    for name, model in paths.items():
        inputs, audio_seconds = decoder_inputs(model, pack, phonemes)
        calls[name] = (lambda m, a: lambda: m.decoder(*a))(model, inputs)
    with torch.inference_mode(), FlopCounterMode(display=False) as counter:
        calls["fp32"]()
    flops = counter.get_total_flops()
    compile_seconds = None
    with torch.inference_mode():
        if args.compile:
            inputs, _ = decoder_inputs(paths["fp32"], pack, phonemes)
            started = time.perf_counter()
            compiled = torch.compile(paths["fp32"].decoder, dynamic=True)
            compiled(*inputs)
            compile_seconds = time.perf_counter() - started
            calls["fp32 compiled"] = lambda: compiled(*inputs)
        for call in calls.values():
            call()  # warm
        times = {name: [] for name in calls}
        for _ in range(args.rounds):
            for name, call in calls.items():
                times[name].append(best_of(call, 2))
    isa = os.environ.get("ONEDNN_MAX_CPU_ISA") or "native"
    cores, ghz = torch.get_num_threads(), clock_ghz()
    print(f"decoder: {flops / audio_seconds / 1e9:.1f} GFLOP per second of audio ({flops / 1e9:.0f} GFLOP for "
          f"{audio_seconds:.1f} s); {cores} threads at {ghz:.2f} GHz, ISA {isa}"
          + (f"; torch.compile took {compile_seconds:.0f} s" if compile_seconds else ""))
    print("\n| path | decoder s (best of rounds) | x real time | GFLOP/s | of peak | vs fp32 |")
    print("|---|---|---|---|---|---|")
    fp32 = min(times["fp32"])
    for name, values in times.items():
        best = min(values)
        peak = cores * ghz * (args.bf16_flops_per_cycle if name == "bf16" else args.fp32_flops_per_cycle)
        print(f"| {name} | {best:.2f} | {audio_seconds / best:.2f} | {flops / best / 1e9:.0f} | "
              f"{flops / best / 1e9 / peak:.0%} of {peak:.0f} | {fp32 / best:.2f}x |")


if __name__ == "__main__":
    main()
