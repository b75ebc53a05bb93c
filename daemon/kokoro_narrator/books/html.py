"""One HTML or XHTML file (.html, .htm, .xhtml) in, its parts out (parts.py): a web page or a saved book.

- Decoded by its byte order mark, else the charset its `<meta charset>` (or `http-equiv`
  Content-Type) or XML declaration names, else UTF-8, else cp1252 with a warning.
- The text is xhtml.py's, as for an EPUB's documents: paragraphs, lists, tables row by row (cells
  joined by ", "), verse, `pre`; no `head`, scripts, styles, images, note markers or page numbers;
  note bodies are read at the end of the book; front matter typed cover, title page, toc... is
  skipped, with a warning.
- `h1`..`h6` are headings of their level; the chapters are picked as markdown's are (the
  shallowest level used at least twice, and every level above it: parts.py `chapter_marks`).
- A Project Gutenberg file is read between its `*** START OF` and `*** END OF` lines, as plain
  text is.
- Metadata: `<title>` (or `<meta name="dc.title">`), `<meta name="author">` (or `dc.creator`),
  and the language of `<html lang>` (or `xml:lang`, `<meta name="dc.language">`); else a
  Project Gutenberg header's `Title:` and `Author:` lines.
"""

from __future__ import annotations

import codecs
import re
from html.parser import HTMLParser
from typing import Any

from .magic import sniff
from .metadata import gutenberg_metadata
from .parts import BookError, BookParts, from_blocks
from .xhtml import read_xhtml

CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
GUTENBERG = re.compile(r"^\*{3}\s*(START|END) OF (?:THE|THIS) PROJECT GUTENBERG", re.I)
BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def decode_html(data: bytes) -> tuple[str, str, list[str]]:
    """Given an HTML file's bytes, return (text, encoding, warnings)."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            return data.decode(encoding, "replace"), encoding, []
    head = data[:4096]
    found = XML_ENCODING.match(head) or CHARSET.search(head)
    if found:
        encoding = found.group(1).decode("ascii").lower()
        if encoding.startswith(("utf-16", "utf-32")):
            encoding = "utf-8"  # bytes readable as ASCII are not UTF-16, whatever the page says (as browsers do)
        try:
            text = data.decode(encoding, "replace")
        except (LookupError, UnicodeError):  # unknown to Python, or unable to replace (idna): as if none were named
            found = None
        else:
            return text, encoding, [f"bytes that are not valid {encoding} were replaced"] if "\ufffd" in text else []
    try:
        return data.decode("utf-8"), "utf-8", []
    except UnicodeDecodeError as exc:
        return data.decode("cp1252", "replace"), "cp1252", [f"not valid UTF-8 (first bad byte at offset "
                                                            f"{exc.start}) and no charset named; decoded as cp1252"]


class Head(HTMLParser):
    """The page's title, meta names and language."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title: list[str] = []
        self.in_title = False
        self.meta: dict[str, str] = {}
        self.lang: str | None = None

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = {key.lower(): value or "" for key, value in attrs_list}
        if tag == "html":
            self.lang = attrs.get("lang") or attrs.get("xml:lang") or None
        elif tag == "title" and not self.title:
            self.in_title = True
        elif tag == "meta" and attrs.get("content"):
            name = (attrs.get("name") or attrs.get("property") or attrs.get("http-equiv") or "").lower()
            self.meta.setdefault(name, " ".join(attrs["content"].split()))

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title.append(data)


def metadata_of(markup: str) -> dict[str, Any]:
    head = Head()
    end = markup.lower().find("</head>")
    head.feed(markup[:end] if end >= 0 else markup)
    meta = head.meta
    title = " ".join("".join(head.title).split()) or meta.get("dc.title") or meta.get("og:title") or None
    author = meta.get("author") or meta.get("dc.creator") or meta.get("dcterms.creator")
    language = head.lang or meta.get("dc.language") or meta.get("content-language") or None
    return {"title": title, "authors": [author] if author else [], "language": language}


def read_html(data: bytes) -> BookParts:
    """Given an HTML or XHTML file's bytes, return its parts; raise BookError when it holds no text."""
    if kind := sniff(data):  # a PDF or an EPUB named .html: not read as markup, its bytes as words
        what, suffix = kind
        rename = f": name it *{suffix} to read it as one" if suffix else ""
        raise BookError(f"not HTML: the file is {what}{rename}")
    markup, encoding, warnings = decode_html(data)
    page = read_xhtml(markup)
    paragraphs = page.paragraphs
    metadata = metadata_of(markup)
    marks = [(index, found.group(1).upper()) for index, p in enumerate(paragraphs) if (found := GUTENBERG.match(p))]
    start = next((index for index, kind in marks if kind == "START"), None)
    end = next((index for index, kind in marks if kind == "END" and start is not None and index > start), None)
    first = 0
    if start is not None and end is not None:
        header = gutenberg_metadata("\n".join(paragraphs[:start]))
        metadata = {key: metadata[key] or header[key] for key in metadata}
        first, paragraphs = start + 1, paragraphs[start + 1:end]
    blocks = [(page.heading_levels.get(first + index, 0), paragraph) for index, paragraph in enumerate(paragraphs)]
    warnings += [f"not read: the {kind}" for kind in page.skipped]
    book = from_blocks(blocks, metadata, None, page.notes, warnings)
    if not book.paragraphs:
        raise BookError("the HTML file holds no text (only markup, scripts or images); nothing to read")
    book.encoding = encoding
    return book
