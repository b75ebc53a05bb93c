"""Narration benchmark: headings with Roman numerals or capitals names, before and after normalize.py.

    python bench/bench_narration.py [BOOK ...] [-v]   # default: every book in ../shared/corpus
    python bench/bench_narration.py --examples        # what misaki reads wrong and right, before and after
    python bench/bench_narration.py --quality weights # word error rate before/after, real weights (minutes)

For each book (read, cleaned and cut as the daemon does), every heading paragraph (what the
chunker takes for a heading, plus any short all-capitals paragraph) that contains a Roman
numeral or an all-capitals word is run through misaki's G2P (`KPipeline(model=False)`, no
weights needed) twice: as the cleaned text had it (before) and as normalize.py rewrites it
(after). A heading is "read as words" when no Roman numeral reaches G2P (any of two letters or more;
I, V or X at the start or after a label; the initial in "M. Gardiner" is no numeral), no other word is spelled out letter by letter (its
phonemes are misaki's letter names, `Lexicon.get_NNP`) but an acronym that capitals.py keeps
on purpose, and no word is glued to the next by a double hyphen. Printed:
one markdown table row per book, and with -v the headings that are still not read as words.
About a minute for the whole corpus (spaCy's model loads once).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "daemon"))

from kokoro_narrator.narration.capitals import is_acronym  # noqa: E402
from kokoro_narrator.chapters.chunker import plan_chunks  # noqa: E402
from kokoro_narrator.chapters.lines import is_heading  # noqa: E402
from kokoro_narrator.narration.normalize import looks_like_heading, normalize  # noqa: E402
from kokoro_narrator.chapters import roman_value  # noqa: E402
from kokoro_narrator.narration.roman import LABELS, NOT_NUMERALS, NUMERAL  # noqa: E402
from kokoro_narrator.books.reader import read_book  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus"
CAPS = re.compile(r"\b[A-Z][A-Z']+\b")
STRESS = str.maketrans("", "", "ˈˌ")


def headings_of(path: Path) -> list[str]:
    """Every heading paragraph of a book with a Roman numeral or an all-capitals word in it."""
    book = read_book(path.read_bytes(), path.name)
    plan = plan_chunks(book.text, 20000, book.headings)
    found = []
    for chunk in plan.chunks:
        for paragraph in chunk.text.split("\n\n"):
            if not (is_heading(paragraph, book.headings) or looks_like_heading(paragraph)):
                continue
            numerals = [m.group(1) for m in NUMERAL.finditer(paragraph) if m.group(1).isupper() and roman_value(m.group(1))]
            if numerals or CAPS.search(paragraph):
                found.append(paragraph)
    return found


def numerals_left(text: str) -> list[str]:
    """Roman numerals that reach G2P as letters: any of two letters or more; I, V, X at the start or after a label."""
    left = []
    for match in NUMERAL.finditer(text):
        numeral = match.group(1)
        if not numeral.isupper() or roman_value(numeral) is None or numeral in NOT_NUMERALS:
            continue
        before = text[:match.start()].strip(" \t\"'(")
        previous = before.split()[-1].rstrip(".").lower() if before.split() else ""
        if len(numeral) > 1 or numeral in "IVX" and (not before or previous in LABELS):
            left.append(numeral)
    return left


def spelled_words(pipeline, text: str) -> list[str]:
    """The words of text that misaki reads letter by letter (acronyms kept on purpose excepted),
    the Roman numerals left, and any double hyphen that glues two words together."""
    _, tokens = pipeline.g2p(text)
    lexicon = pipeline.g2p.lexicon
    spelled = []
    for token in tokens or []:
        word = token.text
        letters = [ch for ch in word if ch.isalpha()]
        if len(letters) < 2 or not token.phonemes or is_acronym(word.upper(), shouted=False) and word.isupper():
            continue
        names, _ = lexicon.get_NNP(word)
        if names and names.translate(STRESS) == token.phonemes.translate(STRESS):
            spelled.append(word)
    spelled = [word for word in spelled if word not in NOT_NUMERALS and roman_value(word) is None]
    return spelled + numerals_left(text) + re.findall(r"\w--\w", text)


WRONG = ("CHAPTER IV.", "VII.", "Henry VIII", "World War II", "JONATHAN HARKER'S JOURNAL", "JOURNAL--continued",
         "5 May.--I must go.", "At 8:35 he left.", "at 10:00", "about 1/2 of it", "7 1/2 miles", "1914-1918",
         "pages 5\u201310", "&c.", "i.e. this, e.g. that", "St. Paul", "Baker St.", "see https://git-scm.com/book",
         "Insert 18333fig0101.png", "I said NO.", "NASA, the BBC, the USA")
RIGHT = ("the 3rd of May", "the 21st century", "in 1897", "in 1905", "the 1890s", "$5.50", "\u00a3100", "\u20ac20",
         "$1,000,000", "1,234,567", "3.14", "5%", "No. 5", "Mr. Darcy", "\u00bd", "A.D. 1066", "20 BC")


def examples(pipeline) -> None:
    """Print the two tables of docs/narration.md: what misaki misreads (and after), what it reads right."""
    def said(text: str) -> str:
        return pipeline.g2p(text)[0] if text else ""

    print("| text | misaki reads | normalized | misaki then reads |\n|---|---|---|---|")
    for text in WRONG:
        new = normalize(text).text
        print(f"| `{text}` | `{said(text)}` | {new or '(not read)'} | `{said(new)}` |")
    print("\n| text | misaki reads (left as is) | unchanged by normalize |\n|---|---|---|")
    for text in RIGHT:
        print(f"| `{text}` | `{said(text)}` | {normalize(text).text == text} |")


HEADING_EXCERPTS = (("pg11.txt", "CHAPTER II."), ("pg5200.txt", "\r\nII\r\n"), ("pg1342.txt", "Chapter 3\r\n"))
"""Where the quality excerpts start: at a chapter heading (bench_quality's start at the opening)."""


def heading_excerpt(book: str, marker: str, chars: int) -> str:
    raw = (CORPUS / book).read_bytes().decode("utf-8-sig")
    start = raw.index(marker)
    window = raw[start:start + chars]
    cut = window.rfind("\r\n\r\n")
    if cut < chars // 2:  # the chapter's first paragraph is long: end at a sentence
        cut = window.rfind(". ") + 1
    return window[:cut].strip("\r\n") + "\r\n"


def quality(weights: Path, voice: str, chars: int, books: list[str]) -> None:
    """Listening quality with real weights, the product's way (c) with and without normalization.

    Excerpts start at a chapter heading (HEADING_EXCERPTS); bench_quality.py's PocketSphinx
    transcription and alignment. Two references:
    the cleaned source text, and the same text normalized (what a narrator says: "Chapter One"
    for "CHAPTER I."). Needs `pip install pocketsphinx soxr` and `make offline-weights`.
    """
    import tempfile

    sys.path.insert(0, str(REPO / "bench"))
    import bench_quality as bq
    import torch

    from kokoro_narrator.jobs import store as jobs
    from kokoro_narrator.core.config import KokoroConfig
    from kokoro_narrator.synthesis.engine import KokoroEngine
    from kokoro_narrator.narration.nonspeech import strip_nonspeech
    from kokoro_narrator.narration.speakable import Speakable, speakable_job

    torch.set_num_threads(2)
    engine = KokoroEngine.load(KokoroConfig(voice=voice, threads=2, model_config=weights / "config.json",
                                            model_weights=weights / "kokoro-v1_0-dequant.pth",
                                            voices_dir=weights / "voices"))
    transcribe = bq.Transcriber()
    print("| book | way | WER vs source | deletions vs source | WER vs narrated | deletions vs narrated | seconds |")
    print("|---|---|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for book, marker in HEADING_EXCERPTS:
            if book not in books:
                continue
            raw = heading_excerpt(book, marker, chars)
            clean = read_book(raw.encode(), "x.txt")
            narrated = "\n\n".join(normalize(p).text for p in clean.text.split("\n\n"))
            before = lambda plan, *a: Speakable([strip_nonspeech(c.text)[0] for c in plan.chunks], {})  # noqa: E731
            for way, speak in (("before", before), ("after", speakable_job)):
                jobs.speakable_job = speak  # the one switch: chunk texts with or without lexicon and rules
                wav, utterances, _ = bq.speak_c(engine, raw, Path(tmp) / f"{book}-{way}")
                source, spoken = bq.measure(wav, raw, transcribe, utterances), bq.measure(wav, narrated, transcribe, utterances)
                print(f"| {book} | {way} | {source['wer']:.1%} | {source['deletions']:.1%} | {spoken['wer']:.1%} | "
                      f"{spoken['deletions']:.1%} | {source['seconds']:.1f} |", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("books", nargs="*", type=Path, help="books to measure (default: ../shared/corpus/*)")
    parser.add_argument("-v", "--verbose", action="store_true", help="list the headings, before and after")
    parser.add_argument("--examples", action="store_true", help="print the misread/read-right tables instead")
    parser.add_argument("--quality", type=Path, metavar="WEIGHTS", help="listening quality before/after with real weights")
    parser.add_argument("--voice", default="jf_gongitsune", help="with --quality (the offline weights hold the jf_ voices)")
    parser.add_argument("--chars", type=int, default=1500, help="with --quality: excerpt size")
    args = parser.parse_args()
    books = args.books or sorted(p for p in CORPUS.glob("*") if p.suffix in (".txt", ".md")) + \
        sorted((CORPUS / "epub").glob("*.epub"))
    if args.quality:
        quality(args.quality, args.voice, args.chars, ["pg11.txt", "pg1342.txt", "pg5200.txt"])
        return 0
    from kokoro import KPipeline

    started = time.perf_counter()
    pipeline = KPipeline(lang_code="a", repo_id="hexgrad/Kokoro-82M", model=False)
    if args.examples:
        examples(pipeline)
        return 0
    print("| book | heading lines with a Roman numeral or capitals word | read as words before | after |")
    print("|---|---:|---:|---:|")
    totals = [0, 0, 0]
    for path in books:
        headings = headings_of(path)
        before = after = 0
        for heading in headings:
            old, new = spelled_words(pipeline, heading), spelled_words(pipeline, normalize(heading).text)
            before += not old
            after += not new
            if args.verbose and (new or old):
                print(f"  {path.name}: {heading!r} {old} -> {normalize(heading).text!r} {new}")
        totals = [totals[0] + len(headings), totals[1] + before, totals[2] + after]
        print(f"| {path.name} | {len(headings)} | {before} | {after} |")
    print(f"| **all** | {totals[0]} | {totals[1]} | {totals[2]} |")
    print(f"\n{time.perf_counter() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
