"""Spoken sentences found in a book's own XHTML, and marked there with a `<span id>` (or an id on their block).

A media overlay points at each sentence by a fragment id, so each spoken sentence needs an
element of its own in the document. To find where a sentence is, each document is read by
books/xhtml.py's own reader (`XhtmlReader`, so block, note and marker rules are the ones that
made the clean text), traced: every character it keeps is tied to its place in the raw markup.
The clean text's paragraphs are then lined up with the reader's paragraphs (difflib on their
letters and digits: equal for an EPUB, close for rendered markdown), and each clean character
with a raw one, greedily in a short window (the clean text straightened quotes, collapsed
spaces and dropped nothing the reader kept, so the two rarely part).

The markup is edited at computed offsets, never re-serialized: the document stays byte for byte
what it was, plus the spans and ids. A sentence whose ends fall in different inline elements
(`He said <em>no. Then</em> left.`) is widened over those elements; if that runs into its
neighbour, they share one span; where widening would cross a block (verse lines, list items) the
sentence takes the id of the smallest block holding it (its existing id when it has one).
"""

from __future__ import annotations

import bisect
import html
import re
import unicodedata
from array import array
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from ..books import XhtmlReader, XhtmlText

INLINE = frozenset("a abbr b bdi bdo big br cite code data del dfn em font i img ins kbd mark q rp rt ruby s samp "
                   "small span strike strong sub sup time tt u var wbr".split())
"""Phrasing elements: a span may cross them whole, never a block."""
VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
ENTITY = re.compile(r"&(?:#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[A-Za-z][A-Za-z0-9]*;?)")
QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
                        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"'})
TAG_NAME = re.compile(r"[^\s/>]+")
HEAD_END = re.compile(r"</(?:[\w-]+:)?head\s*>", re.I)
WINDOW = 48
"""How far ahead in the reader's characters a letter of the clean text is looked for."""


def fold(ch: str) -> str:
    return ch.translate(QUOTES).casefold()


def key(text: str) -> str:
    """A paragraph's letters and digits, folded: what lines paragraphs up."""
    return "".join(ch for ch in unicodedata.normalize("NFC", text).casefold() if ch.isalnum())


@dataclass
class Element:
    tag: str
    start: int
    """Offset of its start tag's `<`."""
    close_start: int
    """Offset of its end tag's `<` (its start tag's, for a void or self-closed element)."""
    close_end: int
    parent: int
    id: str | None


@dataclass
class Char:
    """One character the reader kept, and where it stands in the markup."""

    folded: str
    start: int
    end: int
    """[start, end) in the markup: an entity is all of `&amp;`."""
    element: int
    """The innermost element holding it (an index into `Traced.elements`), or -1."""


@dataclass
class Traced:
    """A document read by the reader, each paragraph's characters tied to the markup."""

    markup: str
    elements: list[Element]
    paragraphs: list[str]
    """The reader's paragraphs, then its notes (as books/epub.py reads them)."""
    chars: list[list[Char]]
    """Per paragraph, its characters (only those from the markup's text, none the reader added)."""


class _Piece(str):
    """A bit of text the reader buffered, with its offset in the markup and its element."""

    raw: int
    element: int


class _Tracer(XhtmlReader):
    """The book reader, taking note of where each element and character is."""

    def __init__(self, out: XhtmlText, markup: str):
        super().__init__(out)
        self.markup = markup
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", markup)]  # HTMLParser counts "\n" lines
        self.elements: list[Element] = []
        self.opened: list[int] = []
        self.streams: list[list[Char]] = []
        self.note_parts: list[list[Char]] = []
        self.note_streams: list[list[Char]] = []

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def handle_starttag(self, tag, attrs):
        start = self._offset()
        end = start + len(self.get_starttag_text() or "")
        self.elements.append(Element(tag, start, end if tag not in VOID else start, end,
                                     self.opened[-1] if self.opened else -1, dict(attrs).get("id")))
        if tag not in VOID:
            self.opened.append(len(self.elements) - 1)
        super().handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag not in VOID and any(self.elements[i].tag == tag for i in self.opened):
            start = self._offset()
            end = self.markup.find(">", start) + 1 or len(self.markup)
            while self.opened:
                element = self.elements[self.opened.pop()]
                if element.tag == tag:
                    element.close_start, element.close_end = start, end
                    break
                element.close_start = element.close_end = start  # closed by its parent's end tag
        super().handle_endtag(tag)

    def handle_data(self, data):
        count = len(self.buffer)
        super().handle_data(data)
        if len(self.buffer) > count:
            piece = _Piece(self.buffer[-1])
            piece.raw, piece.element = self._offset(), self.opened[-1] if self.opened else -1
            self.buffer[-1] = piece

    def flush(self):
        stream = [char for piece in self.buffer if isinstance(piece, _Piece) for char in self._chars(piece)]
        paragraphs = len(self.out.paragraphs)
        notes = len(self.note_buffer) if self.note_buffer is not None else -1
        super().flush()
        if len(self.out.paragraphs) > paragraphs:
            self.streams.append(stream)
        elif self.note_buffer is not None and len(self.note_buffer) > notes:
            self.note_parts.append(stream)

    def _close(self, tag, role):
        notes = len(self.out.notes)
        super()._close(tag, role)
        if len(self.out.notes) > notes:
            self.note_streams.append([char for part in self.note_parts for char in part])
        if self.note_buffer is None:
            self.note_parts = []

    def _chars(self, piece: _Piece) -> list[Char]:
        """The piece's characters with their [start, end) in the markup (entities decoded as HTMLParser did)."""
        spans: list[tuple[int, int]] = []
        at, markup = piece.raw, self.markup
        while len(spans) < len(piece) and at < len(markup):
            match = ENTITY.match(markup, at) if markup[at] == "&" else None
            end = match.end() if match else at + 1
            spans += [(at, end)] * (len(html.unescape(match.group())) if match else 1)
            at = end
        if len(spans) < len(piece):  # not what HTMLParser saw: one character for one
            spans = [(min(piece.raw + i, len(markup)), min(piece.raw + i + 1, len(markup))) for i in range(len(piece))]
        return [Char(fold(ch), start, end, piece.element) for ch, (start, end) in zip(piece, spans)]


def trace(markup: str, code: bool = True) -> Traced:
    """Given a document's markup, return what the reader sees of it, tied to the markup.

    code=False: `pre` is not read (rendered markdown: its code blocks are not spoken).
    """
    out = XhtmlText()
    tracer = _Tracer(out, markup)
    if not code:
        tracer.skipped_tags = tracer.skipped_tags | {"pre"}
    tracer.feed(markup)
    tracer.close()
    notes = [(note, chars) for note, chars in zip(out.notes, tracer.note_streams) if key(note)]
    return Traced(markup, tracer.elements, out.paragraphs + [note for note, _ in notes],
                  tracer.streams + [chars for _, chars in notes])


# ----------------------------------------------------------------------------- the clean text, placed


@dataclass
class Placement:
    """Where each character of the clean text stands in the documents: `where[i]` indexes `chars`, or -1."""

    chars: list[tuple[int, Char]] = field(default_factory=list)
    """(document index, character), every document's in order."""
    where: array = field(default_factory=lambda: array("l"))
    alnum: array = field(default_factory=lambda: array("l", [0]))
    """alnum[k]: how many of chars[:k] are letters or digits."""


def place(clean: str, documents: list[Traced]) -> Placement:
    """Line the clean text's paragraphs up with the documents' paragraphs, and each character with its own."""
    placement = Placement(where=array("l", [-1]) * len(clean))
    starts: list[int] = []  # where each reader paragraph's characters start in placement.chars
    keys: list[str] = []
    for number, document in enumerate(documents):
        for paragraph, chars in zip(document.paragraphs, document.chars):
            starts.append(len(placement.chars))
            keys.append(key(paragraph))
            placement.chars += [(number, char) for char in chars]
    starts.append(len(placement.chars))
    for _, char in placement.chars:
        placement.alnum.append(placement.alnum[-1] + char.folded.isalnum())
    offsets, at = [], 0
    paragraphs = clean.split("\n\n")
    for paragraph in paragraphs:
        offsets.append(at)
        at += len(paragraph) + 2
    matcher = SequenceMatcher(None, [key(p) for p in paragraphs], keys, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("equal", "replace"):
            at = starts[j1]
            for index in range(i1, i2):
                at = _greedy(paragraphs[index], offsets[index], placement, at, starts[j2])
    return placement


def _greedy(text: str, offset: int, placement: Placement, at: int, end: int) -> int:
    """Tie each character of text to the next equal one in chars[at:end], looking a short way ahead; a letter
    only where the letters after it agree too (the "1" of a list's "1." is not the one of "180" further on)."""
    chars, where = placement.chars, placement.where
    for index, ch in enumerate(text):
        if ch.isspace():
            continue
        folded = fold(ch)
        alnum = ch.isalnum()
        window = WINDOW if alnum else 3  # punctuation may be the reader's own (", " between cells)
        for k in range(at, min(at + window, end)):
            if chars[k][1].folded == folded and (not alnum or _agree(text, index, chars, k, end)):
                where[offset + index], at = k, k + 1
                break
    return at


def _agree(text: str, index: int, chars: list[tuple[int, Char]], k: int, end: int, count: int = 2) -> bool:
    """Whether the next `count` letters or digits after text[index] follow chars[k] too."""
    wanted = [fold(ch) for ch in text[index + 1:index + 24] if ch.isalnum()][:count]
    found: list[str] = []
    for step in range(k + 1, min(k + 24, end)):
        if len(found) == len(wanted):
            break
        if chars[step][1].folded.isalnum():
            found.append(chars[step][1].folded)
    return found == wanted


def locate(placement: Placement, clean: str, start: int, end: int) -> tuple[int, int, int, int] | None:
    """Given a sentence's [start, end) in the clean text, return (document, markup start, markup end, element
    of its first character), or None when it cannot be found well enough."""
    found = [k for k in placement.where[start:end] if k >= 0]
    if not found:
        return None
    document = placement.chars[found[0]][0]
    found = [k for k in found if placement.chars[k][0] == document]
    first, last = found[0], found[-1]
    letters = sum(ch.isalnum() for ch in clean[start:end])
    matched = sum(placement.chars[k][1].folded.isalnum() for k in found)
    spanned = placement.alnum[last + 1] - placement.alnum[first]
    if matched < letters * 0.8 or spanned > letters * 1.25 + 8:
        return None  # not this sentence's text: better no highlight than a wrong one
    return document, placement.chars[first][1].start, placement.chars[last][1].end, placement.chars[first][1].element


# ----------------------------------------------------------------------------- the markup, marked


def annotate(traced: Traced, ranges: list[tuple[str, int, int, int]]) -> tuple[str, dict[str, str]]:
    """Given a document and (sentence id, markup start, markup end, element) for its sentences, return the
    markup with a span (or a block id) for each, and each sentence id's fragment id."""
    elements = traced.elements
    tags = sorted([(e.start, n) for n, e in enumerate(elements)]
                  + [(e.close_start, n) for n, e in enumerate(elements) if e.close_start != e.start])
    positions = [position for position, _ in tags]
    taken = {e.id for e in elements if e.id}

    def widen(a: int, b: int) -> tuple[int, int] | None:
        """The range grown over the inline elements it cuts through; None when it would hold or cut a block."""
        while True:
            for _, n in tags[bisect.bisect_left(positions, a):bisect.bisect_left(positions, b)]:
                element = elements[n]
                if element.tag not in INLINE:
                    return None
                if not (a <= element.start and element.close_end <= b):
                    a, b = min(a, element.start), max(b, element.close_end)
                    break
            else:
                return a, b

    def block(n: int, b: int) -> int:
        while n >= 0 and (elements[n].tag in INLINE or elements[n].close_start < b):
            n = elements[n].parent
        return n

    def new_id(base: str) -> str:
        name, number = base, 1
        while name in taken:
            number += 1
            name = f"{base}-{number}"
        taken.add(name)
        return name

    groups: list[list] = []  # [a, b, sentence ids, first element]
    blocks: dict[int, list[str]] = {}
    for sentence, a, b, element in sorted(ranges, key=lambda r: r[1]):
        groups.append([a, b, [sentence], element])
        while True:
            last = groups[-1]
            widened = widen(last[0], last[1])
            if widened is None:
                groups.pop()
                n = block(last[3], last[1])
                if n >= 0:
                    blocks.setdefault(n, []).extend(last[2])
                break
            last[0], last[1] = widened
            if len(groups) > 1 and groups[-2][1] > last[0]:  # grown into its neighbour: one span for both
                before = groups[-2]
                groups[-2:] = [[before[0], max(before[1], last[1]), before[2] + last[2], before[3]]]
                continue
            break
    fragments: dict[str, str] = {}
    edits: list[tuple[int, int, str]] = []
    for a, b, sentences, _ in groups:
        name = new_id(f"ra-{sentences[0]}")
        edits += [(a, 1, f'<span id="{name}">'), (b, 0, "</span>")]
        fragments.update(dict.fromkeys(sentences, name))
    for n, sentences in blocks.items():
        element = elements[n]
        name = element.id
        if not name:
            name = new_id(f"ra-b{n}")
            at = element.start + 1
            edits.append((at + len(TAG_NAME.match(traced.markup, at).group()), 2, f' id="{name}"'))
        fragments.update(dict.fromkeys(sentences, name))
    return apply(traced.markup, edits), fragments


def apply(markup: str, edits: list[tuple[int, int, str]]) -> str:
    """Insert each (offset, order, text); at one offset, lower orders first (a span closes before the next opens)."""
    parts, at = [], 0
    for offset, _, text in sorted(edits):
        parts += [markup[at:offset], text]
        at = offset
    return "".join(parts) + markup[at:]


def link_stylesheet(markup: str, href: str) -> str | None:
    """The markup with a link to the stylesheet before `</head>`; None when it has no head."""
    match = None
    for match in HEAD_END.finditer(markup):
        pass
    if match is None:
        return None
    link = f'<link rel="stylesheet" type="text/css" href="{html.escape(href)}"/>'
    return markup[:match.start()] + link + markup[match.start():]
