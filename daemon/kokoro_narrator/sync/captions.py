"""Captions from a book's timings: WebVTT and SRT subtitles, and a WebVTT chapters track.

A player shows the book's own text while the audiobook plays, so a listener can follow along,
search, or skip to a chapter. One cue per sentence; a sentence too long to read at a glance
(more than 2 lines of 42 characters, the common subtitle limit) is cut at a clause, between
words, and each piece is timed by its words. With `words=True` the WebVTT cues carry the
spec's inline timestamps (karaoke-style highlighting) and the SRT file, which has none, gets
a short cue per group of words instead.

Cue times are whole milliseconds (the timings' own resolution), so "no overlap" and "strictly
increasing" are exact integer comparisons.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterable, Sequence

from ..core import atomic_write
from .timings import BookTimings, Sentence

MAX_LINE = 42
MAX_CUE = 2 * MAX_LINE
SHORT_PIECE = 20
"""A piece shorter than this flashes by too fast to read: the cut that makes it must be worth it."""
GROUP_WORDS = 3
GROUP_CHARS = 20
KINDS = ("vtt", "srt")

MARK = "\x00"
"""Stands in a cue's text where a word with a known time begins; becomes a timestamp or nothing."""
QUOTES = "\"“‘'«"
CLOSERS = "\"”’'»"
CLAUSE_ENDS = ",;:—–)]}.!?…"
ARROW = re.compile(r"--+>")


@dataclass(frozen=True)
class Cue:
    start: int
    """Milliseconds."""
    end: int
    text: str
    """Collapsed and wrapped; MARK before each word whose start time is in `marks`, in order."""
    marks: tuple[int, ...] = ()


def write_captions(timings: BookTimings, base: Path, kinds: Sequence[str], words: bool = False,
                   clean_text: str | None = None) -> list[Path]:
    """Given a book's timings and an output path without suffix, write `base.vtt` and/or `base.srt`
    (as kinds asks) and, when kinds is not empty, the chapters track `base.chapters.vtt`; return
    the paths written, in that order.

    clean_text (the book's clean text) places the pieces of a split sentence in its shown text;
    without it the sentence's own source text is used when it matches its offsets.
    """
    unknown = [kind for kind in kinds if kind not in KINDS]
    if unknown:
        raise ValueError(f"unknown caption kinds {unknown}: known are {list(KINDS)}")
    kinds = list(dict.fromkeys(kinds))  # one file per kind, in the order asked
    if not kinds:
        return []
    reading = clamped(cue for s in timings.sentences for cue in sentence_cues(s, clean_text, groups=False))
    written = []
    for kind in kinds:
        if kind == "vtt":
            text = vtt(reading, words)
        else:
            text = srt(clamped(cue for s in timings.sentences for cue in sentence_cues(s, clean_text, groups=True))
                       if words else reading)
        written.append(write_text(base.with_name(f"{base.name}.{kind}"), text))
    written.append(write_text(base.with_name(f"{base.name}.chapters.vtt"), chapters_vtt(timings)))
    return written


def write_text(path: Path, text: str) -> Path:
    def write(f: BinaryIO) -> None:
        f.write(text.encode("utf-8"))
    atomic_write(path, write)
    return path


def sentence_cues(sentence: Sentence, clean_text: str | None, groups: bool) -> list[Cue]:
    """Given a sentence, return its cues: one, or its clause-cut pieces (groups=False), or its word
    groups of at most GROUP_WORDS words and GROUP_CHARS characters (groups=True)."""
    start, end = ms(sentence.start), ms(sentence.end)
    if start >= end or not collapse(sentence.shown):
        return []
    anchor = Anchor(sentence, clean_text)
    if groups and sentence.words:
        cuts = anchor.group_cuts()
    elif len(collapse(sentence.shown)) <= MAX_CUE or not sentence.words:
        # Fits, or cannot be cut: the shown text as it is, timestamped where its words are placed.
        text, marks = (sentence.shown, ()) if anchor.joined else anchor.piece(0, len(sentence.words))
        return [Cue(start, end, wrap(collapse(text)), marks)]
    else:
        cuts = anchor.reading_cuts()
    points = [0, *cuts, len(sentence.words)]

    pieces: list[tuple[int, int, int, int]] = []  # words [i, j), first and last ms
    for i, j in zip(points, points[1:]):
        first = start if i == 0 and not groups else max(start, ms(sentence.words[i].start))
        last = end if j == len(sentence.words) and not groups else min(end, ms(sentence.words[j - 1].end))
        # A piece whose words have no time (zero-length words at a trimmed edge) joins the piece before it, or the
        # one after when it is first: its text is never lost.
        if pieces and (first >= last or pieces[-1][2] >= pieces[-1][3]):
            pieces[-1] = (pieces[-1][0], j, min(pieces[-1][2], first), max(pieces[-1][3], last))
        else:
            pieces.append((i, j, first, last))
    if len(pieces) == 1 and pieces[0][2] >= pieces[0][3]:  # no word has a time of its own: the sentence's
        pieces = [(0, len(sentence.words), start, end)]
    cues = []
    for i, j, first, last in pieces:
        text, marks = anchor.piece(i, j)
        if visible(collapse(text)):
            cues.append(Cue(first, last, wrap(collapse(text)), marks))
    return cues


class Anchor:
    """A sentence's shown text with each word's [start, end) in it (None where a word has no place),
    so pieces of the shown text can be cut between words and timed by them."""

    def __init__(self, sentence: Sentence, clean_text: str | None) -> None:
        self.words = sentence.words
        self.text, self.spans, self.joined = sentence.shown, None, False
        if not self.words:
            return
        if sentence.source_text and sentence.source:
            a, b = sentence.source
            own = clean_text[a:b] if clean_text is not None else sentence.source_text
            if own == sentence.source_text and len(own) == b - a:  # else the offsets point at another text
                self.spans = [(w.source[0] - a, w.source[1] - a) if w.source and a <= w.source[0] <= w.source[1] <= b
                              else None for w in self.words]
        elif not sentence.source_text:
            # The spoken text is shown: find each word in it, in order.
            self.spans, cursor = [], 0
            for word in self.words:
                at = self.text.find(word.text, cursor) if word.text else -1
                self.spans.append((at, at + len(word.text)) if at >= 0 else None)
                cursor = at + len(word.text) if at >= 0 else cursor
        if self.spans is None or not any(self.spans):
            # Last resort: the spoken words joined; punctuation and the book's spelling are lost.
            self.text, self.spans, self.joined, at = " ".join(w.text for w in self.words), [], True, 0
            for word in self.words:
                self.spans.append((at, at + len(word.text)))
                at += len(word.text) + 1

    def cuttable(self, k: int) -> bool:
        before, after = self.spans[k - 1], self.spans[k]
        return before is not None and after is not None and before[1] <= after[0]

    def cuts(self) -> list[int]:
        return [k for k in range(1, len(self.words)) if self.cuttable(k)]

    def boundary(self, k: int) -> int:
        at, floor = self.spans[k][0], self.spans[k - 1][1]
        # What is glued to a word's front (a quote, a bracket, "<") goes with it; a dash ends the word before.
        while at > floor and not (self.text[at - 1].isspace() or self.text[at - 1].isalnum()
                                  or self.text[at - 1] in CLAUSE_ENDS):
            at -= 1
        return at

    def piece(self, i: int, j: int) -> tuple[str, tuple[int, ...]]:
        """The shown text of words[i:j] (the whole text's edges for the first and last piece),
        with MARK where each of its words after the first begins, and those words' start times."""
        start = 0 if i == 0 else self.boundary(i)
        end = len(self.text) if j == len(self.words) else self.boundary(j)
        inner = [k for k in range(i + 1, j) if self.cuttable(k)]
        text, at = [], start
        for k in inner:
            text += [self.text[at:self.boundary(k)], MARK]
            at = self.boundary(k)
        text.append(self.text[at:end])
        return "".join(text), tuple(ms(self.words[k].start) for k in inner)

    def reading_cuts(self) -> list[int]:
        """Where to cut so every piece fits MAX_CUE: fewest pieces, then cuts at clauses, then
        balanced pieces and no very short one (a shortest-path over the possible cuts)."""
        n = len(self.words)
        points = [0, *self.cuts(), n]
        best: dict[int, tuple[int, int, float, int]] = {0: (0, 0, 0.0, -1)}  # overflow, pieces, penalty, previous
        for index, a in enumerate(points[:-1]):
            overflow, pieces, penalty, _ = best[a]
            for b in points[index + 1:]:
                shown = visible(collapse(self.piece(a, b)[0]))
                over = max(0, len(shown) - MAX_CUE)
                cost = (len(shown) / MAX_CUE) ** 2 + (len(shown) < SHORT_PIECE)
                if b < n and not (shown.rstrip(CLOSERS).endswith(tuple(CLAUSE_ENDS))
                                  or self.text[self.boundary(b)] in QUOTES):
                    cost += 0.25
                candidate = (overflow + over, pieces + 1, penalty + cost, a)
                if b not in best or candidate[:3] < best[b][:3]:
                    best[b] = candidate
                if over:
                    break  # longer pieces from a only overflow more
        cuts, at = [], best[n][3]
        while at > 0:
            cuts.append(at)
            at = best[at][3]
        return cuts[::-1]

    def group_cuts(self) -> list[int]:
        cuts, a, end = [], 0, None
        for b in [*self.cuts(), len(self.words)]:
            if end is not None and (b - a > GROUP_WORDS or len(visible(collapse(self.piece(a, b)[0]))) > GROUP_CHARS):
                cuts.append(end)
                a = end
            end = b
        return cuts


def clamped(cues: Iterable[Cue]) -> list[Cue]:
    """Given cues in reading order, return them with none starting before the previous one ends;
    a cue left with no time is dropped."""
    kept: list[Cue] = []
    for cue in cues:
        start = max(cue.start, kept[-1].end) if kept else cue.start
        if start < cue.end:
            kept.append(Cue(start, cue.end, cue.text, cue.marks))
    return kept


def vtt(cues: Sequence[Cue], words: bool) -> str:
    blocks = ["WEBVTT\n"]
    for cue in cues:
        text = escape(cue.text)
        if words:
            # The spec wants each timestamp after the cue's start, after the one before, before its end.
            last, stamps = cue.start, []
            for mark in cue.marks:
                stamps.append(f"<{stamp(mark, '.')}>" if last < mark < cue.end else "")
                last = mark if stamps[-1] else last
            parts = text.split(MARK)
            text = "".join(part + stamp_ for part, stamp_ in zip(parts, [*stamps, ""]))
        blocks.append(f"{stamp(cue.start, '.')} --> {stamp(cue.end, '.')}\n{visible(text)}\n")
    return "\n".join(blocks)


def srt(cues: Sequence[Cue]) -> str:
    return "\n".join(f"{number}\n{stamp(cue.start, ',')} --> {stamp(cue.end, ',')}\n{visible(cue.text)}\n"
                     for number, cue in enumerate(cues, 1))


def chapters_vtt(timings: BookTimings) -> str:
    cues = clamped([Cue(ms(chapter["start"]), ms(chapter["end"]),
                        collapse(str(chapter.get("title") or "")) or f"Chapter {int(chapter.get('index', n)) + 1}")
                    for n, chapter in enumerate(timings.chapters)])
    return vtt(cues, words=False)


def ms(seconds: float) -> int:
    return round(seconds * 1000)


def stamp(milliseconds: int, point: str) -> str:
    """HH:MM:SS.mmm (VTT, point '.') or HH:MM:SS,mmm (SRT); hours grow past 99 as needed."""
    seconds, milli = divmod(milliseconds, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{point}{milli:03d}"


def collapse(text: str) -> str:
    """One line, single spaces, and never the `-->` that would end a cue's text early."""
    return ARROW.sub("->", " ".join(text.split()))


def visible(text: str) -> str:
    return text.replace(MARK, "")


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def wrap(text: str) -> str:
    """Given one line of cue text, return it in at most 2 lines, broken at the space that leaves
    the longer line shortest (both ≤ MAX_LINE where the words allow)."""
    if len(visible(text)) <= MAX_LINE:
        return text
    spaces = [at for at, ch in enumerate(text) if ch == " "]
    if not spaces:
        return text
    at = min(spaces, key=lambda at: max(len(visible(text[:at])), len(visible(text[at + 1:]))))
    return f"{text[:at]}\n{text[at + 1:]}"
