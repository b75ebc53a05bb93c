"""Text and audio in sync: does each sentence's clip hold that sentence, and not its neighbours?

    python bench/bench_sync.py --weights weights [--voice jf_gongitsune] [--sentences 40] [--seed 26] [--work DIR]

A fixed excerpt of Alice (../shared/corpus/pg11.txt, CRLF, the first 1,200+ characters of chapters
I-IV with their CHAPTER headings: 5,845 characters, 55 sentences) goes through the product with real
weights: ingest (support.jobs), the job runner, publish, with `[output] formats = ["wav", "epub"]`
when the read-along builder is in (`kokoro_narrator.sync.build_readalong`), else ["wav"]. Then a fixed random sample of
sentences of four words or more is cut out of the audio:
  - epub: from `<book>.readalong.epub`: the SMIL `<par>` whose text fragment holds the sentence,
    its clipBegin..clipEnd of the chapter .m4a, decoded with PyAV;
  - wav: else from `<book>.wav`, by the sentence's start and end in `<book>.timings.json`.
Each clip is transcribed with PocketSphinx (bench_quality.Transcriber) and its matched-word rate
(|recognised words & reference words| as multisets / reference words, lowercase, letters and
digits only) taken against the sentence itself, the one before and the one after (the spoken
`text` of timings.json: numbers as words). Prints a markdown table, its summary (share of
sentences whose own rate is strictly the highest), and the summary again with both clip edges
moved by each of --shifts milliseconds. --work keeps the published book: a second run with the
same --work skips synthesis.
"""

from __future__ import annotations

import argparse
import io
import os
import posixpath
import random
import re
import sys
import tempfile
import time
import zipfile
from collections import Counter
from pathlib import Path
from urllib.parse import unquote
from xml.etree import ElementTree

import numpy as np
import soundfile as sf

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "bench"), str(REPO / "tests")]  # bench_quality's Transcriber; support.jobs
from bench_quality import Transcriber  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus" / "pg11.txt"
SMIL = "{http://www.w3.org/ns/SMIL}"


def excerpt(chapters: int = 4, chars: int = 1200) -> str:
    """The first paragraphs (at least `chars` characters) of each of the first chapters, with headings, CRLF."""
    raw = CORPUS.read_bytes().decode("utf-8-sig")
    heads = [m.start() for m in re.finditer(r"^CHAPTER [IVXL]+\.", raw, re.M)]
    bodies = ["CHAPTER I. Down the Rabbit-Hole\r\n\r\n" + raw[:heads[0]]]  # the corpus copy starts inside chapter I
    bodies += [raw[a:b] for a, b in zip(heads, heads[1:])]
    parts = []
    for body in bodies[:chapters]:
        paragraphs = [p.strip("\r\n") for p in body.split("\r\n\r\n") if p.strip() and "*    *" not in p]
        taken = []
        while paragraphs and sum(map(len, taken)) < chars:
            taken.append(paragraphs.pop(0))
        parts.append("\r\n\r\n".join(taken))
    return "\r\n\r\n\r\n\r\n".join(parts) + "\r\n"


def norm(text: str) -> list[str]:
    return [w for w in (re.sub(r"[^a-z0-9]", "", w) for w in re.sub(r"[-–—_/]", " ", text.lower()).split()) if w]


def rate(heard: list[str], reference: list[str]) -> float | None:
    if not reference:
        return None
    return sum((Counter(heard) & Counter(reference)).values()) / len(reference)


def publish(weights: Path, voice: str, threads: int, root: Path) -> tuple[Path, list[str]]:
    """Speak the excerpt through ingest, the runner and publish; return the WAV's path and the formats asked."""
    import torch

    import kokoro_narrator.sync as sync
    from kokoro_narrator.cli.commands import setup_logging
    from kokoro_narrator.core.config import Config, KokoroConfig, OutputConfig, PathsConfig, TtsConfig
    from kokoro_narrator.jobs.runner import JobRunner
    from kokoro_narrator.jobs.store import JobStore
    from kokoro_narrator.synthesis.allocator import keep_freed_memory
    from kokoro_narrator.synthesis.engine import KokoroEngine
    from support.jobs import add_book

    setup_logging()
    torch.set_num_threads(threads)
    keep_freed_memory()
    formats = ("wav", "epub") if hasattr(sync, "build_readalong") else ("wav",)
    engine = KokoroEngine.load(KokoroConfig(voice=voice, threads=threads, model_config=weights / "config.json",
                                            model_weights=weights / "kokoro-v1_0-dequant.pth",
                                            voices_dir=weights / "voices"))
    config = Config(tts=TtsConfig(kokoro=engine.settings), output=OutputConfig(formats=formats),
                    paths=PathsConfig(inbox=root / "in", outbox=root / "out", jobs=root / "jobs"))
    store = JobStore(config.paths.jobs)
    job, _ = add_book(store, "alice.txt", excerpt().encode(), config)
    job = JobRunner(store, config, engine, space_margin=0).run(job)
    return Path(job.output["wav"]), list(formats)


def seconds(clock: str) -> float:
    """A SMIL clock value (H:MM:SS.mmm, MM:SS.mmm, 1.5s, 1500ms) as seconds."""
    clock = clock.strip()
    if clock.endswith("ms"):
        return float(clock[:-2]) / 1000
    if clock.endswith("s") and ":" not in clock:
        return float(clock[:-1])
    value = 0.0
    for part in clock.split(":"):
        value = value * 60 + float(part)
    return value


def decode(data: bytes) -> tuple[np.ndarray, int]:
    import av

    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        frames = [frame.to_ndarray().astype(np.float32) for frame in container.decode(stream)]
        rate_ = stream.codec_context.sample_rate
    audio = np.concatenate([f.reshape(f.shape[0], -1) if f.ndim == 2 else f[None] for f in frames], axis=1)
    return audio.mean(axis=0) if audio.shape[0] > 1 else audio[0], rate_


def epub_clips(epub: Path, sentences: list) -> tuple[dict[str, tuple[str, float, float]], dict[str, tuple[np.ndarray, int]], int]:
    """sentence id -> (audio path, clipBegin, clipEnd) from the EPUB's overlays, the decoded audio files,
    and how many pars were not tied to a sentence."""
    clips: dict[str, tuple[str, float, float]] = {}
    unmatched = 0
    with zipfile.ZipFile(epub) as z:
        names = z.namelist()
        texts: dict[str, dict[str, str]] = {}
        for smil in sorted(n for n in names if n.endswith(".smil")):
            groups: dict[tuple[str, str], list[tuple[str, float, float]]] = {}
            for par in ElementTree.fromstring(z.read(smil)).iter(f"{SMIL}par"):
                text, audio = par.find(f"{SMIL}text"), par.find(f"{SMIL}audio")
                doc, _, fragment = unquote(text.get("src")).partition("#")
                doc = posixpath.normpath(posixpath.join(posixpath.dirname(smil), doc))
                clip = (posixpath.normpath(posixpath.join(posixpath.dirname(smil), unquote(audio.get("src")))),
                        seconds(audio.get("clipBegin")), seconds(audio.get("clipEnd")))
                groups.setdefault((doc, fragment), []).append(clip)
            for (doc, fragment), pars in groups.items():
                if doc not in texts:
                    root = ElementTree.fromstring(z.read(doc))
                    texts[doc] = {e.get("id"): "".join(e.itertext()) for e in root.iter() if e.get("id")}
                shown = " ".join(norm(texts[doc].get(fragment, "")))
                # the sentences this fragment holds, in reading order, not yet given a par
                held = [s for s in sentences if s.id not in clips and " ".join(norm(s.shown)) and
                        f" {' '.join(norm(s.shown))} " in f" {shown} "]
                if len(held) < len(pars):
                    unmatched += len(pars) - len(held)
                for sentence, clip in zip(held, pars):
                    clips[sentence.id] = clip
        audio = {name: decode(z.read(name)) for name in {clip[0] for clip in clips.values()}}
    return clips, audio, unmatched


def lag_ms(a: np.ndarray, b: np.ndarray, rate_: int, reach: float = 0.3) -> float:
    """Milliseconds by which b's content comes later than a's (cross-correlation of the first 20 s)."""
    n = min(len(a), len(b), 20 * rate_)
    a, b = a[:n] - a[:n].mean(), b[:n] - b[:n].mean()
    spectrum = np.fft.irfft(np.fft.rfft(b, 2 * n) * np.conj(np.fft.rfft(a, 2 * n)))
    k = int(reach * rate_)
    lags = np.concatenate((spectrum[:k], spectrum[-k:]))
    best = int(np.argmax(lags))
    return (best if best < k else best - 2 * k) / rate_ * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", required=True, help="dir with config.json, kokoro-v1_0-dequant.pth, voices/")
    parser.add_argument("--voice", default="jf_gongitsune")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--sentences", type=int, default=40)
    parser.add_argument("--seed", type=int, default=26)
    parser.add_argument("--shifts", default="-150,-75,150", help="ms to move both clip edges by (sensitivity)")
    parser.add_argument("--work", help="folder for the published book (kept; reused when it is there)")
    parser.add_argument("--source", choices=("auto", "wav"), default="auto", help="wav: cut from the WAV even with an EPUB")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from kokoro_narrator.sync import read_timings

    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="bench-sync-"))
    made = sorted((work / "out").glob("*.timings.json")) if (work / "out").is_dir() else []
    began = time.monotonic()
    if made:
        wav, formats, spoke = made[0].with_name(made[0].name[:-len(".timings.json")] + ".wav"), ["reused"], 0.0
    else:
        wav, formats = publish(Path(args.weights), args.voice, args.threads, work)
        spoke = time.monotonic() - began
    timings = read_timings(wav.with_suffix(".timings.json"))
    book, rate_ = sf.read(wav, dtype="float32")
    sentences = list(timings.sentences)
    epub = wav.with_suffix(".readalong.epub")
    source = "epub" if epub.exists() and args.source == "auto" else "wav"
    notes = []
    if source == "epub":
        clips, audio, unmatched = epub_clips(epub, sentences)
        chapters = {int(c["index"]): c for c in timings.chapters}
        drift = max((abs(clips[s.id][1] - (s.start - chapters[s.chapter]["start"])) for s in sentences if s.id in clips),
                    default=0.0)
        lags = [lag_ms(book[round(chapters[int(re.search(r"ch(\d+)\.m4a$", name).group(1)) - 1]["start"] * rate_):], a, r)
                for name, (a, r) in sorted(audio.items()) if r == rate_]
        notes.append(f"EPUB: {len(clips)} of {len(sentences)} sentences have a par ({unmatched} pars not tied to one); "
                     f"clipBegin vs timings start (chapter time): at most {drift * 1000:.0f} ms apart; chapter .m4a vs "
                     f"<book>.wav: {', '.join(f'{x:+.1f}' for x in lags) or 'n/a'} ms")
    else:
        clips = {s.id: ("wav", s.start, s.end) for s in sentences}
        audio = {"wav": (book, rate_)}
    order = {s.id: n for n, s in enumerate(sentences)}
    candidates = [s for s in sentences if len(norm(s.text)) >= 4 and s.id in clips]
    sample = sorted(random.Random(args.seed).sample(candidates, min(args.sentences, len(candidates))),
                    key=lambda s: order[s.id])
    transcribe = Transcriber()

    def measure(shift_ms: float) -> list[tuple]:
        rows = []
        for s in sample:
            name, begin, end = clips[s.id]
            data, r = audio[name]
            a, b = max(0, round((begin + shift_ms / 1000) * r)), min(len(data), round((end + shift_ms / 1000) * r))
            heard = norm(" ".join(transcribe(data[a:b], r)))
            n = order[s.id]
            near = [sentences[n - 1].text if n > 0 else "", sentences[n + 1].text if n + 1 < len(sentences) else ""]
            rows.append((s, rate(heard, norm(s.text)), rate(heard, norm(near[0])), rate(heard, norm(near[1]))))
        return rows

    def summary(rows: list[tuple]) -> tuple[float, float, float, float]:
        def mean(values):
            values = [v for v in values if v is not None]
            return sum(values) / len(values) if values else float("nan")
        best = sum(1 for _, own, before, after in rows if all(own > x for x in (before, after) if x is not None))
        return mean(r[1] for r in rows), mean(r[2] for r in rows), mean(r[3] for r in rows), best / len(rows)

    def cell(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.0%}"

    rows = measure(0)
    print(f"\nAlice excerpt ({len(excerpt())} characters, {len(timings.chapters)} chapters, {timings.duration:.1f} s of audio, "
          f"{len(sentences)} sentences), real Kokoro-82M weights ({args.weights}), voice {args.voice}; "
          f"formats {formats}; clips cut from: **{source}**; {len(sample)} sentences of 4+ words, seed {args.seed}"
          + (f"; synthesis and publish {spoke:.0f} s" if spoke else "") + "\n")
    for note in notes:
        print(note + "\n")
    print("| sentence | first words | start s | length s | own | before | after |")
    print("|---|---|---|---|---|---|---|")
    for s, own, before, after in rows:
        print(f"| {s.id} | {' '.join(s.text.split()[:5])}… | {s.start:.2f} | {s.end - s.start:.2f} | {cell(own)} | "
              f"{cell(before)} | {cell(after)} |")
    own, before, after, best = summary(rows)
    print(f"| **all** | mean of {len(rows)} | | | **{own:.0%}** | **{before:.0%}** | **{after:.0%}** | "
          f"own strictly highest: **{best:.0%}** |")
    print("\nBoth clip edges moved (ms; negative = earlier):\n")
    print("| shift | own | before | after | own strictly highest |")
    print("|---|---|---|---|---|")
    results = {0.0: (own, before, after, best)}
    for shift in (float(x) for x in args.shifts.split(",") if x.strip()):
        results[shift] = summary(measure(shift))
    for shift in sorted(results):
        o, bf, af, bs = results[shift]
        print(f"| {shift:+.0f} | {o:.0%} | {bf:.0%} | {af:.0%} | {bs:.0%} |")
    print(f"\ntotal {time.monotonic() - began:.0f} s; book kept in {work}", file=sys.stderr)


if __name__ == "__main__":
    main()
