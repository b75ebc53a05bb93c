"""Dialogue and speakers against the Project Dialogism Novel Corpus (PDNC, 28 annotated novels), issue 27.

For each novel: the quotes `voices/quotes.py` finds, against PDNC's quotation spans (character F1,
whitespace not counted), and the speakers `voices/speakers.py` names with the novel's character
list as the cast, against PDNC's speakers (precision: right / named; coverage: PDNC quotes named).

    .venv/kokoro/bin/python bench/bench_dialogue.py [--novel Emma] [--single] [--mistakes 20]

--single turns every double quote into a single one (offsets unchanged), to measure the British
convention, with its apostrophes, on the same annotations. The corpus is read from a bare git
mirror (--corpus); PDNC has no licence file, so nothing of it is copied into this repository.
"""

from __future__ import annotations

import argparse
import ast
import csv
import io
import random
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "daemon"))

from kokoro_narrator.voices.quotes import find_quotes  # noqa: E402
from kokoro_narrator.voices.speakers import attribute_why, Character  # noqa: E402

CORPUS = "/work/.mirror/Priya22+project-dialogism-novel-corpus/repo"


def show(corpus: str, path: str) -> str:
    return subprocess.run(["git", "-C", corpus, "show", f"HEAD:{path}"], check=True, capture_output=True,
                          text=True, encoding="utf-8").stdout


def novels(corpus: str) -> list[str]:
    out = subprocess.run(["git", "-C", corpus, "ls-tree", "--name-only", "HEAD", "data/"], check=True,
                         capture_output=True, text=True).stdout
    return [line.split("/", 1)[1] for line in out.split()]


def load(corpus: str, novel: str):
    """(text, PDNC quotes as (spans, speaker, type), cast)."""
    text = show(corpus, f"data/{novel}/novel_text.txt")
    quotes = []
    for row in csv.DictReader(io.StringIO(show(corpus, f"data/{novel}/quotation_info.csv"))):
        spans = [tuple(span) for span in ast.literal_eval(row["quoteByteSpans"])]
        quotes.append((spans, row["speaker"], row["quoteType"].lower()))
    cast = []
    for row in csv.DictReader(io.StringIO(show(corpus, f"data/{novel}/character_info.csv"))):
        gender = row["Gender"] if row["Gender"] in ("M", "F") else "U"
        cast.append(Character(row["Main Name"], tuple(sorted(ast.literal_eval(row["Aliases"]))), gender))
    # PDNC's speaker is sometimes an alias rather than the main name ("Lucy" for "Miss Honeychurch")
    mains = {character.name for character in cast}
    owners: dict[str, set[str]] = {}
    for character in cast:
        for alias in character.aliases:
            owners.setdefault(alias, set()).add(character.name)
    quotes = [(spans, speaker if speaker in mains or len(owners.get(speaker, ())) != 1 else
               next(iter(owners[speaker])), kind) for spans, speaker, kind in quotes]
    return text, quotes, cast


def marked(text: str, spans) -> bytearray:
    """One byte a character: 1 where a span covers a character that is not whitespace."""
    flags = bytearray(len(text))
    for start, end in spans:
        flags[start:end] = b"\x01" * (end - start)
    for index, char in enumerate(text):
        if char.isspace():
            flags[index] = 0
    return flags


def measure(novel: str, text: str, gold, cast, mistakes: list) -> dict:
    ours = find_quotes(text)
    gold_spans = [span for spans, _, _ in gold for span in spans]
    mine, theirs = marked(text, ours), marked(text, gold_spans)
    both = sum(a & b for a, b in zip(mine, theirs))
    owner = [-1] * len(text)  # which PDNC quote covers each character
    for number, (spans, _, _) in enumerate(gold):
        for start, end in spans:
            owner[start:end] = [number] * (end - start)
    speakers, why = attribute_why(text, ours, cast)
    named, right, named_gold, rules = 0, 0, set(), {}
    for quote, speaker, rule in zip(ours, speakers, why):
        hits = [owner[index] for index in range(quote.start, quote.end) if owner[index] >= 0]
        if not hits or speaker is None:
            continue
        number = max(set(hits), key=hits.count)
        named += 1
        named_gold.add(number)
        rules[rule] = rules.get(rule, 0) + 1
        if speaker == gold[number][1]:
            right += 1
        else:
            rules[rule + " wrong"] = rules.get(rule + " wrong", 0) + 1
            mistakes.append((novel, rule, speaker, gold[number][1], gold[number][2],
                             text[max(0, quote.start - 300):quote.end + 150]))
    explicit = [number for number, (_, _, kind) in enumerate(gold) if kind == "explicit"]
    return {"ours": sum(mine), "theirs": sum(theirs), "both": both, "named": named, "right": right,
            "covered": len(named_gold), "quotes": len(gold), "explicit": len(explicit),
            "covered_explicit": len(named_gold.intersection(explicit)), **{f"rule {k}": v for k, v in rules.items()}}


def row(name: str, m: dict) -> str:
    precision = m["both"] / m["ours"] if m["ours"] else 0.0
    recall = m["both"] / m["theirs"] if m["theirs"] else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    attribution = m["right"] / m["named"] if m["named"] else 0.0
    return (f"| {name} | {f1:.3f} | {precision:.3f} | {recall:.3f} | {100 * attribution:.1f} % | "
            f"{100 * m['covered'] / m['quotes']:.1f} % | {100 * m['covered_explicit'] / max(1, m['explicit']):.1f} % "
            f"| {m['quotes']} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", default=CORPUS)
    parser.add_argument("--novel", action="append", help="one novel (repeatable); all 28 by default")
    parser.add_argument("--single", action="store_true", help="double quotes made single")
    parser.add_argument("--mistakes", type=int, default=0, help="print this many wrong speakers")
    parser.add_argument("--rule", help="only the mistakes of this rule (verb, pronoun, paragraph, quotation, turns)")
    args = parser.parse_args()
    began = time.monotonic()
    print("| novel | quote F1 | P | R | attribution precision | coverage all | coverage explicit | quotes |")
    print("|---|---|---|---|---|---|---|---|")
    total: dict = {}
    mistakes: list = []
    for novel in args.novel or novels(args.corpus):
        text, gold, cast = load(args.corpus, novel)
        if args.single:
            text = text.replace('"', "'")
        m = measure(novel, text, gold, cast, mistakes)
        print(row(novel, m), flush=True)
        for key, value in m.items():
            total[key] = total.get(key, 0) + value
    print(row("**all**", total))
    print(f"\n{time.monotonic() - began:.0f} s")
    print("\nrules (named / wrong): " + ", ".join(
        f"{key[5:]} {total[key]} / {total.get(key + ' wrong', 0)}" for key in sorted(total)
        if key.startswith("rule ") and not key.endswith(" wrong")))
    mistakes = [mistake for mistake in mistakes if args.rule in (None, mistake[1])]
    random.Random(0).shuffle(mistakes)
    for novel, rule, ours, theirs, kind, context in mistakes[:args.mistakes]:
        print(f"\n--- {novel} ({rule}): ours {ours!r}, PDNC {theirs!r} ({kind})\n{context}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
