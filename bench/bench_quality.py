"""Listening-quality benchmark: kokoro's own loop vs this project, same weights, same voice.

    python bench/bench_quality.py --weights weights [--voice jf_gongitsune] [--chars 1500] [--ways b,c,c-onnx,d]

For a fixed excerpt of each corpus book (the raw, hard-wrapped Gutenberg text):
  (b) kokoro's README loop on the raw file text, split_pattern='\\n+', segments joined as they come;
  (c) the product: the job runner (unwrapping, chunking, pauses, seams) ending in the outbox WAV;
  (c-fp32) the same in full precision (precision = "fp32"; (c) is the default, "auto": the
           generator in bf16 on a CPU with native bf16);
  (c-onnx) the same with backend = "onnx" (the int8 ONNX file);
  (d) kokoro-onnx's Kokoro.create on the raw text, same ONNX file and voice (espeak G2P).
All are cut at silences of 0.3 s or more and transcribed piece by piece with PocketSphinx
(offline, PyPI). Reported side by side: word error rate and deletion rate against the source,
total duration, pauses inside sentences (a 0.3 s+ silence between two words of one sentence,
found by aligning the transcript to the source), utterance breaks inside sentences, the longest
silence, sample jumps above 0.25 full scale (clicks), and the engine's letter coverage.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # the tests' helpers: support.jobs
CORPUS = REPO.parent / "shared" / "corpus"
BOOKS = ("pg11.txt", "pg1342.txt", "pg5200.txt")
MIN_PAUSE = 0.3
SENTENCE_END = re.compile(r"[.!?…][\"')\]]*$")


def excerpt(name: str, chars: int) -> str:
    raw = (CORPUS / name).read_bytes().decode("utf-8-sig")
    return raw[:chars].rsplit("\r\n\r\n", 1)[0] + "\r\n"


def words(text: str) -> list[str]:
    return re.sub(r"[^a-z' ]", " ", text.lower().replace("_", " ")).split()


def reference(text: str) -> tuple[list[str], list[int]]:
    """Source words and, for each, the index of its sentence."""
    from kokoro_narrator.chapters import split_sentences
    from kokoro_narrator.books.reader import read_book

    ref, sentence_of = [], []
    number = 0
    for paragraph in read_book(text.encode(), "x.txt").text.split("\n\n"):
        for sentence in split_sentences(paragraph.replace("\n", " ")):
            for word in words(sentence):
                ref.append(word)
                sentence_of.append(number)
            number += 1
    return ref, sentence_of


def align(ref: list[str], hyp: list[str]) -> tuple[int, int, list[int | None]]:
    """Edit distance alignment: (errors, deletions, ref index for each hyp word or None)."""
    n, m = len(ref), len(hyp)
    cost = np.zeros((n + 1, m + 1), dtype=np.int32)
    cost[:, 0] = np.arange(n + 1)
    cost[0, :] = np.arange(m + 1)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost[i, j] = min(cost[i - 1, j] + 1, cost[i, j - 1] + 1, cost[i - 1, j - 1] + (ref[i - 1] != hyp[j - 1]))
    i, j, deletions, mapping = n, m, 0, [None] * m
    while i > 0 or j > 0:
        if i > 0 and j > 0 and cost[i, j] == cost[i - 1, j - 1] + (ref[i - 1] != hyp[j - 1]):
            mapping[j - 1] = i - 1
            i, j = i - 1, j - 1
        elif i > 0 and cost[i, j] == cost[i - 1, j] + 1:
            deletions += 1
            i -= 1
        else:
            j -= 1
    return int(cost[n, m]), deletions, mapping


def silences(audio: np.ndarray, rate: int, min_seconds: float = MIN_PAUSE) -> list[tuple[int, int]]:
    """(start, end) sample ranges where 10 ms frames stay below -40 dB of the peak."""
    frame = rate // 100
    usable = len(audio) // frame * frame
    energy = np.sqrt((audio[:usable].reshape(-1, frame) ** 2).mean(axis=1))
    quiet = energy < max(1e-4, np.abs(audio).max() * 0.01)
    runs, start = [], None
    for index, is_quiet in enumerate(np.append(quiet, False)):
        if is_quiet and start is None:
            start = index
        elif not is_quiet and start is not None:
            if (index - start) * frame >= min_seconds * rate:
                runs.append((start * frame, index * frame))
            start = None
    return runs


class Transcriber:
    def __init__(self) -> None:
        from pocketsphinx import Decoder

        self.decoder = Decoder()

    def __call__(self, audio: np.ndarray, rate: int) -> list[str]:
        import soxr

        if len(audio) < rate // 10:
            return []
        a = soxr.resample(audio.astype(np.float32), rate, 16000)
        pcm = (np.clip(a / max(1e-6, np.abs(a).max()) * 0.9, -1, 1) * 32767).astype(np.int16)
        self.decoder.start_utt()
        self.decoder.process_raw(pcm.tobytes(), full_utt=True)
        self.decoder.end_utt()
        hyp = self.decoder.hyp()
        return words(hyp.hypstr) if hyp else []


def measure(path: Path, text: str, transcribe: Transcriber, utterances: list[str]) -> dict:
    audio, rate = sf.read(path, dtype="float32")
    gaps = silences(audio, rate)
    bounds = [0] + [(a + b) // 2 for a, b in gaps] + [len(audio)]
    pieces = [transcribe(audio[bounds[k]:bounds[k + 1]], rate) for k in range(len(bounds) - 1)]
    hyp = [word for piece in pieces for word in piece]
    ref, sentence_of = reference(text)
    errors, deletions, mapping = align(ref, hyp)
    inside, position = 0, 0
    for k in range(len(pieces) - 1):  # the gap after piece k
        position += len(pieces[k])
        before = [mapping[i] for i in range(position - len(pieces[k]), position) if mapping[i] is not None]
        after = [mapping[i] for i in range(position, position + len(pieces[k + 1])) if mapping[i] is not None]
        if before and after and sentence_of[before[-1]] == sentence_of[after[0]]:
            inside += 1
    jumps = int((np.abs(np.diff(audio)) > 0.25).sum())
    return {
        "wer": errors / len(ref), "deletions": deletions / len(ref), "seconds": len(audio) / rate,
        "pauses_inside": inside, "longest_silence": max(((b - a) / rate for a, b in gaps), default=0.0),
        "breaks_inside": None if utterances is None else sum(1 for u in utterances if not SENTENCE_END.search(u.strip())),
        "jumps": jumps,
    }


def speak_b(pipeline, voice: str, text: str, out: Path) -> list[str]:
    utterances = []
    with sf.SoundFile(out, "w", 24000, 1, "PCM_16") as f:
        for graphemes, _, audio in pipeline(text, voice=voice, split_pattern=r"\n+"):
            utterances.append(graphemes)
            f.write(audio.numpy())
    return utterances


def speak_d(kokoro, voice: str, text: str, out: Path) -> None:
    samples, rate = kokoro.create(text, voice=voice, speed=1.0, lang="en-us")
    sf.write(out, samples, rate, subtype="PCM_16")


def load_d(weights: Path, tmp: Path):
    """kokoro-onnx on the same int8 file, the voice packs converted to its .npz."""
    import torch
    from kokoro_onnx import Kokoro

    voices = tmp / "voices.npz"
    np.savez(voices, **{p.stem: torch.load(p, weights_only=True).numpy() for p in (weights / "voices").glob("*.pt")})
    return Kokoro(str(weights / "kokoro-v1.0.int8.onnx"), str(voices))


def speak_c(engine, text: str, root: Path) -> tuple[Path, list[str], dict]:
    from kokoro_narrator.core.config import Config, PathsConfig, TtsConfig
    from kokoro_narrator.jobs.store import JobStore
    from kokoro_narrator.jobs.runner import JobRunner
    from support.jobs import add_book

    utterances: list[str] = []

    class Recording:
        """The engine, noting each utterance it speaks (for the break count)."""

        def __getattr__(self, name):
            return getattr(engine, name)

        def synthesize_chunk(self, *args, **kwargs):
            for segment in engine.synthesize_chunk(*args, **kwargs):
                utterances.append(segment.text)
                yield segment

    config = Config(tts=TtsConfig(kokoro=engine.settings),
                    paths=PathsConfig(inbox=root / "in", outbox=root / "out", jobs=root / "jobs"))
    store = JobStore(config.paths.jobs)
    job, _ = add_book(store, "book.txt", text, config)  # as the daemon makes it: ingest
    job = JobRunner(store, config, Recording(), space_margin=0).run(job)
    coverage = {"sent": sum(c.coverage["sent"] for c in job.chunks), "spoken": sum(c.coverage["spoken"] for c in job.chunks)}
    return Path(job.output["wav"]), utterances, coverage


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", required=True, help="dir with config.json, kokoro-v1_0-dequant.pth, voices/")
    parser.add_argument("--voice", default="jf_gongitsune")
    parser.add_argument("--chars", type=int, default=1500)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--books", default=",".join(BOOKS))
    parser.add_argument("--ways", default="b,c,c-fp32,c-onnx,d", help="any of b, c, c-fp32, c-onnx, d")
    args = parser.parse_args()
    ways = args.ways.split(",")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from kokoro import KPipeline

    from kokoro_narrator.cli.commands import setup_logging
    from kokoro_narrator.core.config import KokoroConfig
    from kokoro_narrator.synthesis.engine import KokoroEngine

    setup_logging()
    torch.set_num_threads(args.threads)
    w = Path(args.weights)
    settings = dict(voice=args.voice, threads=args.threads, model_config=w / "config.json",
                    model_weights=w / "kokoro-v1_0-dequant.pth", voices_dir=w / "voices",
                    onnx_model=w / "kokoro-v1.0.int8.onnx")
    from kokoro_narrator.synthesis.allocator import keep_freed_memory

    keep_freed_memory()  # as the daemon's process does (allocator.prepare_process)
    full_precision = KokoroEngine.load(KokoroConfig(**settings, precision="fp32"))  # (b) needs kokoro's own model
    engines = {"c-fp32": full_precision}
    if "c" in ways:
        engines["c"] = KokoroEngine.load(KokoroConfig(**settings))  # the default precision, "auto"
    if "c-onnx" in ways:
        engines["c-onnx"] = KokoroEngine.load(KokoroConfig(**settings, backend="onnx"))
    pipeline = KPipeline(lang_code="a", repo_id="hexgrad/Kokoro-82M", model=full_precision.acoustic.model)
    voice = str(w / "voices" / f"{args.voice}.pt")
    transcribe = Transcriber()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        kokoro_onnx = load_d(w, Path(tmp)) if "d" in ways else None
        for book in args.books.split(","):
            text = excerpt(book, args.chars)
            for way in ways:
                wav = Path(tmp) / f"{book}-{way}.wav"
                if way == "b":
                    rows.append((book, way, measure(wav, text, transcribe, speak_b(pipeline, voice, text, wav))))
                elif way == "d":
                    speak_d(kokoro_onnx, args.voice, text, wav)
                    rows.append((book, way, measure(wav, text, transcribe, None)))
                else:
                    wav, utterances, coverage = speak_c(engines[way], text, Path(tmp) / f"{book}-{way}")
                    result = measure(wav, text, transcribe, utterances)
                    result["coverage"] = f"{coverage['spoken']}/{coverage['sent']}"
                    rows.append((book, way, result))
            print(f"{book}: done", file=sys.stderr, flush=True)
    print(f"\n{args.chars}-character excerpts, real Kokoro-82M weights ({args.weights}), voice {args.voice}\n")
    print("| book | way | WER | deletions | duration s | pauses inside sentences | utterance breaks inside sentences "
          "| longest silence s | sample jumps > 0.25 | letters spoken/sent |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for book, way, r in rows:
        print(f"| {book} | {way} | {r['wer']:.1%} | {r['deletions']:.1%} | {r['seconds']:.1f} | {r['pauses_inside']} | "
              f"{'n/a' if r['breaks_inside'] is None else r['breaks_inside']} | {r['longest_silence']:.2f} | {r['jumps']} | {r.get('coverage', 'n/a')} |")
    for way in ways:
        mine = [r for _, w_, r in rows if w_ == way]
        breaks = [r["breaks_inside"] for r in mine]
        print(f"| all | {way} | {np.mean([r['wer'] for r in mine]):.1%} | {np.mean([r['deletions'] for r in mine]):.1%} | "
              f"{sum(r['seconds'] for r in mine):.1f} | {sum(r['pauses_inside'] for r in mine)} | "
              f"{'n/a' if None in breaks else sum(breaks)} | {max(r['longest_silence'] for r in mine):.2f} | "
              f"{sum(r['jumps'] for r in mine)} | |")


if __name__ == "__main__":
    main()
