"""Spoken text back to the book's text: which characters of the clean text a span of spoken text reads.

What G2P reads is not the book's text: the narration rules wrote `CHAPTER IV.` as "Chapter
Four", `1914` as "nineteen fourteen", and a lexicon put `[Kokoro](/kˈOkəɹO/)` where the book
says Kokoro. Both texts are cut into words (letters and digits, lower case) and walked side by
side: equal words pair up, and where they differ the walk looks a few words ahead on both
sides for the next place they agree (two words in a row, so that a lone "the" cannot pull it
off course); the words in between map to each other as a block. Linear in the text's length,
and the rules only ever rewrite a few words at a time.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right

from ..narration import MARKUP

TOKEN = re.compile(r"[^\W_]+")
LOOKAHEAD = 12
"""How many words ahead, on each side, a resync is looked for."""
OPENING = "\"'(“‘«„[¡¿"
CLOSING = ".,;:!?…\"')]”’»—–-"


def _tokens(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(0).lower(), m.start(), m.end()) for m in TOKEN.finditer(text)]


def _masked(spoken: str) -> str:
    """The spoken text with each lexicon entry's phonemes blanked out, offsets unchanged."""
    return MARKUP.sub(lambda m: f"[{m.group(1)}]" + " " * (len(m.group(0)) - len(m.group(1)) - 2), spoken)


class Alignment:
    """Maps spans of a spoken text to spans of the clean text it was made from."""

    def __init__(self, spoken: str, clean: str):
        self.clean = clean
        said, read = _tokens(_masked(spoken)), _tokens(clean)
        self.starts = [start for _, start, _ in said]
        self.ends = [end for _, _, end in said]
        self.read = read
        self.pairs: list[tuple[int, int] | None] = _walk([t for t, _, _ in said], [t for t, _, _ in read])

    def clean_span(self, start: int, end: int, whole: bool = False) -> tuple[int, int] | None:
        """Given [start, end) in the spoken text, return the [start, end) of the clean text it reads, or None.

        whole: take in the punctuation and quotes around it (a sentence's own `“` and `.`)."""
        first, last = bisect_left(self.ends, start + 1), bisect_right(self.starts, end - 1)
        mapped = [pair for pair in self.pairs[first:last] if pair is not None]
        if not mapped:
            return None
        begin, finish = self.read[min(p[0] for p in mapped)][1], self.read[max(p[1] for p in mapped)][2]
        if whole:
            while begin > 0 and self.clean[begin - 1] in OPENING:
                begin -= 1
            while finish < len(self.clean) and self.clean[finish] in CLOSING:
                finish += 1
        return begin, finish


def _agree(said: list[str], read: list[str], i: int, j: int) -> bool:
    """Do the words at i and j agree, and the next ones too (or one side ends)?"""
    if i >= len(said) or j >= len(read) or said[i] != read[j]:
        return False
    return i + 1 >= len(said) or j + 1 >= len(read) or said[i + 1] == read[j + 1]


def _walk(said: list[str], read: list[str]) -> list[tuple[int, int] | None]:
    """For each spoken word, the (first, last) clean words it reads, or None when it reads none."""
    pairs: list[tuple[int, int] | None] = [None] * len(said)
    i = j = 0
    while i < len(said) and j < len(read):
        if said[i] == read[j]:
            pairs[i] = (j, j)
            i, j = i + 1, j + 1
            continue
        step = next(((di, d - di) for d in range(1, 2 * LOOKAHEAD + 1)
                     for di in range(max(0, d - LOOKAHEAD), min(d, LOOKAHEAD) + 1)
                     if _agree(said, read, i + di, j + d - di)), None)
        if step is None:  # no agreement near: pair word for word and go on
            pairs[i] = (j, j)
            i, j = i + 1, j + 1
            continue
        di, dj = step
        for k in range(i, i + di):  # the words in between read each other, as a block
            pairs[k] = (j, j + dj - 1) if dj else None
        i, j = i + di, j + dj
    return pairs
