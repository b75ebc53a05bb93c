"""Where each word sits in a model call's audio, from the model's own phoneme durations.

Kokoro predicts how many frames each phoneme lasts (`pred_dur`, with one more for the start
and the end token) and the decoder turns every frame into the same number of samples. So a
word's samples are the frames of its phonemes, counted from the call's start: exact, in every
language, with no aligner run afterwards.

Which phonemes are a word's:
- English: misaki's tokens build the call's phoneme string (g2p.py records each token's span);
- other languages: the phoneme string's words (runs without spaces) are paired with the
  text's words, one to one when both count the same, else by their share of the letters, so
  a number read as three words still ends where the next text word starts.

Every word is also placed in the chunk's text (`locate_words`), so that the published
timings can point at the clean text it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np

EARLY_FRAMES = 3
"""Frames by which the decoder's sound leads the durations' count (75 ms at 600 samples a frame)."""
SILENCE = 10 ** (-46 / 20)
"""Below this (full scale 1.0), a word's last samples are the pause after it."""
SOUNDS = re.compile(r"\S+")
TEXT_WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")
"""A word of the text, without the punctuation around it (espeak reads that as a pause, not a word)."""


@dataclass(frozen=True)
class Durations:
    """The model's predicted frames for one call: the start token, each phoneme character, the end token."""

    lead: int
    chars: np.ndarray
    """Frames per character of the phoneme string (0 for a character the vocabulary lacks: it is not sent)."""
    tail: int

    @classmethod
    def from_prediction(cls, phonemes: str, vocab: dict[str, int], pred_dur: Sequence[int]) -> "Durations | None":
        """Given the phonemes sent, the vocabulary and the model's durations over [start, ids..., end], return them
        per character; None when the counts disagree (a model that does not predict per token)."""
        frames = np.asarray(pred_dur, dtype=np.int64).reshape(-1)
        sent = [i for i, ch in enumerate(phonemes) if ch in vocab]
        if len(frames) != len(sent) + 2:
            return None
        chars = np.zeros(len(phonemes), dtype=np.int64)
        chars[sent] = frames[1:-1]
        return cls(int(frames[0]), chars, int(frames[-1]))

    @property
    def total(self) -> int:
        return self.lead + int(self.chars.sum()) + self.tail


def word_samples(spans: Sequence[tuple[int, int]], durations: Durations, audio: np.ndarray) -> list[tuple[int, int]]:
    """Given words as [start, end) spans of the phoneme string, the call's durations and its audio, return each
    word's [start, end) in samples.

    Two corrections, both measured by the sync bench (bench/README.md): the sound runs EARLY_FRAMES
    ahead of the frames' count (kokoro's own `join_timestamps` takes the same 3 frames off); and the
    model gives most of the pause before a full stop to the last phoneme, so a word ends one frame
    after its last sound above SILENCE, not at the end of that pause.
    """
    total = durations.total
    if not total or not len(audio):
        return [(0, 0) for _ in spans]
    scale = len(audio) / total  # samples per frame: 600 for Kokoro-82M, whatever the decoder gives
    ends = np.maximum(0, np.concatenate(([0], np.cumsum(durations.chars))) + durations.lead - EARLY_FRAMES) * scale
    loud = np.flatnonzero(np.abs(audio) > SILENCE)
    timed = []
    for start, end in spans:
        first, last = round(float(ends[start])), round(float(ends[end]))
        inside = loud[(loud >= first) & (loud < last)]
        if len(inside):  # nothing loud in it: keep the model's span, never shrink a word to nothing
            last = min(last, int(inside[-1]) + 1 + round(scale))
        timed.append((first, max(last, first)))
    return timed


def english_spans(tokens: Sequence, phonemes: str) -> list[tuple[str, int, int]]:
    """Given misaki's tokens of one call and the call's phoneme string (kokoro's `tokens_to_ps`, stripped),
    return (token text, start, end) in that string for each token that is a word."""
    raw = "".join((token.phonemes or "") + (" " if token.whitespace else "") for token in tokens)
    position = -(len(raw) - len(raw.lstrip()))
    spans = []
    for token in tokens:
        said = token.phonemes or ""
        if said and any(ch.isalnum() for ch in token.text):
            start, end = max(0, position), min(len(phonemes), position + len(said))
            if start < end:
                spans.append((token.text, start, end))
        position += len(said) + (1 if token.whitespace else 0)
    return spans


def paired_spans(text: str, phonemes: str) -> list[tuple[str, int, int]]:
    """Given one call's text and phonemes (a language without tokens), return (text word, start, end) in the
    phoneme string for every text word with a letter or digit."""
    words = TEXT_WORD.findall(text)
    sounds = []
    for match in SOUNDS.finditer(phonemes):  # a phoneme word, trimmed of the punctuation espeak keeps
        letters = [i for i, ch in enumerate(match.group(0)) if ch.isalpha()]
        if letters:
            sounds.append((match.start() + letters[0], match.start() + letters[-1] + 1))
    if not words or not sounds:
        return []
    if len(words) == len(sounds):
        return [(word, start, end) for word, (start, end) in zip(words, sounds)]
    # Counts differ (a number read as several words, two words run together): share the sounds out by letters.
    weights = np.cumsum([0] + [sum(ch.isalnum() for ch in word) for word in words]) / sum(
        sum(ch.isalnum() for ch in word) for word in words)
    letters = [i for start, end in sounds for i in range(start, end)]
    bounds = [round(weight * len(letters)) for weight in weights]
    spans = []
    for number, word in enumerate(words):
        first = min(bounds[number], len(letters) - 1)
        last = max(first + 1, bounds[number + 1])  # every word gets at least one phoneme
        spans.append((word, letters[first], letters[last - 1] + 1))
    return spans


def locate_words(text: str, words: Sequence[str], cursor: int, reach: int = 400) -> tuple[list[tuple[int, int]], int]:
    """Given the chunk's text, words in reading order and where the last one ended, return each word's
    [start, end) in text ((-1, -1) when not found within `reach` characters) and the new cursor."""
    found = []
    for word in words:
        at = text.find(word, cursor, cursor + reach + len(word))
        if at < 0:
            found.append((-1, -1))
            continue
        found.append((at, at + len(word)))
        cursor = at + len(word)
    return found, cursor
