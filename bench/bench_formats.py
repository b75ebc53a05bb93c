"""DOCX, FB2 and HTML bench: are documents made from the corpus books read as the books' text and chapters?

    .venv/kokoro/bin/python bench/bench_formats.py [--work DIR] [--diff N] [--books pg11 ...] [--formats docx ...]

Needs pandoc. Each corpus book (../shared/corpus/pg11.txt, pg1342.txt, pg5200.txt) is read as
plain text (`read_book`) and written as pandoc markdown with its chapter headings as `#`
headings, as bench_pdf.py prepares it for LaTeX; pandoc makes a DOCX (`-o book.docx`), an FB2
(`-o book.fb2`) and a standalone HTML page (`-s -o book.html`, the book's title as the page's
`<title>`) of it. The files are cached in the work folder (default bench/results/formats/, not
committed) and rebuilt when the markdown changes.

Each file is read by `read_book` and its words compared with the plain text's, as bench_pdf.py
does: recall (the share of the text's words read, in order) and precision (the share of words
read that are the text's), by difflib on the word lists; its chapters must be the book's
(the headings and their titles). `--diff N` prints the first N differing stretches of each file.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import subprocess
from pathlib import Path

from bench_pdf import BOOKS, compare_read, ROOT, SHARED, markdown_of

from kokoro_narrator.books.reader import read_book

WORK = ROOT / "bench" / "results" / "formats"
FORMATS = {"docx": [], "fb2": [], "html": ["-s"]}
"""Each format and pandoc's options for it."""


def build(name: str, form: str, work: Path) -> tuple[Path, str, list[str]]:
    """One corpus book as a document of that format (cached); return it, the book's clean text and its headings."""
    title, _, pattern, _, _ = BOOKS[name]
    source = SHARED / f"{name}.txt"
    text = read_book(source.read_bytes(), source.name).text
    markdown, headings = markdown_of(text, re.compile(pattern))
    options = [*FORMATS[form], "--metadata", f"pagetitle={title}"]
    key = hashlib.sha256((markdown + " ".join(options)).encode()).hexdigest()
    path = work / f"{name}-{key[:12]}.{form}"
    if not path.exists():
        folder = work / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "book.md").write_text(markdown, encoding="utf-8")
        subprocess.run(["pandoc", "book.md", "-f", "markdown", "-o", f"book.{form}", *options], cwd=folder, check=True)
        (folder / f"book.{form}").replace(path)
    return path, text, headings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=WORK)
    parser.add_argument("--diff", type=int, default=0, help="print so many differing stretches of each file")
    parser.add_argument("--books", nargs="*", default=list(BOOKS))
    parser.add_argument("--formats", nargs="*", default=list(FORMATS))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    failed = False
    print("| format | book | words | recall | precision | differing stretches | chapters = book's | s |")
    print("|---|---|---:|---:|---:|---:|---|---:|")
    for form in args.formats:
        for name in args.books:
            path, text, headings = build(name, form, args.work)
            row = compare_read(path, text, headings, args.diff)
            ok = row["chapters_ok"] and row["chapters"] == row["book_chapters"]
            print(f"| {form.upper()} | {name} | {row['words']} | {100 * row['recall']:.2f} % | "
                  f"{100 * row['precision']:.2f} % | {row['stretches']} | {'yes' if ok else 'NO'} "
                  f"({row['chapters']}/{row['book_chapters']}) | {row['seconds']:.1f} |")
            for warning in row["warnings"]:
                print(f"  warning: {warning}")
            failed |= row["recall"] < 0.995 or row["precision"] < 0.995 or not ok
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
