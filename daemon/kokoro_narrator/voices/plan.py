"""Who reads each part of a chunk: the narrator, the dialogue voice, or a character's voice.

`voice_spans(text, dialogue, cast)` finds the chunk's quotations (quotes.py), gives each to its
speaker's voice when the text makes the speaker clear (speakers.py) and to the dialogue voice
otherwise, and returns them as [start, end) spans with their voice and speaker, the quote
marks inside: the engine cuts utterances at their edges (synthesis/g2p.py). The attribution
(`said he`) stays outside, with the narrator. The chunk's text is what G2P reads; a lexicon's
`[word](/phonemes/)` is read as its word, so names inside one are still found.
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

from ..narration import MARKUP
from .cast import Role
from .quotes import find_quotes
from .speakers import attribute

MARKS = "\"'«»„“”‘’「」『』"


class VoiceSpan(NamedTuple):
    start: int
    end: int
    voice: str
    speaker: str | None
    """The character whose voice it is; None for the dialogue voice."""


def _readable(text: str) -> str:
    """The text with each lexicon entry's brackets and phonemes blanked, offsets unchanged."""
    return MARKUP.sub(lambda m: " " + m.group(1) + " " * (len(m.group(0)) - len(m.group(1)) - 1), text)


def voice_spans(text: str, dialogue: str, cast: Sequence[Role] = ()) -> list[VoiceSpan]:
    """Given a chunk's text, the dialogue voice ("" for none) and the book's cast, return the spans read by a
    voice other than the narrator's, in order."""
    if not dialogue and not cast:
        return []
    readable = _readable(text)
    quotes = find_quotes(readable)
    speakers = attribute(readable, quotes, [role.character for role in cast]) if cast else [None] * len(quotes)
    voice_of = {role.name: role.voice for role in cast}
    spans = []
    for quote, speaker in zip(quotes, speakers):
        voice = voice_of.get(speaker) if speaker else None
        if voice is None and not dialogue:
            continue
        start, end = quote.start, quote.end
        if start > 0 and text[start - 1] in MARKS:  # the quote marks go with the quote
            start -= 1
        if end < len(text) and text[end] in MARKS:
            end += 1
        if spans and start < spans[-1].end:
            continue
        spans.append(VoiceSpan(start, end, voice or dialogue, speaker if voice else None))
    return spans
