"""The one warm Kokoro engine: device choice, G2P, synthesis, per-utterance seeding, coverage.

`KokoroEngine.load()` builds one `KModel` and one `KPipeline` (used for its G2P only) per
process, and every chunk reuses them. Local model files are used when configured, else
kokoro downloads the weights from the hub, which is its normal path.

`synthesize_chunk(text)` yields `Segment`s, one per model call. The text is cut into
sentences, and a paragraph's whole sentences are packed into utterances of up to PACK_CHARS:
kokoro speaks at most 510 phonemes per call and, for the espeak languages, silently truncates
the rest. G2P runs in a thread ahead of the model
(a bounded queue), so the model never waits for text. Each model call is seeded from its
content, so the same chunk always gives the same samples: resume can reproduce a chunk.

Coverage: every segment says how many letters and digits were sent and how many came back
with phonemes, and which words were dropped, so that no text is lost silently.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Protocol

import numpy as np

from .allocator import HeapCeiling, allocator_name, keep_freed_memory
from .chunker import split_sentences, split_words
from .config import KokoroConfig

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

SAMPLE_RATE = 24000
MAX_PHONEMES = 510
# Utterances longer than this are cut at words before G2P: espeak languages truncate past
# 510 phonemes, and shorter calls keep the model's prosody steady.
MAX_UTTERANCE_CHARS = 400
# Sentences of one paragraph are packed into one model call up to this many characters, as
# kokoro's own loop packs tokens: every call pays fixed work and adds its own edge silence,
# so fewer, longer calls are faster (bench/bench_speed.py) and do not change the words.
PACK_CHARS = 400


class EngineError(RuntimeError):
    """The engine cannot start or cannot speak: a missing file, an absent GPU."""


@dataclass(frozen=True)
class Segment:
    """One model call's audio, with the text behind it."""

    audio: np.ndarray
    """float32 mono samples at 24 kHz (may be empty when nothing could be spoken)."""
    text: str
    """The graphemes this audio speaks."""
    phonemes: str
    ends_paragraph: bool
    """True for the last segment of a paragraph: the job runner puts a pause after it."""
    sent_chars: int = 0
    """Letters and digits handed to G2P for the utterance this segment ends."""
    spoken_chars: int = 0
    """Of those, how many came back with phonemes."""
    dropped: tuple[str, ...] = ()
    """Words that produced no phonemes, or were cut at the phoneme limit."""


class TtsProvider(Protocol):
    """What the job runner needs from a text-to-speech engine."""

    def synthesize_chunk(self, text: str, voice: str | None = None, speed: float | None = None) -> Iterator[Segment]: ...

    def max_chunk_chars(self) -> int: ...

    def provider_name(self) -> str: ...


def letters(text: str) -> int:
    """Count the characters that must be heard: letters and digits."""
    return sum(ch.isalnum() for ch in text)


# --------------------------------------------------------------------------- device


def resolve_device(requested: str) -> tuple[str, str]:
    """Given auto|cpu|cuda, return (torch device string, label for the log: rocm|cuda|cpu).

    ROCm builds of PyTorch reuse the torch.cuda API and the "cuda" device string.
    """
    import torch

    if requested == "cpu":
        return "cpu", "cpu"
    available = torch.cuda.is_available()
    if requested == "cuda" and not available:
        raise EngineError(
            'device = "cuda" was asked for, but torch.cuda.is_available() is False: install a CUDA or '
            'ROCm build of PyTorch, or set tts.kokoro.device = "auto" or "cpu"'
        )
    if not available:
        return "cpu", "cpu"
    if getattr(torch.version, "hip", None):
        return "cuda", "rocm"
    return "cuda", "cuda"


# --------------------------------------------------------------------------- text side


@dataclass(frozen=True)
class Utterance:
    text: str
    ends_paragraph: bool


def split_utterances(text: str, split_pattern: str, pack_chars: int = PACK_CHARS) -> list[Utterance]:
    """Given chunk text, return utterances in order, marking paragraph ends.

    The text is first cut with split_pattern (kokoro's own `\\n+` by default); a cut that
    contains a blank line ends a paragraph. Each piece is cut into sentences, and whole
    sentences are packed together up to pack_chars (0: one sentence per utterance).
    """
    pieces: list[tuple[str, str]] = []
    position = 0
    for match in re.finditer(split_pattern, text) if split_pattern else ():
        if match.end() > match.start():
            pieces.append((text[position:match.start()], match.group(0)))
            position = match.end()
    pieces.append((text[position:], ""))
    utterances: list[Utterance] = []
    for piece, separator in pieces:
        sentences = [s for part in split_sentences(piece) for s in split_words(part, MAX_UTTERANCE_CHARS)]
        sentences = pack_sentences([s for s in sentences if s.strip()], pack_chars)
        for number, sentence in enumerate(sentences, 1):
            utterances.append(Utterance(sentence, number == len(sentences) and "\n\n" in separator))
    if utterances:
        utterances[-1] = Utterance(utterances[-1].text, True)
    return utterances


def pack_sentences(sentences: list[str], limit: int) -> list[str]:
    """Join consecutive sentences with a space while the result stays within limit characters."""
    if limit <= 0:
        return sentences
    packed: list[str] = []
    for sentence in (s.strip() for s in sentences):
        if packed and len(packed[-1]) + 1 + len(sentence) <= limit:
            packed[-1] = f"{packed[-1]} {sentence}"
        else:
            packed.append(sentence)
    return packed


@dataclass
class Phonemized:
    """One model call to make: phonemes plus the coverage of the utterance it closes."""

    text: str
    phonemes: str
    ends_paragraph: bool
    sent_chars: int = 0
    spoken_chars: int = 0
    dropped: tuple[str, ...] = ()


class G2P:
    """Graphemes to phonemes through kokoro's KPipeline (model-less), never truncating silently."""

    def __init__(self, pipeline) -> None:
        self.pipeline = pipeline
        self.english = pipeline.lang_code in "ab"

    def __call__(self, utterance: Utterance) -> list[Phonemized]:
        calls, spoken, dropped = self._phonemize(utterance.text)
        if calls:
            calls[-1].ends_paragraph = utterance.ends_paragraph
        else:
            calls = [Phonemized(utterance.text, "", utterance.ends_paragraph)]
        calls[-1].sent_chars = letters(utterance.text)
        calls[-1].spoken_chars = spoken
        calls[-1].dropped = tuple(dropped)
        return calls

    def _phonemize(self, text: str) -> tuple[list[Phonemized], int, list[str]]:
        """Return (model calls, letters spoken, dropped words) for one utterance."""
        if self.english:
            return self._english(text)
        phonemes, _ = self.pipeline.g2p(text)
        phonemes = phonemes or ""
        if len(phonemes) <= MAX_PHONEMES:
            if phonemes:
                return [Phonemized(text, phonemes, False)], letters(text), []
            return [], 0, ([text] if letters(text) else [])
        return self._halve(text)

    def _english(self, text: str) -> tuple[list[Phonemized], int, list[str]]:
        _, tokens = self.pipeline.g2p(text)
        calls, spoken, dropped = [], 0, []
        for graphemes, phonemes, group in self.pipeline.en_tokenize(tokens):
            if len(phonemes) > MAX_PHONEMES:
                more_calls, more_spoken, more_dropped = self._halve(graphemes)
                calls += more_calls
                spoken += more_spoken
                dropped += more_dropped
                continue
            for token in group:
                if token.phonemes:
                    spoken += letters(token.text)
                elif letters(token.text):
                    dropped.append(token.text)
            if phonemes:
                calls.append(Phonemized(graphemes, phonemes, False))
        return calls, spoken, dropped

    def _halve(self, text: str) -> tuple[list[Phonemized], int, list[str]]:
        """Too many phonemes for one call: split the words in two and try each half."""
        words = text.split()
        if len(words) < 2:
            log.warning("one word gives more than %d phonemes; it is not spoken: %.60s", MAX_PHONEMES, text)
            return [], 0, [text]
        middle = len(words) // 2
        calls, spoken, dropped = [], 0, []
        for half in (" ".join(words[:middle]), " ".join(words[middle:])):
            c, s, d = self._phonemize(half)
            calls += c
            spoken += s
            dropped += d
        return calls, spoken, dropped


def prefetch(produce: Callable[[], Iterator], depth: int = 8) -> Iterator:
    """Run produce() in a thread, `depth` items ahead of the consumer.

    Exceptions in the producer are re-raised in the consumer. Closing the consumer early
    stops the producer at its next item.
    """
    items: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def run() -> None:
        try:
            for item in produce():
                while not stop.is_set():
                    try:
                        items.put((item, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            items.put((done, None))
        except BaseException as exc:  # handed to the consumer, which re-raises it
            items.put((done, exc))

    thread = threading.Thread(target=run, name="kokoro-g2p", daemon=True)
    thread.start()
    try:
        while True:
            item, error = items.get()
            if item is done:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        stop.set()
        thread.join()


# --------------------------------------------------------------------------- engine


def seed_for(*parts: object) -> int:
    """A 63-bit seed from content, so that the same input always draws the same noise."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big") & (2**63 - 1)


class TorchAcoustic:
    """The acoustic model on torch: phonemes + style → audio, on the CPU or a GPU."""

    def __init__(self, model) -> None:
        self.model = model

    def __call__(self, phonemes: str, style: "torch.Tensor", speed: float) -> np.ndarray:
        import torch

        with torch.inference_mode():
            audio = self.model(phonemes, style, speed)
        return audio.detach().float().cpu().numpy().reshape(-1)


class OnnxAcoustic:
    """The same acoustic model exported to ONNX, on ONNX Runtime (fast on CPUs).

    Inputs as in the Kokoro ONNX export: tokens [1, n] int64 with a 0 at both ends, the
    voice pack's row for n phonemes as style [1, 256], and speed [1].
    """

    def __init__(self, path: Path, vocab: dict[str, int], threads: int = 0) -> None:
        try:
            import onnxruntime
        except ImportError as exc:
            raise EngineError('backend = "onnx" needs onnxruntime: pip install "kokoro-tts[onnx]"') from exc
        options = onnxruntime.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.vocab = vocab

    def __call__(self, phonemes: str, style: "torch.Tensor", speed: float) -> np.ndarray:
        ids = [self.vocab[p] for p in phonemes if p in self.vocab]
        feeds = {
            "tokens": np.array([[0, *ids, 0]], dtype=np.int64),
            "style": style.detach().cpu().numpy().reshape(1, -1).astype(np.float32),
            "speed": np.array([speed], dtype=np.float32),
        }
        return self.session.run(None, feeds)[0].reshape(-1).astype(np.float32)


def _load_vocab(settings: KokoroConfig) -> dict[str, int]:
    """The phoneme vocabulary from config.json (local, else the hub's)."""
    import json

    path = settings.model_config
    if path is None:
        from huggingface_hub import hf_hub_download

        path = Path(hf_hub_download(repo_id=settings.repo_id, filename="config.json"))
    return json.loads(Path(path).read_text(encoding="utf-8"))["vocab"]


@dataclass
class KokoroEngine:
    """The warm Kokoro engine. Build it with `KokoroEngine.load(config)`.

    Responsibilities: choose the device, hold one acoustic model (a KModel, or its ONNX
    export) and one model-less KPipeline (G2P and voices), and turn chunk text into audio
    segments.
    """

    settings: KokoroConfig
    acoustic: Callable[[str, "torch.Tensor", float], np.ndarray]
    pipeline: object
    device: str
    device_label: str
    load_seconds: float
    voice_packs: dict[str, "torch.Tensor"] = field(default_factory=dict)
    overlap: bool = True
    """Run G2P in a thread ahead of the model (False: one after the other, for benchmarks)."""
    stage_seconds: dict[str, float] = field(default_factory=lambda: {"g2p": 0.0, "model": 0.0})
    """Seconds spent in each stage since load, for benchmarks and the log."""
    heap: HeapCeiling = field(default_factory=HeapCeiling)
    """Gives kept memory back when the heap creeps (allocator.py)."""

    @classmethod
    def load(cls, settings: KokoroConfig, warm_up: bool = False) -> "KokoroEngine":
        """Given Kokoro settings, load the model and G2P once; raise EngineError when impossible."""
        import torch
        from kokoro import KModel, KPipeline

        from .fastpath import speed_up

        started = time.perf_counter()
        keep_freed_memory()
        if settings.threads:
            torch.set_num_threads(settings.threads)
        device, label = resolve_device("cpu" if settings.backend == "onnx" else settings.device)
        for name in ("model_config", "model_weights", "voices_dir", "onnx_model"):
            path = getattr(settings, name)
            if path is not None and not path.exists():
                raise EngineError(f"tts.kokoro.{name}: {path} does not exist")
        if settings.backend == "onnx":
            model_source = str(settings.onnx_model)
        else:
            model_source = str(settings.model_weights) if settings.model_weights else settings.repo_id
        try:
            if settings.backend == "onnx":
                acoustic = OnnxAcoustic(settings.onnx_model, _load_vocab(settings), settings.threads)
            else:
                model = KModel(
                    repo_id=settings.repo_id,
                    config=str(settings.model_config) if settings.model_config else None,
                    model=str(settings.model_weights) if settings.model_weights else None,
                )
                model = model.to(device).eval()
                speed_up(model)
                acoustic = TorchAcoustic(model)
            pipeline = KPipeline(lang_code=settings.lang_code, repo_id=settings.repo_id, model=False)
        except (OSError, RuntimeError, KeyError, ValueError) as exc:
            hint = "" if settings.model_weights else (
                "; without a network, point tts.kokoro.model_config, model_weights and voices_dir at local "
                "files (README: Offline setup)")
            raise EngineError(f"could not load the Kokoro model from {model_source}: {exc}{hint}") from exc
        engine = cls(settings, acoustic, pipeline, device, label, 0.0)
        engine.voice_pack(settings.voice)
        if warm_up:
            for _ in engine.synthesize_chunk("Warm up."):
                pass
        engine.load_seconds = time.perf_counter() - started
        log.info(
            "engine ready: provider=kokoro device=%s backend=%s model=%s voice=%s lang_code=%s load=%.1fs malloc=%s",
            label, settings.backend, model_source, settings.voice, settings.lang_code, engine.load_seconds,
            allocator_name(),
        )
        return engine

    def provider_name(self) -> str:
        return "kokoro"

    def max_chunk_chars(self) -> int:
        # Chunks are cut into utterances here, so any chunk size works; the job's own
        # max_chunk_chars only bounds how much audio one chunk file holds.
        return 1_000_000

    def voice_path(self, voice: str) -> str:
        """Given a voice name or .pt path, return what KPipeline.load_voice should get."""
        if voice.endswith(".pt"):
            return voice
        if self.settings.voices_dir is not None:
            return str(self.settings.voices_dir / f"{voice}.pt")
        return voice  # a hub name: kokoro downloads voices/<voice>.pt

    def voice_pack(self, voice: str) -> "torch.Tensor":
        if voice not in self.voice_packs:
            path = self.voice_path(voice)
            if path.endswith(".pt") and not Path(path).exists():
                raise EngineError(f"voice {voice!r}: {path} does not exist")
            try:
                pack = self.pipeline.load_voice(path)
            except (OSError, RuntimeError) as exc:
                raise EngineError(f"could not load voice {voice!r} from {path}: {exc}") from exc
            self.voice_packs[voice] = pack.to(self.device)
        return self.voice_packs[voice]

    def synthesize_chunk(self, text: str, voice: str | None = None, speed: float | None = None) -> Iterator[Segment]:
        """Given chunk text, yield its audio one model call at a time."""
        import torch

        voice = voice or self.settings.voice
        speed = self.settings.speed if speed is None else speed
        pack = self.voice_pack(voice)
        g2p = G2P(self.pipeline)
        utterances = split_utterances(text, self.settings.split_pattern)

        def phonemized() -> Iterator[Phonemized]:
            for utterance in utterances:
                started = time.perf_counter()
                calls = g2p(utterance)
                self.stage_seconds["g2p"] += time.perf_counter() - started
                yield from calls

        calls = prefetch(phonemized) if self.overlap else phonemized()
        for number, call in enumerate(calls):
            audio = np.zeros(0, dtype=np.float32)
            if call.phonemes:
                started = time.perf_counter()
                torch.manual_seed(seed_for(voice, speed, number, call.phonemes))
                audio = self.acoustic(call.phonemes, pack[len(call.phonemes) - 1], speed)
                self.heap.after_call()
                self.stage_seconds["model"] += time.perf_counter() - started
            yield Segment(
                audio, call.text, call.phonemes, call.ends_paragraph,
                call.sent_chars, call.spoken_chars, call.dropped,
            )
