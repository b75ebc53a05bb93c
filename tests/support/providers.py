"""A small deterministic TtsProvider for tests where the model would only add time.

It speaks each sentence as a tone whose pitch and length come from the text, so different
chunks give different audio and the same chunk always gives the same samples.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Iterator

import numpy as np

from kokoro_narrator.audio.wav import SAMPLE_RATE
from kokoro_narrator.synthesis.engine import Segment
from kokoro_narrator.synthesis.g2p import Coverage, letters, split_utterances



class ToneProvider:
    device_label = "cpu"

    def __init__(self, fail_times: dict[int, int] | None = None, seconds_per_char: float = 0.002):
        self.calls: Counter[str] = Counter()
        self.fail_times = dict(fail_times or {})
        """{n: k}: the n-th distinct chunk text (1-based, by first appearance) fails its first k calls."""
        self.order: list[str] = []
        self.seconds_per_char = seconds_per_char

    def provider_name(self) -> str:
        return "tone"

    def synthesize_chunk(self, text: str, voice: str | None = None, speed: float | None = None, start: int = 0,
                         lang_code: str | None = None) -> Iterator[Segment]:
        """The TtsProvider protocol: one tone per utterance, from utterance `start` on."""
        if text not in self.order:
            self.order.append(text)
        self.calls[text] += 1
        number = self.order.index(text) + 1
        if self.calls[text] <= self.fail_times.get(number, 0):
            raise RuntimeError(f"injected failure in chunk {number}")
        for utterance in split_utterances(text, r"\n+")[start:]:
            digest = hashlib.sha256(utterance.text.encode()).digest()
            frames = max(240, int(len(utterance.text) * self.seconds_per_char * SAMPLE_RATE))
            pitch = 200 + digest[0]
            t = np.arange(frames, dtype=np.float32) / SAMPLE_RATE
            audio = (0.3 * np.sin(2 * np.pi * pitch * t)).astype(np.float32)
            n = letters(utterance.text)
            yield Segment(audio, utterance.text, "", utterance.ends_paragraph, Coverage(n, n))
