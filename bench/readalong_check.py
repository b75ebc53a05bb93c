"""Build a read-along EPUB from a real book with fake timings, then run epubcheck on it.

    .venv/kokoro/bin/python bench/readalong_check.py ../shared/corpus/epub/childrens-literature.epub [out.epub]
    .venv/kokoro/bin/python bench/readalong_check.py ../shared/corpus/pg11.txt

Timings come from tests/support/timings.py (every sentence of the clean text, silence for audio);
prints the warnings, how many sentences got a par, and epubcheck's verdict.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "daemon"), str(ROOT / "tests")]

from support.timings import fake_timings  # noqa: E402

from kokoro_narrator.sync.readalong import build_readalong  # noqa: E402


def epubcheck(path: Path) -> tuple[int, str]:
    """epubcheck's exit status and output (the Debian package installs a jar: run it with java)."""
    import shutil

    tool = shutil.which("epubcheck")
    if tool is None:
        return -1, "epubcheck is not installed"
    # a bigger stack: epubcheck 4.2's reading-order check recurses once per fragment link, and a long
    # chapter's overlay (pg1342) overflows the default one (StackOverflowError, exit 1, "0 errors")
    command = ["java", "-Xss64m", "-jar", tool] if Path(tool).resolve().suffix == ".jar" else [tool]
    done = subprocess.run(command + [str(path)], capture_output=True, text=True)
    return done.returncode, done.stdout + done.stderr


def main() -> int:
    source = Path(sys.argv[1])
    with tempfile.TemporaryDirectory() as folder:
        out = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(folder) / f"{source.stem}.readalong.epub"
        started = time.monotonic()
        timings = fake_timings(source.read_bytes(), source.name, Path(folder) / "book.wav")
        warnings = build_readalong(out, timings, Path(folder) / "book.wav", source.name, source.read_bytes())
        built = time.monotonic() - started
        with zipfile.ZipFile(out) as book:
            pars = sum(len(re.findall(r"<par\b", book.read(n).decode()))
                       for n in book.namelist() if n.endswith(".smil"))
        print(f"{source.name}: {len(timings.sentences)} sentences, {pars} pars, {len(timings.chapters)} chapters, "
              f"{out.stat().st_size:,} bytes in {built:.1f} s")
        for warning in warnings:
            print(f"  warning: {warning}")
        code, report = epubcheck(out)
        kept = ("ERROR", "WARNING", "FATAL", "Messages")
        print("\n".join(line for line in report.splitlines() if line.startswith(kept)))
        print(f"epubcheck exit {code}")
        return code


if __name__ == "__main__":
    sys.exit(main())
