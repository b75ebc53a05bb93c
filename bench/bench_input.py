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
3. Before and after a change of the chapter rules: `--save FILE` writes every book's chapters
   (title, characters) as JSON; `--compare FILE`, run on the changed code, prints each book whose
   chapters differ from the saved ones, and how. A rule change must leave every book that was
   right alone: save on the old commit, compare on the new one, over the corpus and any
   fetched books given as arguments (they stay out of the repository).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "daemon"), str(ROOT / "tests")]

from support.commonmark import differences, examples  # noqa: E402

from kokoro_narrator.chapters.chunker import plan_book  # noqa: E402
from kokoro_narrator.books.reader import read_book  # noqa: E402

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


def chapter_lists(books: list[Path]) -> dict[str, list[list]]:
    """{book file name: [[title, characters], ...]} as the daemon plans each book."""
    lists = {}
    for path in books:
        plan = plan_book(read_book(path.read_bytes(), path.name), 20000).to_json()
        lists[path.name] = [[chapter["title"], chapter["chars"]] for chapter in plan["chapters"]]
    return lists


def compare(saved: dict[str, list[list]], now: dict[str, list[list]]) -> int:
    """Print each book whose chapters changed; return how many did."""
    changed = [name for name in now if name in saved and saved[name] != now[name]]
    for name in changed:
        before, after = saved[name], now[name]
        print(f"{name}: {len(before)} -> {len(after)} chapters")
        pairs = zip(before, after) if len(before) == len(after) else [(before[:12], after[:12])]
        for old, new in pairs:
            if old != new:
                print(f"    {old} -> {new}")
    print(f"{len(changed)} of {len(now)} books changed chapters ({len(set(now) - set(saved))} not in the saved file)")
    return len(changed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("books", nargs="*", type=Path)
    parser.add_argument("--titles", action="store_true", help="list every chapter title")
    parser.add_argument("--save", type=Path, help="write every book's chapters to this JSON file, and stop")
    parser.add_argument("--compare", type=Path, help="compare every book's chapters with a --save file, and stop")
    args = parser.parse_args()
    books = args.books or sorted(SHARED.glob("*.txt")) + sorted((SHARED / "epub").glob("*.epub"))
    if args.save:
        args.save.write_text(json.dumps(chapter_lists(books), indent=1, ensure_ascii=False), encoding="utf-8")
        return 0
    if args.compare:
        compare(json.loads(args.compare.read_text(encoding="utf-8")), chapter_lists(books))
        return 0
    commonmark()
    chapters(books, args.titles)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
