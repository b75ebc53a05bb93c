"""Output formats: memory and time of the loudness measurement, the join and each encoder, short vs long book.

    python bench/bench_output.py                         # 10 min vs 1 h of speech-like audio (about 4 min)
    python bench/bench_output.py --long-hours 3
    python bench/bench_output.py --book ../shared/corpus/pg1342.txt --chars 3000 --config weights/config.toml

Default: makes 10-minute chunk WAVs of speech-like audio (modulated tone and noise with
pauses) through the real chunk writer, then runs each step in its own fresh process, which
reports its peak RSS (getrusage): measuring every chunk's loudness (what the runner does as
chunks are made), the join with the book's gain and a meter, then M4B, Opus and MP3 from the
joined WAV. The short and the long book come from the same run. Exits 1 when a step's peak
RSS over the import floor grows by more than 1.5 times plus 16 MiB from the short book to the long.

--book: a real book through the daemon's runner and publisher (the model from --config, all
four formats), printing each file's size, encode time and measured loudness, the gain, and
pyloudnorm's reading of each file as a check.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the tests' helpers: support.jobs
MIB = 1024 * 1024
CHUNK_SECONDS = 600.0
STEPS = ("imports", "measure", "join", "m4b", "opus", "mp3")


def peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def make_chunks(folder: Path, count: int) -> None:
    """One chunk of speech-like audio through the real writer, then copies of it."""
    import numpy as np

    from kokoro_narrator.audio.wav import SAMPLE_RATE, write_chunk_wav

    rng = np.random.default_rng(0)
    t = np.arange(round(CHUNK_SECONDS * SAMPLE_RATE), dtype=np.float32) / SAMPLE_RATE
    words = (np.sin(2 * np.pi * 0.8 * t) > -0.3).astype(np.float32)
    voice = np.sin(2 * np.pi * (160 + 30 * np.sin(2 * np.pi * 4 * t)) * t) + 0.2 * rng.normal(size=len(t))
    audio = (0.08 * words * voice).astype(np.float32)
    first = folder / "chunk_0001.wav"
    write_chunk_wav(first, np.array_split(audio, 60))
    for number in range(2, count + 1):
        shutil.copyfile(first, folder / f"chunk_{number:04d}.wav")


def child(step: str, folder: Path, count: int) -> dict:
    """Run one step on the first `count` chunks in folder; return its report."""
    from kokoro_narrator.audio.join import Piece, concat_wavs
    from kokoro_narrator.audio.wav import SAMPLE_RATE, measure_wav
    from kokoro_narrator.audio.encode import Chapter, Tags, encode_book
    from kokoro_narrator.audio.loudness import Meter, book_gain, combine

    started = time.perf_counter()
    chunks = [folder / f"chunk_{n:04d}.wav" for n in range(1, count + 1)]
    book = folder / f"book-{count}.wav"
    report: dict = {}
    if step == "make":
        make_chunks(folder, count)
    elif step == "measure":
        records = [measure_wav(chunk) for chunk in chunks]
        (folder / f"gain-{count}.json").write_text(json.dumps(book_gain(combine(records), -18.0, -1.0).to_json()))
    elif step == "join":
        gain = json.loads((folder / f"gain-{count}.json").read_text())
        pieces = [Piece(chunk, 2.0 if n + 1 < count else 1.0) for n, chunk in enumerate(chunks)]
        result = concat_wavs(pieces, book, lead=0.5, gain=10 ** (gain["gain_db"] / 20), meter=Meter(SAMPLE_RATE))
        from kokoro_narrator.audio.loudness import integrated

        report.update(seconds=result.seconds, before=gain["before_lufs"], gain=gain["gain_db"],
                      after=round(integrated(result.measurement), 2), true_peak=round(result.measurement.true_peak, 2))
        (folder / f"chapters-{count}.json").write_text(json.dumps(result.starts))
    elif step in ("m4b", "opus", "mp3"):
        starts = json.loads((folder / f"chapters-{count}.json").read_text())
        marks = [Chapter(f"Chapter {n + 1}", s, s + 1) for n, s in enumerate(starts)]
        out = book.with_suffix(f".{step}")
        encode_book(book, out, step, Tags("Bench"), marks)
        report["bytes"] = out.stat().st_size
        out.unlink()
    report.update(rss=peak_rss(), wall=time.perf_counter() - started)
    return report


def run_child(step: str, folder: Path, count: int) -> dict:
    command = [sys.executable, __file__, "--child", step, str(folder), str(count)]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def synthetic(args: argparse.Namespace) -> int:
    counts = [max(1, round(h * 3600 / CHUNK_SECONDS)) for h in (args.short_hours, args.long_hours)]
    with tempfile.TemporaryDirectory(prefix="bench-output-", dir=args.dir) as temp:
        folder = Path(temp)
        run_child("make", folder, counts[1])
        results = {count: {step: run_child(step, folder, count) for step in STEPS} for count in counts}
    floor = min(results[c]["imports"]["rss"] for c in counts)
    print(f"{'step':<8} {'audio h':>8} {'peak RSS MB':>12} {'over floor MB':>14} {'wall s':>8} {'x real time':>12} {'out MB':>8}")
    for count in counts:
        hours = count * CHUNK_SECONDS / 3600
        for step in STEPS:
            r = results[count][step]
            speed = hours * 3600 / r["wall"] if step != "imports" else 0
            print(f"{step:<8} {hours:>8.2f} {r['rss'] / MIB:>12.1f} {(r['rss'] - floor) / MIB:>14.1f} {r['wall']:>8.2f} "
                  f"{speed:>12.0f} {r.get('bytes', 0) / MIB:>8.1f}")
        join = results[count]["join"]
        print(f"  loudness: {join['before']} LUFS, gain {join['gain']:+.2f} dB -> {join['after']} LUFS, "
              f"true peak {join['true_peak']} dBTP")
    worst = 0
    for step in STEPS[1:]:
        short, long = ((results[c][step]["rss"] - floor) for c in counts)
        if long > 1.5 * short + 16 * MIB:
            print(f"FAIL: {step}: peak RSS over the floor grew from {short / MIB:.1f} MB to {long / MIB:.1f} MB")
            worst = 1
    return worst


def real_book(args: argparse.Namespace) -> int:
    """Speak the opening of a book with the configured model, publish all formats, print the numbers."""
    import dataclasses

    import pyloudnorm
    import soundfile as sf

    from kokoro_narrator.core.config import JobsConfig, OutputConfig, PathsConfig, load_config
    from kokoro_narrator.synthesis.engine import KokoroEngine
    from kokoro_narrator.jobs.store import JobStore
    from kokoro_narrator.jobs.runner import JobRunner
    from support.jobs import add_book

    data = args.book.read_bytes()
    if args.chars:
        data = data[:args.chars].rsplit(b"\r\n\r\n", 1)[0].rsplit(b"\n\n", 1)[0] + b"\n\n"
    config = load_config(args.config)
    engine = KokoroEngine.load(config.tts.kokoro)
    with tempfile.TemporaryDirectory(prefix="bench-output-book-", dir=args.dir) as temp:
        root = Path(temp)
        config = dataclasses.replace(
            config, jobs=JobsConfig(max_chunk_chars=args.chunk_chars),
            paths=PathsConfig(inbox=root / "in", outbox=root / "out", jobs=root / "jobs"),
            output=OutputConfig(formats=("wav", "m4b", "opus", "mp3")))
        store = JobStore(config.paths.jobs)
        job, _ = add_book(store, args.book.name, data, config, inbox_path=str(args.book))  # as the daemon makes it
        job = JobRunner(store, config, engine, space_margin=0).run(job)
        if job.status != "done":
            print(f"job {job.status}: {job.error}")
            return 1
        meta = json.loads(Path(job.output["json"]).read_text())
        print(json.dumps({"chars": len(data), "chunks": meta["chunks"], "chapters": len(meta["chapters"]),
                          "audio_seconds": meta["audio_seconds"], "synth_seconds": job.synth_seconds,
                          "loudness": meta["loudness"]}, indent=2))
        from kokoro_narrator.audio.loudness import Meter

        print(f"{'format':<6} {'bytes':>10} {'kB/min':>8} {'encode s':>9} {'JSON LUFS':>10} {'pyloudnorm LUFS':>16} "
              f"{'decoded dBTP':>13}")
        for record in meta["files"]:
            path = Path(record["path"])
            if record["format"] == "m4b":
                import av
                import numpy as np

                with av.open(str(path)) as container:
                    audio = np.concatenate([f.to_ndarray().reshape(-1) for f in container.decode(audio=0)])
                rate = 24000
            else:
                audio, rate = sf.read(path)
            measured = pyloudnorm.Meter(rate).integrated_loudness(audio.astype("float64"))
            meter = Meter(rate)
            meter.add(audio)
            per_minute = record["size"] / 1000 / (record["duration_seconds"] / 60)
            print(f"{record['format']:<6} {record['size']:>10} {per_minute:>8.0f} {record.get('encode_seconds', 0):>9.2f} "
                  f"{record['loudness_lufs']:>10} {measured:>16.2f} {meter.result().true_peak:>13.2f}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--short-hours", type=float, default=1 / 6, help="the short book (default 1/6 h: one chunk)")
    parser.add_argument("--long-hours", type=float, default=1.0, help="the long book (default 1 h)")
    parser.add_argument("--dir", type=Path, default=None, help="where to put the temp files")
    parser.add_argument("--book", type=Path, help="a real book through the daemon instead (needs --config)")
    parser.add_argument("--config", type=Path, help="the config naming the model, for --book")
    parser.add_argument("--chars", type=int, default=3000, help="--book: its first N characters (0: all)")
    parser.add_argument("--chunk-chars", type=int, default=2000, help="--book: max_chunk_chars")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        step, folder, count = args.child
        print(json.dumps(child(step, Path(folder), int(count))))
        return 0
    if args.book:
        if not args.config:
            parser.error("--book needs --config (the model to speak it with)")
        return real_book(args)
    return synthetic(args)


if __name__ == "__main__":
    sys.exit(main())
