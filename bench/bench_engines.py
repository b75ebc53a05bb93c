"""Engine pool benchmark: the same book made by the local backend, then by a Ray pool of 1 and 2 workers.

    python bench/bench_engines.py                     # tiny model (fast decoder), a local Ray runtime
    python bench/bench_engines.py --chunks 24 --chunk-chars 300 --threads 1 --json out.json

All in one process, one after the other, so the ratios compare like with like:
  local   the local backend: JobRunner with one KokoroEngine in this process (`threads` torch threads)
  ray-1   backend = "ray", one worker (a Ray actor, `threads` threads), the same book
  ray-2   two workers (needs 2 x threads cores: on a 2-core machine, --threads 1)
For each: wall seconds of the chunks (publishing excluded), chunks per second, characters per second,
and the orchestration overhead per chunk: (ray-1 wall - local wall) / chunks, the cost of sending the
text out and the WAV bytes back through Ray, writing them, and the dispatch loop. ray-2 / ray-1 is the
speed-up of the second worker. Every run must publish the same WAV bytes (checked; a mismatch fails).

The pool's start (a local Ray runtime, the workers loading the model) is timed apart: it is paid
once per daemon start, not per book.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # the tests' helpers: support.tiny_model, support.jobs, support.config

FAST_DECODER = dict(upsample_rates=[2, 2], upsample_kernel_sizes=[4, 4], resblock_kernel_sizes=[3],
                    resblock_dilation_sizes=[[1, 3, 5]])


def book(chunks: int, chunk_chars: int) -> str:
    """About `chunks` chunks of `chunk_chars`: numbered paragraphs, so no two chunks are alike."""
    paragraphs, size = [], 0
    n = 0
    while size < chunks * chunk_chars * 0.9:
        n += 1
        text = f"Paragraph {n}. The engine read this line aloud, and then it went on to the next one, slowly."
        paragraphs.append(text)
        size += len(text) + 2
    return "\n\n".join(paragraphs) + "\n"


def make(root: Path, settings, text: str, chunk_chars: int, pool=None, engine=None) -> dict:
    """Make the book in root with the local engine or the pool; return timings and the WAV's digest."""
    from support.config import build_config
    from support.jobs import add_book

    from kokoro_narrator.jobs.runner import JobRunner
    from kokoro_narrator.jobs.store import JobStore

    config = build_config(root, tts={"kokoro": settings}, jobs={"max_chunk_chars": chunk_chars},
                          engines={"backend": "ray" if pool else "local"})
    store = JobStore(config.paths.jobs)
    job, _ = add_book(store, "book.txt", text, config)
    runner = JobRunner(store, config, engine, space_margin=0, pool=pool)
    published = []
    runner._publish = lambda job, folder, texts, publish=runner._publish: (
        published.append(time.perf_counter()), publish(job, folder, texts))
    started = time.perf_counter()
    job = runner.run(job)
    if job.status != "done":
        raise SystemExit(f"the book failed: {job.error}")
    seconds = published[0] - started
    chars = sum(chunk.chars for chunk in job.chunks)
    digest = hashlib.sha256((config.paths.outbox / "book.wav").read_bytes()).hexdigest()
    return {"chunks": len(job.chunks), "chars": chars, "seconds": round(seconds, 3),
            "chunks_per_second": round(len(job.chunks) / seconds, 3), "chars_per_second": round(chars / seconds, 1),
            "wav_sha256": digest}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=24)
    parser.add_argument("--chunk-chars", type=int, default=300)
    parser.add_argument("--threads", type=int, default=1, help="torch threads per engine (local and each worker)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    import ray
    import torch

    from support.tiny_model import build_tiny_model, VOICE

    from kokoro_narrator.core.config import EnginesConfig, KokoroConfig
    from kokoro_narrator.engines import start_pool
    from kokoro_narrator.synthesis import KokoroEngine

    with tempfile.TemporaryDirectory(prefix="kr-bench-", dir="/tmp") as temp:
        root = Path(temp)
        model = build_tiny_model(root / "model", istftnet=FAST_DECODER)
        settings = KokoroConfig(voice=VOICE, device="cpu", threads=args.threads, model_config=model / "config.json",
                                model_weights=model / "tiny.pth", voices_dir=model / "voices")
        text = book(args.chunks, args.chunk_chars)
        results: dict = {"threads": args.threads, "torch": torch.__version__, "ray": ray.__version__}

        engine = KokoroEngine.load(settings, warm_up=True)
        results["local"] = make(root / "local", settings, text, args.chunk_chars, engine=engine)
        del engine

        for workers in (1, 2):
            from support.config import build_config

            config = build_config(root / f"pool-{workers}", tts={"kokoro": settings},
                                  engines=EnginesConfig(backend="ray", workers=workers, threads_per_worker=args.threads))
            started = time.perf_counter()
            pool = start_pool(config)
            pool_ready = wait_ready(pool)
            result = make(root / f"ray-{workers}", settings, text, args.chunk_chars, pool=pool)
            result["pool_start_seconds"] = round(pool_ready - started, 3)
            results[f"ray-{workers}"] = result
            pool.shutdown()  # this pool started the runtime: it stops it too
        local, one, two = results["local"], results["ray-1"], results["ray-2"]
        results["overhead_per_chunk_seconds"] = round((one["seconds"] - local["seconds"]) / local["chunks"], 4)
        results["ray-1_over_local"] = round(one["seconds"] / local["seconds"], 3)
        results["ray-2_speedup_over_ray-1"] = round(one["seconds"] / two["seconds"], 3)
        results["same_bytes"] = len({local["wav_sha256"], one["wav_sha256"], two["wav_sha256"]}) == 1
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0 if results["same_bytes"] else 1


def wait_ready(pool, timeout: float = 300.0) -> float:
    """Wait until every worker has loaded its model (the pool's start, timed apart); return when."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(worker.state == "ready" for worker in pool.workers):
            return time.perf_counter()
        ready, _ = pool.ray.wait(pool.awaited(), num_returns=1, timeout=1.0) if pool.awaited() else ([], [])
        for ref in ready:
            pool.settle(ref)
    raise SystemExit(f"the pool's workers were not ready within {timeout:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
