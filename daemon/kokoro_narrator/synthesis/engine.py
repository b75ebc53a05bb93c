"""The one warm Kokoro engine: chunk text in, audio segments out, the same samples every time.

`KokoroEngine.load()` builds one acoustic model (acoustic.py) and one model-less KPipeline
(G2P and voice packs) per process, and every chunk reuses them. A book in another language
(its own `lang_code`, inbox/settings.py) gets that language's KPipeline the first time one is
needed, kept beside the first; the model is shared. `synthesize_chunk(text)`
yields `Segment`s, one per model call: G2P (g2p.py) runs in a thread ahead of the model
(prefetch.py), so the model never waits for text. Each model call is seeded from its content
and its position in the chunk, so the same chunk always gives the same samples: resume can
reproduce a chunk.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Protocol, Sequence

import numpy as np

from ..core import KokoroConfig, LANGUAGE_NAMES
from ..voices import BlendError, is_blend, mix, parse_blend
from .acoustic import Acoustic, EngineError, load_acoustic, offline_hint, resolve_device, resolve_precision
from .allocator import allocator_name, HeapCeiling
from .g2p import check_english_model, Coverage, G2P, letters, Phonemized, split_utterances
from .prefetch import prefetch
from .wordtimes import locate_words, word_samples

if TYPE_CHECKING:
    import torch

__all__ = ["EngineError", "KokoroEngine", "Segment", "TtsProvider", "letters", "resolve_device", "seed_for"]

log = logging.getLogger(__name__)


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
    coverage: Coverage = field(default_factory=Coverage)
    """Letters sent and spoken for the utterance this segment ends (empty on its other calls)."""
    words: tuple[tuple[int, int, int, int], ...] = ()
    """Each spoken word's [start, end) in the chunk's text ((-1, -1) when not found there) and its
    [start, end) in this segment's samples, from the model's durations (wordtimes.py); empty when the
    model gives no durations."""
    voice: str = ""
    """The voice that spoke it (the narrator's, or a quotation's)."""


class TtsProvider(Protocol):
    """What the job runner needs from a text-to-speech engine."""

    device_label: str
    """Where it runs, for the log and the output JSON: cpu, cuda or rocm."""

    def synthesize_chunk(self, text: str, voice: str | None = None, speed: float | None = None,
                         start: int = 0, lang_code: str | None = None,
                         voices: Sequence[tuple[int, int, str]] = ()) -> Iterator[Segment]: ...
    # `voices` is passed only when a chunk has spans in another voice: providers without voices need not take it

    def provider_name(self) -> str: ...


def seed_for(*parts: object) -> int:
    """A 63-bit seed from content, so that the same input always draws the same noise."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big") & (2**63 - 1)


@dataclass
class KokoroEngine:
    """The warm Kokoro engine. Build it with `KokoroEngine.load(config)`.

    Responsibilities: hold one acoustic model and one model-less KPipeline (G2P and voices),
    and turn chunk text into seeded audio segments.
    """

    settings: KokoroConfig
    acoustic: Acoustic
    pipeline: object
    device: str
    device_label: str
    load_seconds: float
    pipelines: dict[str, object] = field(default_factory=dict)
    """KPipeline (G2P) per lang_code: the configured one, and any a book asked for."""
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

        started = time.perf_counter()
        if settings.threads:
            torch.set_num_threads(settings.threads)
        if fix := check_english_model(settings.lang_code):  # before the model: a quick no
            raise EngineError(fix)
        loaded = load_acoustic(settings)
        pipeline = load_g2p(settings, settings.lang_code)
        engine = cls(settings, loaded.acoustic, pipeline, loaded.device, loaded.device_label, 0.0)
        engine.pipelines[settings.lang_code] = pipeline
        engine.voice_pack(settings.voice)
        if warm_up:
            for _ in engine.synthesize_chunk("Warm up."):
                pass
        engine.load_seconds = time.perf_counter() - started
        log.info(
            "engine ready: provider=kokoro device=%s backend=%s precision=%s model=%s voice=%s lang_code=%s "
            "load=%.1fs malloc=%s",
            loaded.device_label, settings.backend, resolve_precision(settings), loaded.source, settings.voice,
            settings.lang_code, engine.load_seconds, allocator_name(),
        )
        return engine

    def provider_name(self) -> str:
        return "kokoro"

    def voice_path(self, voice: str) -> str:
        """Given a voice name or .pt path, return what KPipeline.load_voice should get."""
        if voice.endswith(".pt"):
            return voice
        if self.settings.voices_dir is not None:
            return str(self.settings.voices_dir / f"{voice}.pt")
        return voice  # a hub name: kokoro downloads voices/<voice>.pt

    def voice_pack(self, voice: str) -> "torch.Tensor":
        """Given a voice (or a blend of voices, voices/blend.py), return its pack, loaded once; raise EngineError."""
        if voice not in self.voice_packs and is_blend(voice):
            try:
                blend = parse_blend(voice)
                self.voice_packs[voice] = mix([self.voice_pack(name) for name in blend.names],
                                              [weight for _, weight in blend.parts])
            except (BlendError, EngineError) as exc:
                raise EngineError(f"voice {voice!r}: {exc}") from exc
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

    def g2p_pipeline(self, lang_code: str) -> object:
        """Given a lang_code, return its KPipeline, loading it the first time; raise EngineError when impossible."""
        if lang_code not in self.pipelines:
            self.pipelines[lang_code] = load_g2p(self.settings, lang_code)
            log.info("G2P loaded for lang_code %s (%s), beside %s", lang_code, LANGUAGE_NAMES.get(lang_code, "?"),
                     ", ".join(sorted(set(self.pipelines) - {lang_code})))
        return self.pipelines[lang_code]

    def synthesize_chunk(self, text: str, voice: str | None = None, speed: float | None = None,
                         start: int = 0, lang_code: str | None = None,
                         voices: Sequence[tuple[int, int, str]] = ()) -> Iterator[Segment]:
        """Given chunk text, yield its audio one model call at a time, from model call `start` on.

        lang_code: the book's language, when not the configured one (its G2P is loaded once).
        voices: [start, end) spans of the text read by another voice (a quotation's), in order.

        The calls before `start` (kept by a checkpoint, checkpoint.py) are phonemized but not
        sent to the model and not yielded; the calls after keep their numbers, so their seeds
        and samples are those of a run from the start.
        """
        import torch

        narrator = voice or self.settings.voice
        speed = self.settings.speed if speed is None else speed
        voices = [span for span in voices if span[2] != narrator]  # the narrator's own voice: no cut, no extra call
        for named in {narrator, *(spoken for _, _, spoken in voices)}:
            self.voice_pack(named)  # a voice that cannot load fails the chunk before any model call
        g2p = G2P(self.g2p_pipeline(lang_code) if lang_code else self.pipeline)
        utterances = split_utterances(text, self.settings.split_pattern, voices=voices)

        def phonemized() -> Iterator[tuple[Phonemized, list[tuple[int, int]], str]]:
            cursor = 0  # words are found in the chunk's text in order, the skipped calls' too
            for utterance in utterances:
                started = time.perf_counter()
                calls = g2p(utterance)
                self.stage_seconds["g2p"] += time.perf_counter() - started
                for call in calls:
                    places, cursor = locate_words(text, [word for word, _, _ in call.words], cursor)
                    yield call, places, utterance.voice or narrator

        calls = prefetch(phonemized) if self.overlap else phonemized()
        for number, (call, places, voice) in enumerate(calls):
            if number < start:
                continue
            audio, words = np.zeros(0, dtype=np.float32), ()
            if call.phonemes:
                started = time.perf_counter()
                torch.manual_seed(seed_for(voice, speed, number, call.phonemes))
                pack = self.voice_pack(voice)
                audio, durations = self.acoustic.with_durations(call.phonemes, pack[len(call.phonemes) - 1], speed)
                self.heap.after_call()
                self.stage_seconds["model"] += time.perf_counter() - started
                if durations is not None:
                    samples = word_samples([(first, last) for _, first, last in call.words], durations, audio)
                    words = tuple((*place, *span) for place, span in zip(places, samples))
            yield Segment(audio, call.text, call.phonemes, call.ends_paragraph, call.coverage, words, voice)


G2P_EXTRAS = {"j": "misaki[ja]", "z": "misaki[zh]"}
"""The misaki extra that a language's G2P needs beyond kokoro's own dependencies."""


def load_g2p(settings: KokoroConfig, lang_code: str) -> object:
    """Given Kokoro settings and a lang_code, return a model-less KPipeline; raise EngineError when impossible."""
    from kokoro import KPipeline

    if fix := check_english_model(lang_code):
        raise EngineError(fix)
    language = f"lang_code {lang_code!r} ({LANGUAGE_NAMES.get(lang_code, 'unknown')})"
    try:
        return KPipeline(lang_code=lang_code, repo_id=settings.repo_id, model=False)
    except ImportError as exc:
        extra = G2P_EXTRAS.get(lang_code, "misaki")
        raise EngineError(f"{language} needs G2P that is not installed ({exc}); install it into the daemon's "
                          f"environment: pip install '{extra}'") from exc
    except (OSError, RuntimeError, KeyError, ValueError, AssertionError) as exc:
        raise EngineError(f"could not load kokoro's G2P for {language}: {exc}{offline_hint(settings)}") from exc
