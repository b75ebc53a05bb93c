"""Speed benchmark: the same book spoken five ways, compared as ratios from one run.

    python bench/bench_speed.py                      # the tiny random model (built on the fly)
    python bench/bench_speed.py --weights weights    # real Kokoro-82M weights (make offline-weights)

Ways (each in its own process, so that load time and peak RSS are its own):
  a   the plan's original design: one worker process per chunk, each loading KPipeline cold
  b   kokoro's README loop: one KPipeline, `for gs, ps, audio in pipeline(text, ...)`, raw text
  c   this project as configured by default: engine + job runner (chunking, G2P overlapped with the
      model, WAVs, concat); precision "auto" (the generator in bf16 on a CPU with native bf16, else
      fp32 channels-last; ONEDNN_MAX_CPU_ISA=AVX2 counts as no native bf16)
  c-fp32 the same in kokoro's own full precision (precision = "fp32")
  c-fp32-cl the same in full precision with the generator channels-last (precision = "fp32-cl")
  c-bf16 the same with the generator in bf16 on any CPU (precision = "bf16")
  c-seq  the same with G2P and the model one after the other (to show what overlap buys)
  c-onnx the same with the ONNX Runtime backend (needs --weights with the .onnx file)
  c-glibc (c) on glibc's malloc even where jemalloc is installed (the daemon prefers jemalloc)
  synth `kokoro-narrator synth` in one process, text file to WAV (its wall time includes the model load)
  d   kokoro-onnx: Kokoro(model.onnx, voices.npz).create(text, voice=...)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # the tests' helpers: support.tiny_model, support.jobs
CORPUS = REPO.parent / "shared" / "corpus"
MAX_CHUNK_CHARS = 300


def book_text(chars: int) -> str:
    """An excerpt of Metamorphosis, as the raw CRLF, hard-wrapped file text."""
    raw = (CORPUS / "pg5200.txt").read_bytes().decode("utf-8-sig")
    return raw[:chars].rsplit("\r\n\r\n", 1)[0] + "\r\n"


def peak_rss_mb() -> float:
    """Peak RSS of this process or of its largest child ((a)'s workers), in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return max(own, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024


def settings(args, backend: str = "torch", precision: str = "auto"):
    from kokoro_narrator.core.config import KokoroConfig

    w = Path(args.weights)
    if args.tiny:
        return KokoroConfig(voice="tiny_voice", device=args.device, threads=args.threads, model_config=w / "config.json",
                            model_weights=w / "tiny.pth", voices_dir=w / "voices", precision=precision)
    return KokoroConfig(voice=args.voice, device=args.device, threads=args.threads, model_config=w / "config.json",
                        model_weights=w / "kokoro-v1_0-dequant.pth", voices_dir=w / "voices",
                        backend=backend, onnx_model=w / "kokoro-v1.0.int8.onnx", precision=precision)


def load_kokoro(args):
    import torch
    from kokoro import KModel, KPipeline

    if args.threads:
        torch.set_num_threads(args.threads)
    s = settings(args)
    device = "cuda" if args.device != "cpu" and torch.cuda.is_available() else "cpu"
    model = KModel(repo_id="hexgrad/Kokoro-82M", config=str(s.model_config), model=str(s.model_weights)).to(device).eval()
    pipeline = KPipeline(lang_code="a", repo_id="hexgrad/Kokoro-82M", model=model)
    return pipeline, str(s.voices_dir / f"{s.voice}.pt")


def mode_b(args, text: str) -> dict:
    """kokoro's README loop on the raw text."""
    import soundfile as sf

    started = time.perf_counter()
    pipeline, voice = load_kokoro(args)
    load = time.perf_counter() - started
    started = time.perf_counter()
    frames = 0
    with sf.SoundFile(Path(args.out) / "b.wav", "w", 24000, 1, "PCM_16") as out:
        for _, _, audio in pipeline(text, voice=voice, split_pattern=r"\n+"):
            out.write(audio.numpy())
            frames += len(audio)
    return {"load": load, "wall": time.perf_counter() - started, "audio": frames / 24000}


def mode_c(args, text: str, backend: str = "torch", overlap: bool = True, precision: str = "auto") -> dict:
    """This project's engine and job runner, from the book's bytes to the outbox WAV."""
    import dataclasses

    from kokoro_narrator.synthesis.allocator import allocator_name
    from kokoro_narrator.core.config import Config, JobsConfig, PathsConfig, TtsConfig
    from kokoro_narrator.synthesis.engine import KokoroEngine
    from kokoro_narrator.jobs.store import JobStore
    from kokoro_narrator.jobs.runner import JobRunner
    from support.jobs import add_book

    started = time.perf_counter()
    from kokoro_narrator.synthesis.allocator import keep_freed_memory

    keep_freed_memory()  # as the daemon's process does (allocator.prepare_process)
    engine = KokoroEngine.load(settings(args, backend, precision), warm_up=True)
    engine.overlap = overlap
    load = time.perf_counter() - started
    root = Path(args.out) / f"c-{os.getpid()}"  # a fresh job store per way (same text, same job name)
    config = Config(tts=TtsConfig(kokoro=engine.settings), jobs=JobsConfig(max_chunk_chars=MAX_CHUNK_CHARS),
                    paths=PathsConfig(inbox=root / "in", outbox=root / "out", jobs=root / "jobs"))
    store = JobStore(config.paths.jobs)
    engine.stage_seconds.update(g2p=0.0, model=0.0)
    started = time.perf_counter()
    job, _ = add_book(store, "book.txt", text, config)  # as the daemon makes it: ingest
    job = JobRunner(store, config, engine, space_margin=0).run(job)
    wall = time.perf_counter() - started
    assert job.status == "done", job.error
    return {"load": load, "wall": wall, "audio": job.output["audio_seconds"], "chunks": len(job.chunks),
            "g2p_share": engine.stage_seconds["g2p"] / wall, "model_share": engine.stage_seconds["model"] / wall,
            "malloc": allocator_name()}


def mode_a(args, text: str) -> dict:
    """One cold worker process per chunk, as the plan first drew it."""
    from kokoro_narrator.chapters.chunker import plan_chunks
    from kokoro_narrator.books.reader import read_book

    plan = plan_chunks(read_book(text.encode(), "book.txt").text, MAX_CHUNK_CHARS)
    started = time.perf_counter()
    audio = 0.0
    for chunk in plan.chunks:
        result = subprocess.run([sys.executable, __file__, "--worker", "--weights", args.weights, "--voice", args.voice,
                                 "--threads", str(args.threads), "--device", args.device, "--out", args.out]
                                + (["--tiny"] if args.tiny else []),
                                input=chunk.text, capture_output=True, text=True, check=True)
        audio += json.loads(result.stdout.strip().splitlines()[-1])["audio"]
    return {"load": None, "wall": time.perf_counter() - started, "audio": audio, "chunks": len(plan.chunks)}


def worker(args) -> dict:
    """(a)'s worker: load everything cold, speak stdin, exit."""
    text = sys.stdin.read()
    pipeline, voice = load_kokoro(args)
    frames = sum(len(audio) for _, _, audio in pipeline(text, voice=voice, split_pattern=r"\n+"))
    return {"audio": frames / 24000}


def mode_d(args, text: str) -> dict:
    """kokoro-onnx, what CPU users pick today, on the same int8 weights and voice."""
    import numpy as np
    import torch
    from kokoro_onnx import Kokoro

    w = Path(args.weights)
    voices = Path(args.out) / "voices.npz"
    packs = {p.stem: torch.load(p, weights_only=True).numpy() for p in (w / "voices").glob("*.pt")}
    np.savez(voices, **packs)
    started = time.perf_counter()
    kokoro = Kokoro(str(w / "kokoro-v1.0.int8.onnx"), str(voices))
    load = time.perf_counter() - started
    started = time.perf_counter()
    samples, rate = kokoro.create(text, voice=args.voice, speed=1.0, lang="en-us")
    return {"load": load, "wall": time.perf_counter() - started, "audio": len(samples) / rate}


def mode_synth(args, text: str) -> dict:
    """`kokoro-narrator synth` as a user runs it: one process from the text file to the WAV (no warm-up)."""
    import soundfile as sf

    from kokoro_narrator.synthesis.allocator import keep_freed_memory
    from kokoro_narrator.cli.commands import main as cli

    s = settings(args)
    out = Path(args.out) / f"synth-{os.getpid()}"
    out.mkdir()
    (out / "book.txt").write_text(text, encoding="utf-8")
    (out / "config.toml").write_text(
        f'[tts.kokoro]\nvoice = "{s.voice}"\ndevice = "{s.device}"\nthreads = {s.threads}\n'
        f'model_config = "{s.model_config.resolve()}"\nmodel_weights = "{s.model_weights.resolve()}"\n'
        f'voices_dir = "{s.voices_dir.resolve()}"\n')
    keep_freed_memory()  # as the command's own process does (allocator.prepare_process)
    started = time.perf_counter()
    code = cli(["synth", "--config", str(out / "config.toml"), "--text-file", str(out / "book.txt"),
                "--out-wav", str(out / "book.wav")])
    wall = time.perf_counter() - started
    if code != 0:
        raise RuntimeError(f"synth exited {code}")
    return {"load": None, "wall": wall, "audio": sf.info(str(out / "book.wav")).duration}


MODES = {
    "a": mode_a, "b": mode_b, "c": mode_c, "c-glibc": mode_c,
    "c-fp32": lambda args, text: mode_c(args, text, precision="fp32"),
    "c-bf16": lambda args, text: mode_c(args, text, precision="bf16"),
    "c-fp32-cl": lambda args, text: mode_c(args, text, precision="fp32-cl"),
    "c-seq": lambda args, text: mode_c(args, text, overlap=False),
    "c-onnx": lambda args, text: mode_c(args, text, backend="onnx"),
    "synth": mode_synth,
    "d": mode_d,
}


def run_mode(args, mode: str) -> dict:
    command = [sys.executable, __file__, "--mode", mode, "--weights", args.weights, "--voice", args.voice,
               "--threads", str(args.threads), "--chars", str(args.chars), "--device", args.device, "--out", args.out]
    command += ["--tiny"] if args.tiny else []
    from kokoro_narrator.synthesis.allocator import jemalloc_environment

    # (c) runs as the daemon does: `kokoro-narrator run` preloads jemalloc where it is installed.
    if mode == "c-glibc":
        env = dict(os.environ, KOKORO_TTS_ALLOCATOR="glibc")
    elif mode.startswith("c"):
        env = jemalloc_environment(os.environ)
    else:
        env = None
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    process = time.perf_counter() - started  # the whole process: interpreter, imports, load, work, exit
    if result.returncode != 0:
        return {"error": result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "failed"}
    return {**json.loads(result.stdout.strip().splitlines()[-1]), "process": process}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", help="real weights dir (config.json, kokoro-v1_0-dequant.pth, voices/, .onnx)")
    parser.add_argument("--voice", default="jf_gongitsune")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--chars", type=int, default=3000, help="book length (10 chunks of 300 at the default)")
    parser.add_argument("--modes", default=None, help="comma-separated subset of a,b,c,c-seq,c-onnx,d")
    parser.add_argument("--tiny", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--mode", help=argparse.SUPPRESS)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.worker or args.mode:
        from kokoro_narrator.cli.commands import setup_logging

        setup_logging()
        text = book_text(args.chars)
        result = worker(args) if args.worker else MODES[args.mode](args, text)
        result.update(chars=len(text), rss_mb=peak_rss_mb())
        print(json.dumps(result))
        return

    with tempfile.TemporaryDirectory() as out:
        args.out = out
        if args.weights is None:
            from support.tiny_model import build_tiny_model

            args.weights, args.tiny, args.voice = str(build_tiny_model(Path(out) / "tiny")), True, "tiny_voice"
        modes = args.modes.split(",") if args.modes else (["a", "b", "c", "c-glibc", "c-seq"] if args.tiny else list(MODES))
        results = {}
        for mode in modes:
            print(f"running {mode} ...", file=sys.stderr, flush=True)
            results[mode] = run_mode(args, mode)
    report(args, results)


def auto_precision() -> str:
    from kokoro_narrator.core.config import KokoroConfig
    from kokoro_narrator.synthesis.acoustic import resolve_precision

    return resolve_precision(KokoroConfig(device="cpu"))


def report(args, results: dict) -> None:
    model = "tiny random model" if args.tiny else f"real Kokoro-82M ({args.weights}), voice {args.voice}"
    print(f"\n{results.get('b', {}).get('chars', args.chars)} characters of pg5200.txt, {model}, "
          f"{args.threads} torch threads, device {args.device}, ISA caps: "
          f"ONEDNN_MAX_CPU_ISA={os.environ.get('ONEDNN_MAX_CPU_ISA', '(unset)')} "
          f"ATEN_CPU_CAPABILITY={os.environ.get('ATEN_CPU_CAPABILITY', '(unset)')}; precision auto here: {auto_precision()}\n")
    print("| way | chars/s | audio s / wall s | load s | whole process s | peak RSS MB | speed vs (b) | vs (d) | "
          "whole process vs (d) | G2P share | model share | malloc |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    base = results.get("b", {}).get("wall")
    onnx = results.get("d", {})
    for mode, r in results.items():
        if "error" in r:
            print(f"| {mode} | error: {r['error'][:80]} | | | | | | | | | | |")
            continue
        ratio = f"{base / r['wall']:.2f}x" if base else ""
        load = f"{r['load']:.1f}" if r.get("load") is not None else ("per chunk" if mode == "a" else "in wall")
        shares = (f"{r['g2p_share']:.1%} | {r['model_share']:.1%}" if "g2p_share" in r else " | ")
        versus_d = f"{onnx['wall'] / r['wall']:.2f}x" if onnx.get("wall") else ""
        process_versus_d = f"{onnx['process'] / r['process']:.2f}x" if onnx.get("process") else ""
        print(f"| {mode} | {r['chars'] / r['wall']:.0f} | {r['audio'] / r['wall']:.2f} | {load} | {r['process']:.1f} | "
              f"{r['rss_mb']:.0f} | {ratio} | {versus_d} | {process_versus_d} | {shares} | {r.get('malloc', '')} |")
    if "a" in results and "c" in results and "error" not in results["a"] and "error" not in results["c"]:
        print(f"\n(c) vs (a): {results['a']['wall'] / results['c']['wall']:.2f}x faster "
              f"({results['c'].get('chunks')} chunks; (c)'s wall time excludes its one model load, "
              f"(a) pays a load per chunk)")


if __name__ == "__main__":
    main()
