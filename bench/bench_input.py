"""Input bench: how cleanly markdown is read, and which chapters real books get (docs/input.md).

    .venv/kokoro/bin/python bench/bench_input.py [BOOK ...] [--titles]

1. CommonMark: every example of the spec (tests/data/commonmark-spec.txt, CC BY-SA 4.0) read
   by markdown.py and compared with the words its HTML shows (tests/commonmark.py); prints
   the share read cleanly and each unclean example.
2. Chapters: each book (default: ../shared/corpus/*.txt and ../shared/corpus/epub/*.epub)
   read and planned as the daemon does; prints one row per book: chapters found (the
   opening not counted), the book's own contents (the contents list found in a text, the
   TOC entries of an EPUB), and the seconds it took. `--titles` lists every chapter title,
   which is how false headings are counted (by reading them: docs/input.md says which).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "daemon"), str(ROOT / "tests")]

from commonmark import differences, examples  # noqa: E402

from kokoro_narrator.chunker import plan_book  # noqa: E402
from kokoro_narrator.text import read_book  # noqa: E402

SHARED = ROOT.parent / "shared" / "corpus"


def commonmark() -> None:
    cases = examples()
    unclean = [(case, *differences(case)) for case in cases if any(differences(case))]
    clean = len(cases) - len(unclean)
    print(f"CommonMark spec examples read cleanly: {clean}/{len(cases)} ({100 * clean / len(cases):.1f} %)")
    for case, spoken, dropped in unclean:
        print(f"  example {case.number}: spoken but not shown {dict(spoken)}, shown but not spoken {dict(dropped)}")


def chapters(books: list[Path], show_titles: bool) -> None:
    print("\n| book | chapters found | own contents | contents list | seconds |\n|---|---:|---:|---|---:|")
    for path in books:
        started = time.perf_counter()
        book = read_book(path.read_bytes(), path.name)
        plan = plan_book(book, 20000)
        seconds = time.perf_counter() - started
        found = [c.title for c in plan.chapters if not (c.index == 0 and c.title == "Opening")]
        own = len(book.headings) if path.suffix == ".epub" else len(plan.contents)
        kind = "TOC" if path.suffix == ".epub" else ("found" if plan.contents else "none")
        print(f"| {path.name} | {len(found)} | {own or '-'} | {kind} | {seconds:.2f} |")
        if show_titles:
            for title in plan.chapters:
                print(f"|   | {'  ' * (title.level - 1)}{title.title[:80]} | | | |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("books", nargs="*", type=Path)
    parser.add_argument("--titles", action="store_true", help="list every chapter title")
    args = parser.parse_args()
    commonmark()
    books = args.books or sorted(SHARED.glob("*.txt")) + sorted((SHARED / "epub").glob("*.epub"))
    chapters(books, args.titles)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
