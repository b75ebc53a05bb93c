"""(X)HTML markup in, the paragraphs a reader sees out: for EPUB documents and markdown's raw HTML.

`read_xhtml(markup)` walks the markup with the standard library's `html.parser` (tolerant
of the broken markup real books carry, no dependency) and returns an `XhtmlText`:
- Block elements (`p`, `div`, `h1`..`h6`, `li`, `blockquote`, `dt`, `dd`, `tr`, `pre`,
  `figcaption`, sections...) end a paragraph; `br` is a line break inside one; table cells
  are joined by ", ", one row per paragraph; `pre` keeps its lines. A stanza (an element
  typed `z3998:verse`/`poem`/`stanza`, or of class `linegroup`, `stanza`, `poem`, `verse`)
  is one paragraph, its blocks its lines, as verse is in plain text.
- Not read: `head` (the document's title is metadata), `script`, `style`, `template`,
  `svg`, `math`, images (their alt text describes a picture), page-break markers
  (`epub:type="pagebreak"`, `role="doc-pagebreak"`), and footnote markers
  (`epub:type="noteref"`, `role="doc-noteref"`, or a link of at most four characters such
  as `1`, `*`, `[2]`, `iv` to a `#fragment`), so that no number is read mid-sentence;
  line and page numbers set in the margin (class `lnum`, `linenum`, `pagenum`...).
- Note bodies (`aside`/elements typed `footnote`, `endnote`, `rearnote`, `note`, or the
  matching `doc-*` roles) outside a notes section are moved to the end of the document:
  they are read, after the chapter's text, never in the middle of it. Notes inside a notes
  section (`endnotes`, `rearnotes`, `footnotes`) are read where they stand.
- Elements typed `cover`, `titlepage`, `halftitlepage`, `copyright-page`, `toc`, `landmarks`,
  `loi`, `lot` (front matter a listener does not need), `colophon` and `imprint` (back matter
  of the same kind) are skipped; `skipped` names them.
- `ids` maps each element id to the index of the first paragraph at or after it (how a
  table of contents' `file.xhtml#id` finds its paragraph); `heading_levels` maps the index
  of each paragraph that came from `h1`..`h6` to its level.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser

BLOCKS = frozenset(
    "p div h1 h2 h3 h4 h5 h6 li ul ol dl dt dd blockquote tr table thead tbody tfoot pre figure figcaption "
    "section article aside header footer nav main address hr body html caption center hgroup details summary "
    "fieldset form legend".split())
SKIPPED_TAGS = frozenset("head script style template svg math noscript object iframe audio video title".split())
VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
SKIPPED_TYPES = frozenset("cover titlepage halftitlepage copyright-page toc landmarks loi lot page-list "
                          "colophon imprint".split())
"""Front and back matter a listener does not need."""
NOTE_TYPES = frozenset("footnote endnote rearnote note doc-footnote doc-endnote".split())
NOTES_TYPES = frozenset("footnotes endnotes rearnotes doc-endnotes doc-footnotes".split())
MARKER_TYPES = frozenset("noteref doc-noteref pagebreak doc-pagebreak".split())
SHORT_MARKER = re.compile(r"^\W{0,2}(?:\d{1,3}|[ivxlc]{1,5}|[a-z]|[*\u2020\u2021\u00a7]{1,3})\W{0,2}$", re.I)
NUMBER_CLASS = re.compile(r"(?:^|\s)(?:l(?:ine)?-?nu?m(?:ber)?|page-?nu?m(?:ber)?|pageno)(?:\s|$)", re.I)
"""Classes of line and page numbers set in the margin (`<span class="lnum">10</span>`): not read."""
VERSE_TYPES = frozenset("z3998:verse z3998:poem z3998:stanza z3998:song".split())
VERSE_CLASS = re.compile(r"(?:^|\s)(?:linegroup|line-group|stanza|poem|verse|lg)(?:\s|$)", re.I)
"""A stanza set as one element per line (`<div class="linegroup"><div>line</div>...`): one paragraph."""
EMPTY_CELLS = re.compile(r",(?:\s*,)+")
"""Empty table cells leave commas with nothing between them."""
SPOKEN = re.compile(r"[^\W_]")


@dataclass
class XhtmlText:
    """What a reader sees of one (X)HTML document."""

    paragraphs: list[str] = field(default_factory=list)
    ids: dict[str, int] = field(default_factory=dict)
    heading_levels: dict[int, int] = field(default_factory=dict)
    """Paragraph index -> heading level (1..6) for paragraphs that came from h1..h6."""
    notes: list[str] = field(default_factory=list)
    """Note bodies moved out of the text, to be read after it."""
    skipped: list[str] = field(default_factory=list)
    """The epub:type of each skipped front-matter element (cover, titlepage, toc...)."""
    link_paragraphs: int = 0
    """Paragraphs whose text is all link text: many of them make a table of contents page."""


def types_of(attrs: dict[str, str | None]) -> set[str]:
    """The semantic types an element declares: its epub:type words and its role."""
    return set((attrs.get("epub:type") or "").lower().split()) | set((attrs.get("role") or "").lower().split())


class XhtmlReader(HTMLParser):
    """One pass over the markup: a stack of open elements, the paragraph being built."""

    def __init__(self, out: XhtmlText):
        super().__init__(convert_charrefs=True)
        self.out = out
        self.stack: list[tuple[str, str]] = []  # (tag, role): role is "", "skip", "note", "notes", "marker"
        self.open = Counter()  # tags and roles on the stack, counted: asking the stack itself cost O(depth)
        self.buffer: list[str] = []
        self.note_buffer: list[str] | None = None
        self.pending_ids: list[str] = []
        self.heading = 0
        self.pre = 0
        self.cells = 0
        self.marker_start = 0
        self.skipped_tags = SKIPPED_TAGS
        self.link_chars = 0  # characters of the paragraph being built that are link text

    # --------------------------------------------------------------- state
    def hidden(self) -> bool:
        return self.open["role:skip"] + self.open["role:marker"] > 0

    def in_notes(self) -> bool:
        return self.open["role:notes"] > 0

    def flush(self) -> None:
        """End the paragraph being built: keep it when it has a letter or a digit."""
        raw = "".join(self.buffer)
        self.buffer.clear()
        link_chars, self.link_chars = self.link_chars, 0
        lines = [EMPTY_CELLS.sub(",", " ".join(line.split())).lstrip(", ") for line in raw.split("\n")]
        text = "\n".join(line for line in lines if line)
        if not SPOKEN.search(text):
            return
        if self.note_buffer is not None:
            self.note_buffer.append(text)
            return
        index = len(self.out.paragraphs)
        for anchor in self.pending_ids:
            self.out.ids.setdefault(anchor, index)
        self.pending_ids.clear()
        if self.heading:
            self.out.heading_levels[index] = self.heading
        if link_chars >= len("".join(text.split())) * 0.9:
            self.out.link_paragraphs += 1
        self.out.paragraphs.append(text)

    def end_block(self, verse_itself: bool) -> None:
        """A block starts or ends: inside verse a line ends, elsewhere a paragraph."""
        if not verse_itself and self.open["role:verse"]:
            self.buffer.append("\n")
        else:
            self.flush()

    # --------------------------------------------------------------- events
    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = dict(attrs_list)
        if tag in VOID:
            if tag == "br" and not self.hidden():
                self.buffer.append("\n")
            elif tag == "hr":
                self.flush()
            return
        types = types_of(attrs)
        role = ""
        if tag in self.skipped_tags or types & SKIPPED_TYPES:
            role = "skip"
            if types & SKIPPED_TYPES and not self.hidden():
                self.out.skipped.append(sorted(types & SKIPPED_TYPES)[0])
        elif types & MARKER_TYPES or NUMBER_CLASS.search(attrs.get("class") or ""):
            role = "marker"
        elif tag == "a" and (attrs.get("href") or "").partition("#")[2]:
            role = "marker?"  # decided at the end tag, by the link's text
        elif types & NOTES_TYPES:
            role = "notes"
        elif types & NOTE_TYPES or (tag == "aside" and "footnote" in (attrs.get("class") or "")):
            role = "note"
        elif types & VERSE_TYPES or VERSE_CLASS.search(attrs.get("class") or ""):
            role = "verse"
        if tag in BLOCKS:
            self.end_block(role == "verse")
        if not self.hidden() and attrs.get("id"):
            self.pending_ids.append(attrs["id"])
        if role == "note" and not self.in_notes() and self.note_buffer is None and not self.hidden():
            self.note_buffer = []
        if re.fullmatch(r"h[1-6]", tag):
            self.heading = int(tag[1])
        if tag == "pre":
            self.pre += 1
        if tag in ("td", "th"):
            if self.cells and not self.hidden():
                self.buffer.append(", ")
            self.cells += 1
        if tag == "tr":
            self.cells = 0
        self._push(tag, role)
        if role == "marker?":
            self.marker_start = len(self.buffer)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID or not self.open[tag]:
            return  # a stray end tag: ignored, as browsers do
        while self.stack:
            open_tag, role = self._pop()
            self._close(open_tag, role)
            if open_tag == tag:
                break

    def _close(self, tag: str, role: str) -> None:
        if role == "marker?":
            text = "".join(self.buffer[self.marker_start:])
            if SHORT_MARKER.match(text.strip()) and not text[:1].isspace():
                del self.buffer[self.marker_start:]  # a footnote number, not words
        if tag in BLOCKS:
            self.end_block(role == "verse")
        if re.fullmatch(r"h[1-6]", tag):
            self.heading = 0
        if tag == "pre":
            self.pre -= 1
        if role == "note" and self.note_buffer is not None and not self.open["role:note"]:
            self.flush()
            if self.note_buffer:
                self.out.notes.append("\n".join(self.note_buffer))
            self.note_buffer = None

    def handle_data(self, data: str) -> None:
        if not self.hidden():
            self.buffer.append(data if self.pre else data.replace("\n", " "))
            if self.open["a"]:
                self.link_chars += len("".join(data.split()))

    def close(self) -> None:
        super().close()
        while self.stack:
            self._close(*self._pop())
        self.flush()

    def _push(self, tag: str, role: str) -> None:
        self.stack.append((tag, role))
        self.open.update((tag, f"role:{role}"))

    def _pop(self) -> tuple[str, str]:
        tag, role = self.stack.pop()
        self.open.subtract((tag, f"role:{role}"))
        return tag, role


def read_xhtml(markup: str, code: bool = True) -> XhtmlText:
    """Given (X)HTML markup, return what a reader sees of it, as paragraphs (see the module docstring).

    With code=False, `pre` is not read (markdown's raw HTML: code blocks are skipped there).
    """
    out = XhtmlText()
    reader = XhtmlReader(out)
    if not code:
        reader.skipped_tags = SKIPPED_TAGS | {"pre"}
    reader.feed(markup)
    reader.close()
    notes = [note for note in out.notes if SPOKEN.search(note)]
    out.notes = notes
    return out


def html_text(markup: str, code: bool = True) -> str:
    """Given an HTML fragment, return its visible text: paragraphs joined by a blank line."""
    out = read_xhtml(markup, code)
    return "\n\n".join(out.paragraphs + out.notes)
