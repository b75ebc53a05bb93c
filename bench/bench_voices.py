"""Voices with real weights: does each part of a chapter sound like the voice it was given, and what does it cost?

    python bench/bench_voices.py --weights weights [--chars 4000] [--work DIR]

Chapter V of Alice ("Advice from a Caterpillar", ../shared/corpus/pg11.txt, its first --chars
characters) goes through the product twice with real weights (ingest, the job runner, publish):
once read by the narrator alone, once with `[voices] dialogue` and `cast = "auto"`. The offline
weights carry five voices, all Japanese (jf_alpha, jf_gongitsune, jf_nezumi, jf_tebukuro, jm_kumo):
the narrator is jf_gongitsune, the dialogue voice jf_alpha, and the cast takes the other three.

Each segment (`chunk --json --voices`: its voice and its place in the clean text) is cut out of the
book's WAV by its words' times (`<book>.timings.json`). Every segment of 0.6 s or more gets a voice
print: the mean and spread of its log-mel spectrum (40 bands, 25 ms frames, speech frames only) and
its median pitch (autocorrelation, 60-400 Hz). Reported:
  - per voice: segments, seconds, median pitch;
  - which voice each segment sounds like: nearest voice centroid of the other segments (leave one
    out), as a confusion table and an accuracy: a listener hears four voices where the prints
    separate them;
  - the speed cost: the same chunk texts spoken by the engine alone and with the voices' spans,
    alternately, --rounds times each, in the same process: the best and the median seconds of each,
    and the number of model calls (voices cut utterances where the voice changes).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import soundfile as sf

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tests")]
CORPUS = REPO.parent / "shared" / "corpus" / "pg11.txt"
RATE = 24000


def excerpt(chars: int) -> str:
    raw = CORPUS.read_bytes().decode("utf-8-sig")
    start = raw.index("CHAPTER V.")
    end = raw.index("\r\n\r\n", start + chars)
    return raw[start:end] + "\r\n"


def publish(engine, root: Path, text: str, voices: dict) -> tuple[Path, float, float]:
    """Make the book; return (its outbox folder, audio seconds, synthesis seconds)."""
    from kokoro_narrator.core.config import Config, PathsConfig, TtsConfig, VoicesConfig
    from kokoro_narrator.jobs.runner import JobRunner
    from kokoro_narrator.jobs.store import JobStore
    from support.jobs import add_book

    config = Config(tts=TtsConfig(kokoro=engine.settings), voices=VoicesConfig(**voices),
                    paths=PathsConfig(inbox=root / "in", outbox=root / "out", jobs=root / "jobs"))
    store = JobStore(config.paths.jobs)
    job, _ = add_book(store, "alice.txt", text.encode(), config)
    started = time.perf_counter()
    job = JobRunner(store, config, engine, space_margin=0).run(job)
    assert job.status == "done", job.error
    return config.paths.outbox, job.output["audio_seconds"], time.perf_counter() - started


def segments(config_file: Path, book: Path) -> dict:
    import subprocess

    command = [sys.executable, "-m", "kokoro_narrator.cli", "chunk", "--config", str(config_file), "--json",
               "--voices", str(book)]
    return json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)


def mel_bank(n_fft: int = 1024, bands: int = 40, low: float = 60, high: float = 8000) -> np.ndarray:
    """Triangular mel filters over the rfft bins of n_fft samples at RATE (bench_int8.py uses them too)."""
    mel = lambda f: 2595 * np.log10(1 + f / 700)  # noqa: E731
    edges = 700 * (10 ** (np.linspace(mel(low), mel(high), bands + 2) / 2595) - 1)
    bins = np.floor((n_fft + 1) * edges / RATE).astype(int)
    bank = np.zeros((bands, n_fft // 2 + 1))
    for b in range(bands):
        left, centre, right = bins[b], bins[b + 1], bins[b + 2]
        bank[b, left:centre] = np.linspace(0, 1, max(1, centre - left), endpoint=False)
        bank[b, centre:right] = np.linspace(1, 0, max(1, right - centre), endpoint=False)
    return bank


BANK = mel_bank()


def voice_print(audio: np.ndarray) -> tuple[np.ndarray, float]:
    frame, hop = 600, 240
    frames = np.lib.stride_tricks.sliding_window_view(audio, frame)[::hop]
    energy = (frames ** 2).mean(axis=1)
    speech = frames[energy > energy.max() * 0.01]
    spectrum = np.abs(np.fft.rfft(speech * np.hanning(frame), n=1024)) ** 2
    logmel = np.log(spectrum @ BANK.T + 1e-9)
    pitches = []
    for piece in speech[::4]:
        piece = piece - piece.mean()
        corr = np.correlate(piece, piece, "full")[frame - 1:]
        low, high = RATE // 400, RATE // 60
        lag = low + int(np.argmax(corr[low:high]))
        if corr[lag] > 0.3 * corr[0]:
            pitches.append(RATE / lag)
    feature = np.concatenate([logmel.mean(axis=0), logmel.std(axis=0)])
    return feature, float(np.median(pitches)) if pitches else float("nan")


def cut(audio: np.ndarray, timings: dict, start: int, end: int) -> np.ndarray | None:
    times = [(w[0], w[1]) for s in timings["sentences"] for w in s["words"]
             if w[3] is not None and start <= w[3] and w[4] <= end]
    if not times:
        return None
    return audio[round(times[0][0] * RATE):round(times[-1][1] * RATE)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", type=Path, required=True)
    parser.add_argument("--chars", type=int, default=4000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--speed-chars", type=int, default=2000)
    args = parser.parse_args()
    import torch

    from kokoro_narrator.cli.commands import setup_logging
    from kokoro_narrator.core.config import KokoroConfig
    from kokoro_narrator.synthesis.engine import KokoroEngine

    setup_logging()
    torch.set_num_threads(args.threads)
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-voices-"))
    text = excerpt(args.chars)
    weights = args.weights.resolve()
    engine = KokoroEngine.load(KokoroConfig(voice="jf_gongitsune", threads=args.threads,
                                            model_config=weights / "config.json",
                                            model_weights=weights / "kokoro-v1_0-dequant.pth",
                                            voices_dir=weights / "voices"))
    voices = {"dialogue": "jf_alpha", "cast": "auto", "cast_size": 3}
    cast_out, _, _ = publish(engine, work / "cast", text, voices)
    book = work / "alice.txt"
    book.write_text(text, encoding="utf-8")
    config_file = work / "config.toml"
    config_file.write_text(f'[tts.kokoro]\nvoice = "jf_gongitsune"\nvoices_dir = "{weights / "voices"}"\n'
                           f'[voices]\ndialogue = "jf_alpha"\ncast = "auto"\ncast_size = 3\n')
    report = segments(config_file, book)
    audio, _ = sf.read(cast_out / "alice.wav", dtype="float32")
    timings = json.loads((cast_out / "alice.timings.json").read_text())
    # the preview's offsets are in the clean text of the book as read: the same text timings point into
    prints, by_voice = [], defaultdict(list)
    for segment in report["segments"]:
        if segment["start"] is None:
            continue
        clip = cut(audio, timings, segment["start"], segment["end"])
        if clip is None or len(clip) < 0.6 * RATE:
            continue
        feature, pitch = voice_print(clip)
        prints.append((segment["voice"], feature))
        by_voice[segment["voice"]].append((len(clip) / RATE, pitch))
    names = sorted(by_voice)
    features = np.array([f for _, f in prints])
    features = (features - features.mean(axis=0)) / (features.std(axis=0) + 1e-9)
    labels = [v for v, _ in prints]
    confusion: Counter = Counter()
    for i, label in enumerate(labels):
        centroids = {v: features[[j for j, l in enumerate(labels) if l == v and j != i]].mean(axis=0)
                     for v in names if any(l == v and j != i for j, l in enumerate(labels))}
        guess = min(centroids, key=lambda v: float(np.linalg.norm(features[i] - centroids[v])))
        confusion[(label, guess)] += 1
    cast = {role["voice"]: role["name"] for role in report["voices"]["cast"]}
    role_of = lambda v: cast.get(v) or ("dialogue" if v == "jf_alpha" else "narrator")  # noqa: E731
    print(f"excerpt: Alice chapter V, {len(text):,} characters; cast: "
          + ", ".join(f"{r['name']} ({r['voice']}, {r['lines']} lines)" for r in report["voices"]["cast"]))
    print("\n| voice | reads | segments ≥ 0.6 s | seconds | median pitch (Hz) |\n|---|---|---|---|---|")
    for v in names:
        rows = by_voice[v]
        print(f"| {v} | {role_of(v)} | {len(rows)} | {sum(s for s, _ in rows):.1f} | "
              f"{np.nanmedian([p for _, p in rows]):.0f} |")
    print("\n| sounds like → | " + " | ".join(names) + " |\n|---|" + "---|" * len(names))
    for v in names:
        print(f"| {v} | " + " | ".join(str(confusion[(v, g)]) for g in names) + " |")
    right = sum(n for (a, b), n in confusion.items() if a == b)
    print(f"\nnearest-centroid accuracy (leave one out): {right}/{len(labels)} = {right / len(labels):.1%}")
    speed(engine, text, report, args.rounds, args.speed_chars)
    print(f"work: {work}")


def speed(engine, text: str, report: dict, rounds: int, chars: int) -> None:
    """Speak the excerpt's first `chars` characters alone and with voices, alternately; print the times."""
    from kokoro_narrator.books import read_book
    from kokoro_narrator.chapters import plan_book
    from kokoro_narrator.narration import NORMALIZE_VERSION, speakable_chunks
    from kokoro_narrator.voices import Role, voice_spans

    book = read_book(text[:text.index("\r\n\r\n", chars)].encode(), "alice.txt")
    settings = {"lang_code": "a", "normalizer_version": NORMALIZE_VERSION}
    texts = speakable_chunks(plan_book(book, 20000), book, settings).texts
    roles = [Role.from_json(role) for role in report["voices"]["cast"]]
    spans = [[(s.start, s.end, s.voice) for s in voice_spans(t, "jf_alpha", roles)] for t in texts]
    times: dict[str, list[float]] = {"alone": [], "voices": []}
    counts, audio = {}, {}
    for _ in range(rounds):
        for way, voiced in (("alone", False), ("voices", True)):
            started, calls, samples = time.perf_counter(), 0, 0
            for t, s in zip(texts, spans):
                for segment in engine.synthesize_chunk(t, "jf_gongitsune", voices=s if voiced else ()):
                    calls, samples = calls + 1, samples + len(segment.audio)
            times[way].append(time.perf_counter() - started)
            counts[way], audio[way] = calls, samples / RATE
    best = {way: min(values) for way, values in times.items()}
    print(f"\nspeed ({len(''.join(texts)):,} characters, {rounds} rounds each, alternating):\n")
    print("| way | model calls | audio (s) | best (s) | median (s) | real time (best) |\n|---|---|---|---|---|---|")
    for way in times:
        print(f"| {way} | {counts[way]} | {audio[way]:.1f} | {best[way]:.1f} | {np.median(times[way]):.1f} | "
              f"{audio[way] / best[way]:.2f}x |")
    cost = (best["voices"] / audio["voices"]) / (best["alone"] / audio["alone"])
    print(f"\nwith voices: {cost:.3f}x the time per second of audio (best of each)")


if __name__ == "__main__":
    main()
