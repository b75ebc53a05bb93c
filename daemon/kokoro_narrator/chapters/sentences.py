"""Sentences and words: where a paragraph may be cut, for chunks (chunker.py) and utterances (g2p.py).

A sentence ends at `.`, `!`, `?` or `…` (and any closing quotes or brackets) followed by
whitespace, unless the next word starts in lower case ("'Oh!' she said") or the full stop
ends an abbreviation ("Mr.", "St.", "e.g.", an initial, "No. 5"). Joined by spaces, the
sentences give the text back, modulo whitespace; so do the pieces of `split_words`.
"""

from __future__ import annotations

import re

ABBREVIATIONS = frozenset(
    "mr mrs ms mx dr st jr sr prof rev fr gen col capt cpt lt sgt cmdr adm gov pres sen rep hon messrs mme mlle "
    "esq supt insp mt ft vs etc cf viz approx dept est inc ltd co corp bros jan feb mar apr jun jul aug sep "
    "sept oct nov dec".split()
)
NUMBERED_ABBREVIATIONS = frozenset("no nos vol vols ch chap p pp fig figs art sec op".split())
"""Abbreviations only when a number follows: "No. 5", but "he said no. Then"."""
SENTENCE_END = re.compile(r"([.!?\u2026]+)([\"')\]\u2019\u201d]*)\s+(?=(\S))")


def last_word(text: str, start: int, end: int) -> str:
    """The last whitespace-separated word of text[start:end], without copying the rest of it.

    The same as `text[start:end].split()[-1]` (or ""), in time of the word's length: along a run
    of abbreviations ("A. A. A. ...") the sentence so far grows, and splitting it was quadratic.
    """
    while end > start and text[end - 1].isspace():
        end -= 1
    begin = end
    while begin > start and not text[begin - 1].isspace():
        begin -= 1
    return text[begin:end]


def is_abbreviation(word: str, following: str) -> bool:
    """Whether the word before a full stop is an abbreviation (Mr., e.g., J.) given the next character."""
    word = word.lstrip("\"'([\u2018\u201c").lower()
    if word in ABBREVIATIONS or "." in word or (len(word) == 1 and word.isalpha()):
        return True
    return word in NUMBERED_ABBREVIATIONS and following.isdigit()


def split_sentences(paragraph: str) -> list[str]:
    """Cut text into sentences, stripped; joined by spaces they give the text back, modulo whitespace.

    A sentence ends at `.`, `!`, `?` or `…` (and any closing quotes or brackets) followed by
    whitespace, unless the next word starts in lower case ("'Oh!' she said") or the full stop
    ends an abbreviation ("Mr.", "St.", "e.g.", an initial, "No. 5").
    """
    sentences: list[str] = []
    start = 0
    for match in SENTENCE_END.finditer(paragraph):
        following = match.group(3)
        if following.islower():
            continue
        if match.group(1) == "." and is_abbreviation(last_word(paragraph, start, match.start()), following):
            continue
        sentences.append(paragraph[start:match.end(2)])
        start = match.end(2)
    sentences.append(paragraph[start:])
    return [sentence.strip() for sentence in sentences if sentence.strip()]


def split_words(text: str, limit: int) -> list[str]:
    """Cut text at whitespace into pieces of at most limit characters; cut longer words hard."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    pieces: list[str] = []
    current = ""
    for word in text.split():
        while len(word) > limit:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(word[:limit])
            word = word[limit:]
        if current and len(current) + 1 + len(word) > limit:
            pieces.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        pieces.append(current)
    return pieces
