"""Text that is not speech: found in a chunk's text before G2P, taken out, and accounted for.

Kokoro reads whatever it is given. A "word" of 300 letters, a run of one repeated character,
a separator line or a drawing made of characters comes out as minutes of letter noise (and
a book of 200,000 repeated letters as an hour of it). `strip_nonspeech(text)` returns the
text without them and one record per thing it took out, with the reason, so that nothing
leaves the audio unaccounted for: the records go into the chunk's coverage (`not_speech`
in job.json) and into the job's warnings.

What is not speech, line by line:
- a **separator**: a line of at least SEPARATOR_MIN_CHARS characters, no letter or digit, and
  at most two different characters (`* * * * *`, `=====`, `-~-~-~-`); it is replaced by a
  paragraph break, so the listener hears the pause between scenes instead of nothing;
- **ASCII art**: any other line without a letter or digit (`/\\_/\\`, `> ^ <`), or a line with
  some where drawing characters dominate (at least ART_MIN_SYMBOLS of them, more than
  ART_SYMBOL_SHARE of its non-space characters, counting neither ordinary punctuation nor
  letters: `|_|_|_ x _|`); the line is dropped. A line of letters and prose punctuation
  (`( o.o )`) is read: no rule tells it from text;
- an **overlong word**: a whitespace-separated token holding a run of more than
  MAX_WORD_LETTERS letters or digits, far longer than any real word; the token is dropped;
- a **repeated character**: a run of more than MAX_REPEAT of one character. A run of
  letters or digits drops its token ("Noooo...ooo"); a run of punctuation or symbols drops
  only the run ("Wait!!!!!!...!!!" keeps "Wait").

The rules look only at the chunk text, so the same text always gives the same result and a
resumed chunk is spoken exactly as before. Change NONSPEECH_VERSION when a rule changes: it
is part of the job's settings, so a changed rule makes a new job instead of mixing audio.
"""

from __future__ import annotations

import logging
import re
from typing import Any

log = logging.getLogger(__name__)

NONSPEECH_VERSION = 1
MAX_WORD_LETTERS = 50
"""Longer runs of letters are not words: English's longest dictionary word has 45."""
MAX_REPEAT = 20
"""Longer runs of one character are noise ("Aaaaah!" and "Nooo!" stay well below it)."""
SEPARATOR_MIN_CHARS = 3
ART_MIN_SYMBOLS = 4
ART_SYMBOL_SHARE = 0.5
EXCERPT_CHARS = 40
"""How much of a dropped piece job.json keeps (a dropped run can be 200,000 characters)."""

# Punctuation that prose uses; anything else that is neither a letter, a digit nor a space
# counts as a drawing character.
PROSE_PUNCTUATION = set(".,;:!?'\"()[]-–—…&%$€£/")
LONG_RUN = re.compile(r"(.)\1{%d,}" % MAX_REPEAT, re.DOTALL)
LONG_WORD = re.compile(r"[^\W_]{%d,}" % (MAX_WORD_LETTERS + 1))

REASONS = {
    "separator": "a separator line: read as a pause",
    "ascii_art": "a line of drawing characters (ASCII art), not words",
    "overlong_word": f"a word of more than {MAX_WORD_LETTERS} letters, longer than any real word",
    "repeated_character": f"a run of more than {MAX_REPEAT} of one character",
}


def excerpt(piece: str) -> str:
    """Given a dropped piece, return it short enough for job.json: its start and its length."""
    if len(piece) <= EXCERPT_CHARS:
        return piece
    return f"{piece[:EXCERPT_CHARS]}… ({len(piece)} characters)"


def _record(kind: str, piece: str) -> dict[str, Any]:
    return {"kind": kind, "reason": REASONS[kind], "text": excerpt(piece), "chars": len(piece)}


def is_separator(line: str) -> bool:
    """Whether a line is decoration between scenes: long enough, no letter or digit, one or two characters repeated."""
    visible = "".join(line.split())
    return len(visible) >= SEPARATOR_MIN_CHARS and len(set(visible)) <= 2 and not any(ch.isalnum() for ch in visible)


def is_ascii_art(line: str) -> bool:
    """Whether a line (not a separator) is drawing characters rather than words."""
    visible = "".join(line.split())
    if visible and not any(ch.isalnum() for ch in visible):
        return any(ch not in PROSE_PUNCTUATION for ch in visible)
    symbols = sum(not ch.isalnum() and ch not in PROSE_PUNCTUATION for ch in visible)
    return symbols >= ART_MIN_SYMBOLS and symbols > ART_SYMBOL_SHARE * len(visible)


def _clean_token(token: str, dropped: list[dict[str, Any]]) -> str:
    """Given one whitespace-free token, return what of it may be spoken ('' for none)."""
    for run in LONG_RUN.finditer(token):
        if run.group(1).isalnum():
            dropped.append(_record("repeated_character", token))
            return ""
    if LONG_WORD.search(token):
        dropped.append(_record("overlong_word", token))
        return ""
    if LONG_RUN.search(token):  # punctuation or symbols only: keep the word around them
        for run in LONG_RUN.finditer(token):
            dropped.append(_record("repeated_character", run.group(0)))
        token = LONG_RUN.sub("", token)
    return token


def _clean_line(line: str, dropped: list[dict[str, Any]]) -> str:
    """Given one line of text, return it with its noise taken out (tokens keep their spacing)."""
    if not LONG_RUN.search(line) and not LONG_WORD.search(line):
        return line  # the common case: nothing to look at token by token
    parts = re.split(r"(\s+)", line)
    kept = [part if part.isspace() or not part else _clean_token(part, dropped) for part in parts]
    return re.sub(r"[ \t]{2,}", " ", "".join(kept)).strip()


def strip_nonspeech(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Given a chunk's text, return (the text to speak, what was taken out and why).

    Each record is `{"kind", "reason", "text" (an excerpt), "chars"}`. Paragraphs stay
    separated by blank lines; a separator line becomes a paragraph break; a paragraph left
    empty disappears.
    """
    dropped: list[dict[str, Any]] = []
    paragraphs: list[str] = []
    for paragraph in text.split("\n\n"):
        lines: list[str] = []
        for line in paragraph.split("\n"):
            if is_separator(line):
                dropped.append(_record("separator", line.strip()))
                paragraphs.append("\n".join(lines))
                lines = []
                continue
            if is_ascii_art(line):
                dropped.append(_record("ascii_art", line.strip()))
                continue
            line = _clean_line(line, dropped)
            if line.strip():
                lines.append(line)
        paragraphs.append("\n".join(lines))
    if not dropped:
        return text, []
    return "\n\n".join(p for p in paragraphs if p.strip()), dropped


NAMES = {"separator": ("separator line", "separator lines"), "ascii_art": ("line of ASCII art", "lines of ASCII art"),
         "overlong_word": ("overlong word", "overlong words"),
         "repeated_character": ("run of one repeated character", "runs of one repeated character")}


def summarize(dropped: list[dict[str, Any]]) -> str:
    """Given drop records, return what they hold, counted by kind: `2 separator lines, 1 overlong word`."""
    counts: dict[str, int] = {}
    for item in dropped:
        counts[item["kind"]] = counts.get(item["kind"], 0) + 1
    return ", ".join(f"{count} {NAMES[kind][count > 1]}" for kind, count in counts.items())
