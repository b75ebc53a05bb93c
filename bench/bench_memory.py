"""Peak memory must not grow with book length: a short book vs a long one, same process kind.

    python bench/bench_memory.py              # tone provider: pg1342.txt whole vs its opening chapters
    python bench/bench_memory.py --tiny       # tiny Kokoro models (about 15 minutes on 2 cores):
                                              #   whole book vs opening, with a short-audio decoder;
                                              #   4,000 characters vs 4 times that, the test decoder
    python bench/bench_memory.py --weights weights   # real Kokoro-82M: 3,000 characters vs 3 times that

Each run is its own process (ingest, chunk, G2P, synthesize, join, publish) and reports its peak
RSS (getrusage). The test suite's tiny model makes 600 samples a frame, so the whole book would
take about two hours here: the whole-book pair uses the same tiny model with a decoder that makes
40 (upsample rates 2, 2; one residual block kernel), which runs the same code at 1,200 chars/s. The
pair that repeats one excerpt keeps the test decoder and its large working memory: the same
utterances again and again, so any growth is the heap's own (allocator.HeapCeiling).
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
from kokoro_narrator.synthesis.allocator import jemalloc_environment  # noqa: E402 (light: no torch)
BOOK = REPO.parent / "shared" / "corpus" / "pg1342.txt"
# 40 samples a frame instead of 600, and one residual kernel instead of three: the same code, faster.
SHORT_AUDIO_DECODER = dict(upsample_rates=[2, 2], upsample_kernel_sizes=[4, 4], resblock_kernel_sizes=[3],
                           resblock_dilation_sizes=[[1, 3, 5]])


def run_one(provider: str, chars: int | None, opening_only: bool, model_dir: str | None, repeat: int = 1) -> dict:
    from kokoro_narrator.synthesis.allocator import allocator_name
    from kokoro_narrator.core.config import Config, JobsConfig, PathsConfig, TtsConfig
    from kokoro_narrator.jobs.store import JobStore
    from kokoro_narrator.jobs.runner import JobRunner
    from support.jobs import add_book

    data = BOOK.read_bytes()
    if opening_only:
        data = data[:data.index(b"Chapter 3")]
    elif chars:
        data = data[:chars].rsplit(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
    data *= repeat  # a longer book with the same longest utterance (the model's peak is set by that)
    if provider == "tone":
        from providers import ToneProvider

        engine, tts = ToneProvider(seconds_per_char=0.06), TtsConfig()
    else:
        from conftest import VOICE
        from kokoro_narrator.core.config import KokoroConfig
        from kokoro_narrator.synthesis.engine import KokoroEngine

        m = Path(model_dir)
        real = provider == "real"
        settings = KokoroConfig(voice="jf_gongitsune" if real else VOICE, device="cpu", threads=2,
                                model_config=m / "config.json",
                                model_weights=m / ("kokoro-v1_0-dequant.pth" if real else "tiny.pth"),
                                voices_dir=m / "voices")
        from kokoro_narrator.synthesis.allocator import keep_freed_memory

        keep_freed_memory()  # as the daemon's process does (allocator.prepare_process)
        engine, tts = KokoroEngine.load(settings), TtsConfig(kokoro=settings)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        config = Config(tts=tts, jobs=JobsConfig(max_chunk_chars=2000),
                        paths=PathsConfig(inbox=root / "in", outbox=root / "out", jobs=root / "jobs"))
        store = JobStore(config.paths.jobs)
        started = time.perf_counter()
        job, _ = add_book(store, "book.txt", data, config)  # as the daemon makes it: ingest
        job = JobRunner(store, config, engine, space_margin=0).run(job)
        assert job.status == "done", job.error
        return {"chars": len(data), "chunks": len(job.chunks), "audio_hours": job.output["audio_seconds"] / 3600,
                "wall": time.perf_counter() - started,
                "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "malloc": allocator_name()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tiny", action="store_true")
    parser.add_argument("--weights", help="real weights dir (make offline-weights)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        spec = json.loads(args.child)
        print(json.dumps(run_one(**spec)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = None
        if args.tiny:
            from support.tiny_model import build_tiny_model

            model_dir = str(build_tiny_model(Path(tmp) / "tiny"))
            short = str(build_tiny_model(Path(tmp) / "short", istftnet=SHORT_AUDIO_DECODER))
            specs = [("opening chapters, short-audio decoder", dict(provider="tiny", chars=None, opening_only=True,
                                                                     model_dir=short)),
                     ("whole book, short-audio decoder", dict(provider="tiny", chars=None, opening_only=False,
                                                               model_dir=short)),
                     ("4,000 characters, test decoder", dict(provider="tiny", chars=4000, opening_only=False,
                                                              model_dir=model_dir)),
                     ("the same, 4 times", dict(provider="tiny", chars=4000, opening_only=False, model_dir=model_dir,
                                                repeat=4))]
        elif args.weights:
            model_dir = str(Path(args.weights).resolve())
            specs = [("3,000 characters", dict(provider="real", chars=3000, opening_only=False, model_dir=model_dir)),
                     ("the same, 3 times", dict(provider="real", chars=3000, opening_only=False, model_dir=model_dir,
                                                repeat=3))]
        else:
            specs = [("opening chapter", dict(provider="tone", chars=None, opening_only=True, model_dir=None)),
                     ("whole book", dict(provider="tone", chars=None, opening_only=False, model_dir=None))]
        results = []
        for label, spec in specs:
            print(f"running: {label}", file=sys.stderr, flush=True)
            # each run as the daemon runs: on jemalloc where it is installed
            output = subprocess.run([sys.executable, __file__, "--child", json.dumps(spec)], capture_output=True,
                                    env=jemalloc_environment(os.environ),
                                    text=True, check=True).stdout
            results.append((label, json.loads(output.strip().splitlines()[-1])))
    provider = ("tiny Kokoro model" if args.tiny else f"real Kokoro-82M ({args.weights})" if args.weights
                else "tone provider (no model)")
    print(f"\npg1342.txt, {provider}, max_chunk_chars 2000\n")
    print("| input | chars | chunks | audio h | wall s | peak RSS MB | malloc |")
    print("|---|---|---|---|---|---|---|")
    for label, r in results:
        print(f"| {label} | {r['chars']} | {r['chunks']} | {r['audio_hours']:.2f} | {r['wall']:.0f} | {r['rss_mb']:.0f} | {r['malloc']} |")
    print()
    for (short_label, short), (long_label, long) in zip(results[::2], results[1::2]):
        print(f"peak RSS, {long_label} / {short_label}: {long['rss_mb'] / short['rss_mb']:.3f} (target: within 10 %)")


if __name__ == "__main__":
    main()
