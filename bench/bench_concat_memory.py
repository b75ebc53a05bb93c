"""Peak memory of the streamed join must not grow with book length: few chunks vs many.

    python bench/bench_concat_memory.py                    # 10 vs 200 chunks of 60 s (~0.2 h vs 3.3 h)
    python bench/bench_concat_memory.py --long 400 --seconds 30
    python bench/bench_concat_memory.py --naive            # add the all-in-memory join, for contrast

Makes synthetic 24 kHz mono 16-bit chunk WAVs in a temp dir (the long set; the short set is
its first few), then runs each join in its own fresh process, which reports its peak RSS
(getrusage). A process that only imports the same modules gives the floor. Baseline (short)
and measurement (long) come from the same run on the same files. `--naive` adds the join
done all in memory (it needs about 4 bytes a sample twice over: 2.2 GiB for the default
long book), which shows that the measurement does see memory that grows. Exits 1 when
the long join's peak RSS over the floor is more than 1.5 times the short one's plus 8 MiB.

The parent imports only the standard library and makes the chunks in a child too: Linux
carries a process's peak RSS across fork + exec into the child's ru_maxrss, so a heavy
parent would hide the children's own peaks.
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

MIB = 1024 * 1024
PAUSE = 0.6
"""Seconds between chunks, as between paragraphs."""


def peak_rss_bytes() -> int:
    """Return this process's peak resident set size (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def make_chunks(folder: Path, count: int, seconds: float) -> list[Path]:
    """Write one chunk WAV of `seconds` through the real writer, then copies of it: count files."""
    import numpy as np

    from kokoro_narrator.audio.wav import SAMPLE_RATE, write_chunk_wav

    t = np.arange(round(seconds * SAMPLE_RATE), dtype=np.float32) / SAMPLE_RATE
    speechy = 0.3 * np.sin(2 * np.pi * 180 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))
    first = folder / "chunk_0000.wav"
    write_chunk_wav(first, np.array_split(speechy.astype(np.float32), 20))
    paths = [first]
    for number in range(1, count):
        paths.append(folder / f"chunk_{number:04d}.wav")
        shutil.copyfile(first, paths[-1])
    return paths


def child(mode: str, chunks: list[str], out: str) -> None:
    """Run in a fresh process: join chunks into out (or only import); print a JSON report."""
    from kokoro_narrator.audio.join import Piece, concat_wavs

    started = time.perf_counter()
    frames = 0
    if mode == "make":  # chunks is [count, seconds]
        make_chunks(Path(out), int(chunks[0]), float(chunks[1]))
    elif mode == "stream":
        pieces = [Piece(Path(p), PAUSE if n + 1 < len(chunks) else 0.0) for n, p in enumerate(chunks)]
        frames = concat_wavs(pieces, Path(out)).frames
    elif mode == "naive":
        frames = naive_join(chunks, Path(out))
    report = {"rss": peak_rss_bytes(), "frames": frames, "wall": time.perf_counter() - started}
    sys.stdout.write(json.dumps(report) + "\n")


def naive_join(chunks: list[str], out: Path) -> int:
    """The join done the obvious way, everything in memory: what streaming avoids."""
    import numpy as np
    import soundfile as sf

    from kokoro_narrator.audio.wav import SAMPLE_RATE, silence

    parts = []
    for n, path in enumerate(chunks):
        parts.append(sf.read(path, dtype="float32")[0])
        if n + 1 < len(chunks):
            parts.append(silence(PAUSE))
    audio = np.concatenate(parts)
    sf.write(out, audio, SAMPLE_RATE, subtype="PCM_16", format="RF64" if audio.size * 2 > 0xFFFF0000 else "WAV")
    return len(audio)


def run_child(mode: str, chunks: list[Path], out: Path) -> dict:
    """Run `child` in a new interpreter; return its report."""
    listing = out.with_suffix(".list") if mode != "make" else out / "make.list"
    if chunks:
        listing.write_text("\n".join(str(p) for p in chunks))
    command = [sys.executable, __file__, "--child", mode, str(listing), str(out)]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    report["out_bytes"] = out.stat().st_size if out.is_file() else 0
    if out.is_file():
        out.unlink()
    return report


def row(name: str, count: int, report: dict, floor: int) -> str:
    hours = report["frames"] / 24000 / 3600
    rate = report["out_bytes"] / MIB / report["wall"] if report["wall"] and report["out_bytes"] else 0.0
    return (f"{name:<10} {count:>6} {hours:>8.2f} {report['out_bytes'] / MIB:>9.0f} {report['rss'] / MIB:>9.1f} "
            f"{(report['rss'] - floor) / MIB:>10.1f} {report['wall']:>7.2f} {rate:>8.0f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--short", type=int, default=10, help="chunks in the short book (default 10)")
    parser.add_argument("--long", type=int, default=200, help="chunks in the long book (default 200)")
    parser.add_argument("--seconds", type=float, default=60.0, help="seconds of audio per chunk (default 60)")
    parser.add_argument("--naive", action="store_true", help="also run the all-in-memory join, for contrast")
    parser.add_argument("--dir", type=Path, default=None, help="where to put the temp files (default: system temp)")
    parser.add_argument("--child", nargs=3, metavar=("MODE", "LIST", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, listing, out = args.child
        child(mode, Path(listing).read_text().split("\n") if Path(listing).is_file() else [], out)
        return 0
    if not 1 <= args.short < args.long:
        parser.error("need 1 <= --short < --long")

    with tempfile.TemporaryDirectory(prefix="bench-concat-", dir=args.dir) as temp:
        folder = Path(temp)
        (folder / "make.list").write_text(f"{args.long}\n{args.seconds}")
        made = run_child("make", [], folder)["wall"]
        chunks = sorted(folder.glob("chunk_*.wav"))
        out = folder / "book.wav"
        floor = run_child("imports", [], out)["rss"]
        short = run_child("stream", chunks[:args.short], out)
        long = run_child("stream", chunks, out)
        naive = [(n, run_child("naive", chunks[:n], out)) for n in (args.short, args.long)] if args.naive else []

    print(f"chunks: {args.long} x {args.seconds:g} s made in {made:.1f} s; pause {PAUSE} s; "
          f"floor (python + numpy + soundfile + kokoro_narrator.audio.wav imported): {floor / MIB:.1f} MiB; "
          f"this parent: {peak_rss_bytes() / MIB:.1f} MiB")
    print(f"{'join':<10} {'chunks':>6} {'hours':>8} {'out MiB':>9} {'peak MiB':>9} {'over floor':>10} "
          f"{'wall s':>7} {'MiB/s':>8}")
    print(row("stream", args.short, short, floor))
    print(row("stream", args.long, long, floor))
    for count, report in naive:
        print(row("naive", count, report, floor))
    short_over, long_over = short["rss"] - floor, long["rss"] - floor
    print(f"peak RSS long/short: {long['rss'] / short['rss']:.3f}  "
          f"(over floor: {long_over / MIB:.1f} vs {short_over / MIB:.1f} MiB) for "
          f"{long['frames'] / short['frames']:.1f}x the audio")
    grew = long_over > 1.5 * short_over + 8 * MIB
    print("memory grows with book length" if grew else "memory is constant in book length")
    return 1 if grew else 0


if __name__ == "__main__":
    sys.exit(main())
