"""Text helpers the chapter and narration tests share: texts compared without white space, the
hypothesis texts that stress the chunker and the sentence splitter, and what normalize says."""

from __future__ import annotations

import re

from hypothesis import strategies as st

from kokoro_narrator.narration.normalize import normalize


def squash(text: str) -> str:
    """The text without white space: what a split or a chunking must neither lose nor invent."""
    return re.sub(r"\s+", "", text)


def said(text: str, lang_code: str = "a") -> str:
    """The text as normalize gives it to G2P."""
    return normalize(text, lang_code).text


text_strategy = st.lists(
    st.one_of(
        st.sampled_from(["CHAPTER I", "CHAPTER II.", "II", "Part of it", "Mr. ", "Dr. Who. ", "I'll ", "x" * 150,
                         "\n", "\n\n", "\r\n", " ", "\t", ". ", "! ", "? ", "\u2026 ", "'", '"', "\u00a0", "\u2028"]),
        st.text(max_size=12),
    ),
    min_size=1, max_size=60,
).map("".join).filter(str.strip)
"""Headings, abbreviations, long words, every kind of line break and end of sentence, and noise."""
