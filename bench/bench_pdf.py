"""PDF bench: are real typeset books read as their text, without headers, footers and page numbers?

    .venv/kokoro/bin/python bench/bench_pdf.py [--work DIR] [--diff N] [PDF ...]

Needs pandoc and LaTeX (Debian: `apt-get install pandoc texlive-latex-recommended
texlive-latex-extra lmodern`). Each corpus book (../shared/corpus/pg11.txt, pg1342.txt,
pg5200.txt) is read as plain text (`read_book`), its clean paragraphs written as pandoc markdown
with the chapter headings as `#` headings, and typeset by pandoc + pdflatex as a real book would
be: the book class, running headers (fancyhdr: the chapter's title on one side, the book's title
on the other, the page number in the header's outer corner, or in the footer), LaTeX's
hyphenation, justified lines, hyperref bookmarks (the outline) and the title, author and language
in the PDF's metadata but no title page (a title page's words are not in the text). One book is
set in two columns. The PDFs are cached in the work folder (default bench/results/pdf/, not
committed) and rebuilt when the text, the preamble or the options change.

Each PDF is then read by `read_book` and its words compared with the plain text's: recall (the
share of the text's words spoken, in order) and precision (the share of spoken words that are the
text's), by difflib on the word lists; the chapters must equal the outline (one heading per
bookmark, titled by it). `--diff N` prints the first N differing stretches of each book. PDFs
given as arguments are read and summarized (pages, paragraphs, chapters, warnings) without a
reference text.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import re
import shutil
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "daemon")]

from kokoro_narrator.books.reader import read_book  # noqa: E402

SHARED = ROOT.parent / "shared" / "corpus"
WORK = ROOT / "bench" / "results" / "pdf"

BOOKS = {
    # name: (title, author, chapter heading pattern, extra pandoc options, how the running heads are set)
    "pg11": ("Alice's Adventures in Wonderland", "Lewis Carroll", r"CHAPTER [IVXL]+\..*", [], "head"),
    "pg1342": ("Pride and Prejudice", "Jane Austen", r"Chapter \d+", [], "foot"),
    "pg5200": ("Metamorphosis", "Franz Kafka", r"[IVX]+", ["-V", "classoption=twocolumn"], "head"),
}

HEADS = {
    # Book title on even pages, the chapter on odd pages, the page number at the outer corner.
    "head": r"""\fancyhead[LE]{\thepage\hspace{2em}\textsc{%(title)s}}
\fancyhead[RO]{\nouppercase{\leftmark}\hspace{2em}\thepage}""",
    # Title and chapter in the header, the page number centred in the footer.
    "foot": r"""\fancyhead[LE]{\textit{%(title)s}}
\fancyhead[RO]{\textit{\nouppercase{\leftmark}}}
\fancyfoot[C]{--- \thepage\ ---}""",
}

PREAMBLE = r"""\usepackage{fancyhdr}
\pagestyle{fancy}
\fancyhf{}
%(heads)s
\renewcommand{\headrulewidth}{0.4pt}
\renewcommand{\chaptermark}[1]{\markboth{#1}{#1}}
\fancypagestyle{plain}{\fancyhf{}\fancyfoot[C]{\thepage}\renewcommand{\headrulewidth}{0pt}}
\hypersetup{pdftitle={%(title)s},pdfauthor={%(author)s},pdflang={en-US},bookmarksopen=true}
"""

MARKDOWN_SPECIAL = re.compile(r"([\\`*\[\]<>#|$^~@{}])")


def markdown_of(text: str, heading: re.Pattern[str]) -> tuple[str, list[str]]:
    """The clean text as pandoc markdown (headings `#`, verse as line blocks, markup escaped); and the headings."""
    out, headings = [], []
    for paragraph in text.split("\n\n"):
        escaped = MARKDOWN_SPECIAL.sub(r"\\\1", paragraph)
        if heading.fullmatch(paragraph):
            headings.append(paragraph)
            out.append(f"# {escaped}")
        elif "\n" in paragraph:
            out.append("\n".join(f"| {line}" for line in escaped.split("\n")))
        else:
            out.append(re.sub(r"^(\d+)\.", r"\1\\.", escaped))  # "1842. It was" is not a list
    return "\n\n".join(out) + "\n", headings


def build(name: str, work: Path) -> tuple[Path, str, list[str]]:
    """Typeset one corpus book (cached); return the PDF, the book's clean text and its chapter headings."""
    title, author, pattern, options, heads = BOOKS[name]
    source = SHARED / f"{name}.txt"
    text = read_book(source.read_bytes(), source.name).text
    markdown, headings = markdown_of(text, re.compile(pattern))
    preamble = PREAMBLE % {"heads": HEADS[heads] % {"title": title}, "title": title, "author": author}
    key = hashlib.sha256((markdown + preamble + " ".join(options)).encode()).hexdigest()
    pdf = work / f"{name}-{key[:12]}.pdf"
    if not pdf.exists():
        folder = work / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "book.md").write_text(markdown, encoding="utf-8")
        (folder / "preamble.tex").write_text(preamble, encoding="utf-8")
        subprocess.run(["pandoc", "book.md", "-f", "markdown", "-o", "book.pdf", "--pdf-engine=pdflatex",
                        "--top-level-division=chapter", "-V", "documentclass=book", "-V", "lang=en-US",
                        "-V", "geometry=a5paper,margin=18mm", "-V", "fontsize=10pt", "-H", "preamble.tex",
                        *options], cwd=folder, check=True)
        shutil.copyfile(folder / "book.pdf", pdf)
    return pdf, text, headings


WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


def words_of(text: str) -> list[str]:
    """Words as a listener hears them: letters and digits, case and accents' composition aside."""
    return WORD.findall(unicodedata.normalize("NFKC", text).replace("\u2019", "'").lower())


def compare_read(path: Path, text: str, headings: list[str], show: int, label: str = "read") -> dict:
    """The words and chapters of the document read, against the book's text and headings (also bench_formats)."""
    started = time.perf_counter()
    book = read_book(path.read_bytes(), path.name)
    seconds = time.perf_counter() - started
    want, got = words_of(text), words_of(book.text)
    matcher = difflib.SequenceMatcher(None, want, got, autojunk=False)
    same = sum(block.size for block in matcher.get_matching_blocks())
    stretches = [op for op in matcher.get_opcodes() if op[0] != "equal"]
    for tag, i1, i2, j1, j2 in stretches[:show]:
        print(f"  {tag}: text {' '.join(want[max(0, i1 - 3):i2 + 3])!r} / "
              f"{label} {' '.join(got[max(0, j1 - 3):j2 + 3])!r}")
    spoken = [" ".join(words_of(heading)) for heading in book.headings]
    chapters_ok = list(book.titles) == headings and spoken == [" ".join(words_of(heading)) for heading in headings]
    return {"words": len(want), "recall": same / len(want), "precision": same / max(1, len(got)),
            "stretches": len(stretches), "chapters": len(book.headings), "book_chapters": len(headings),
            "chapters_ok": chapters_ok, "seconds": seconds, "warnings": book.warnings}


def compare(name: str, pdf: Path, text: str, headings: list[str], show: int) -> dict:
    row = compare_read(pdf, text, headings, show, "pdf")
    return {"book": name, "pages": page_count(pdf), **row, "outline": row.pop("book_chapters")}


def page_count(pdf: Path) -> int:
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf.read_bytes())
    try:
        return len(document)
    finally:
        document.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pdfs", nargs="*", type=Path)
    parser.add_argument("--work", type=Path, default=WORK)
    parser.add_argument("--diff", type=int, default=0, help="print so many differing stretches of each book")
    parser.add_argument("--books", nargs="*", default=list(BOOKS))
    args = parser.parse_args()
    if args.pdfs:
        for path in args.pdfs:
            book = read_book(path.read_bytes(), path.name)
            print(f"{path.name}: {page_count(path)} pages, {book.text.count(chr(10) * 2) + 1} paragraphs, "
                  f"{len(book.headings)} chapters, {len(words_of(book.text))} words; metadata {book.metadata}")
            for warning in book.warnings:
                print(f"  warning: {warning}")
        return 0
    args.work.mkdir(parents=True, exist_ok=True)
    rows, failed = [], False
    print("| book | layout | pages | words | recall | precision | differing stretches | chapters = outline | s |")
    print("|---|---|---:|---:|---:|---:|---:|---|---:|")
    for name in args.books:
        pdf, text, headings = build(name, args.work)
        row = compare(name, pdf, text, headings, args.diff)
        rows.append(row)
        layout = "two columns" if "twocolumn" in " ".join(BOOKS[name][3]) else "one column"
        ok = row["chapters_ok"] and row["chapters"] == row["outline"]
        print(f"| {name} | {layout} | {row['pages']} | {row['words']} | {100 * row['recall']:.2f} % | "
              f"{100 * row['precision']:.2f} % | {row['stretches']} | {'yes' if ok else 'NO'} "
              f"({row['chapters']}/{row['outline']}) | {row['seconds']:.1f} |")
        for warning in row["warnings"]:
            print(f"  warning: {warning}")
        failed |= row["recall"] < 0.995 or row["precision"] < 0.995 or not ok
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
