"""Where a book's dialogue is: the spans inside quotation marks, so the dialogue voice reads them.

Clean text comes with straight quotes (books/reader.py makes `“”` `"` and `‘’` `'`), so a mark
rarely says whether it opens or closes: double quotes pair up inside each paragraph, single
quotes count only in books that use them for dialogue (British ones), and then only in the
positions an apostrophe cannot take. `«»`, `「」` and `『』` say their direction themselves.

A quotation never runs past its paragraph: one that is still open at a paragraph's end goes on
only where the next paragraph opens with a quote mark (the convention for speech over several
paragraphs), and each paragraph's piece is its own Quote. So a stray mark costs one paragraph at
most, never the rest of the book.
"""

from __future__ import annotations

import re
from typing import NamedTuple


class Quote(NamedTuple):
    """Character offsets of the words inside the marks: text[start:end] is what is said."""

    start: int
    end: int


STRAIGHT = str.maketrans("“”„‟‘’‚‛", "\"\"\"\"''''")  # the same length: offsets stay valid
PAIRS = {"«": "»", "「": "」", "『": "』"}
MARKS = re.compile(r"[\"'«»「」『』]")
PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
ELISIONS = re.compile(r"'(?:tis|twas|twere|twill|twould|em|im|er|un|cause|cos|till?|ave|ere|ow|n|s|d|ll|re|ve|"
                      r"\d\d)(?![a-z])", re.IGNORECASE)
"""Words that begin with an apostrophe ('tis, 'em, 'cause, '99): never an opening quote."""
OPEN_BEFORE = set(" \t\n([{—–-\"/")
"""Characters after which a mark opens: an opening mark sits before a word, after a space or a dash."""
STRONG_BEFORE = set(".,!?;:—–-…\"")
"""A single quote after punctuation closes dialogue; one after a letter may be a plural's apostrophe."""


def find_quotes(text: str) -> list[Quote]:
    """The quoted spans of text, in order, without their marks: outermost quotes only, one per paragraph."""
    text = text.translate(STRAIGHT)
    paragraphs = paragraph_spans(text)
    single = uses_single_quotes(text, paragraphs)
    reversed_guillemets = starts_with(text, paragraphs, "»") > starts_with(text, paragraphs, "«")
    quotes: list[Quote] = []
    chain: list[Quote] = []  # the pieces of a quotation that runs over paragraphs, so far
    for index, (start, end) in enumerate(paragraphs):
        here = single or paragraph_in_single_quotes(text, start, end)
        following = paragraphs[index + 1][0] if index + 1 < len(paragraphs) else None
        continued = following is not None and opens_with_quote(text, following, here, reversed_guillemets)
        found, still_open = scan_paragraph(text, start, end, here, reversed_guillemets, continued)
        for quote in found:
            if chain and quote.start == start + 1:
                chain.append(quote)  # the paragraph opens with a mark: the same quotation goes on
            else:
                quotes += spoken(text, chain)
                chain = [quote]
        if not (still_open and continued):
            quotes += spoken(text, chain)
            chain = []
    return quotes + spoken(text, chain)


VALEDICTION = re.compile(r"\b(?:Yours|Your's|Your own)\b[^\n\"]{0,40}$")
TERM = re.compile(r"[^\s!?,.;:—–-][\s_*]*$")
"""Quoted words that end without punctuation: a name or a term, when the quote sits inside a sentence."""


def spoken(text: str, chain: list[Quote]) -> list[Quote]:
    """The quotation's pieces, unless it is not speech: a letter signed "Yours ...", or a name, title or
    term quoted inside a sentence ('a "Bridge Party" did good', 'called "trade goods"'), which the
    narrator reads."""
    if not chain:
        return []
    words = text[chain[0].start:chain[-1].end]
    if VALEDICTION.search(" ".join(text[chain[-1].end - 60:chain[-1].end].split())):
        return []
    after_a_word = re.fullmatch(r"[^\W\d_] ", text[chain[0].start - 3:chain[0].start - 1])
    if len(chain) == 1 and len(words.split()) <= 6 and TERM.search(words) and after_a_word:
        return []
    return chain


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each paragraph: text between blank lines, its outer whitespace left out."""
    spans, position = [], 0
    for match in [*PARAGRAPH_BREAK.finditer(text), None]:
        stop = match.start() if match else len(text)
        piece = text[position:stop]
        if piece.strip():
            left = len(piece) - len(piece.lstrip())
            spans.append((position + left, position + len(piece.rstrip())))
        position = match.end() if match else stop
    return spans


def starts_with(text: str, paragraphs: list[tuple[int, int]], mark: str) -> int:
    return sum(text.startswith(mark, start) for start, _ in paragraphs)


def opens_single(text: str, index: int) -> bool:
    """A single quote that can open speech: at a word's start, and not an elision ('tis, 'em)."""
    before = text[index - 1] if index else " "
    after = text[index + 1:index + 2]
    return before in OPEN_BEFORE and after != "" and not after.isspace() and not ELISIONS.match(text, index)


def opens_speech(text: str, index: int) -> bool:
    """A paragraph that opens with a single quote before a capital looks like British dialogue."""
    return opens_single(text, index) and text[index + 1:index + 2].isupper()


def uses_single_quotes(text: str, paragraphs: list[tuple[int, int]]) -> bool:
    """The book's convention: single quotes are dialogue when more paragraphs open with one (before a
    capital) than with a double quote."""
    singles = sum(text.startswith("'", start) and opens_speech(text, start) for start, _ in paragraphs)
    return singles > starts_with(text, paragraphs, '"')


def paragraph_in_single_quotes(text: str, start: int, end: int) -> bool:
    """In a book of double quotes, one paragraph may still be in single ones: it opens with one before a
    capital, has no double quote, and a single quote closes after punctuation."""
    if not (text.startswith("'", start) and opens_speech(text, start)) or '"' in text[start:end]:
        return False
    return any(closes_strongly(text, index) for index in range(start + 1, end) if text[index] == "'")


def closes_strongly(text: str, index: int) -> bool:
    """A single quote after punctuation, or standing alone between spaces (it cannot open: `and '`)."""
    after = text[index + 1:index + 2]
    return (text[index - 1] in STRONG_BEFORE or text[index - 1].isspace()) and not after.isalnum()


def closes_weakly(text: str, index: int) -> bool:
    """A single quote after a letter, before a space: the end of speech, or a plural's apostrophe."""
    after = text[index + 1:index + 2]
    return text[index - 1].isalnum() and not after.isalnum()


def opens_with_quote(text: str, start: int, single: bool, reversed_guillemets: bool) -> bool:
    mark = text[start]
    if mark == '"':
        return True
    if mark == "'":
        return single and opens_single(text, start)
    return mark in ("»" if reversed_guillemets else "«") + "「『"


def scan_paragraph(text: str, start: int, end: int, single: bool, reversed_guillemets: bool,
                   continued: bool) -> tuple[list[Quote], bool]:
    """The outermost quotes of one paragraph, and whether the last one is still open at its end (then
    it runs to the end)."""
    pairs = {"»": "«", "「": "」", "『": "』"} if reversed_guillemets else PAIRS
    quotes: list[Quote] = []
    kind, opened, depth, weak = "", 0, 0, -1  # the open quote's mark, where its words start, nesting, a maybe-close
    for match in MARKS.finditer(text, start, end):
        mark, index = match.group(), match.start()
        if not kind:
            if mark == '"' or mark in pairs or (mark == "'" and single and opens_single(text, index)):
                kind, opened, depth, weak = mark, index + 1, 1, -1
        elif kind == '"':
            if mark == '"':
                quotes.append(Quote(opened, index))
                kind = ""
        elif kind == "'":
            if mark != "'":
                continue  # double quotes inside single ones belong to the quote
            if closes_strongly(text, index):
                quotes.append(Quote(opened, index))
                kind = ""
            elif closes_weakly(text, index):
                weak = index if weak < 0 else weak  # the first: "'Nice' women ... a 'foreigner' to whom"
            elif weak >= 0 and opens_single(text, index):
                quotes.append(Quote(opened, weak))  # "'Go home' he said. 'Now.'": the maybe-close was one
                kind, opened, depth, weak = mark, index + 1, 1, -1
        elif mark == kind:
            depth += 1
        elif mark == pairs[kind]:
            depth -= 1
            if not depth:
                quotes.append(Quote(opened, index))
                kind = ""
    still_open = bool(kind) and not (kind == "'" and weak >= 0 and not continued)
    if kind:
        quotes.append(Quote(opened, end if still_open else weak))
    return [quote for quote in quotes if quote.end > quote.start], still_open
