"""A FictionBook 2 book (.fb2, or zipped: .fb2.zip, .fbz) in, its parts out (parts.py). Standard library only.

- The main `<body>`'s `<section>`s are the chapters, nested sections one level deeper; a section's
  `<title>` is its heading (its lines joined), the body's own title a heading above them all. The
  chapters are picked from the levels as markdown's are (parts.py `chapter_marks`).
- `<p>`, `<subtitle>`, `<epigraph>` and `<cite>` (with their `<text-author>`), a section's
  `<annotation>` are paragraphs; a `<poem>`'s `<stanza>` is one paragraph, a `<v>` a line, as verse
  is in plain text; a `<table>` is read row by row, cells joined by ", ".
- Note links (`<a l:href="#n1" type="note">`) are not read; the note they point at, from the notes
  body (`<body name="notes">` or `"comments"`), is read at the end of the chapter that first refers
  to it, the notes no link refers to at the end of the book.
- Not read: images, `<empty-line>`, the `<description>` (but see metadata), `<binary>` data.
- Metadata from `<description><title-info>`: `<book-title>`, each `<author>` (first, middle and
  last name, else the nickname), `<lang>`, and the cover (`<coverpage><image l:href="#id">`, the
  `<binary>` of that id, base64) as an EPUB's cover is.
XML that does not parse, a zip without an .fb2 in it, or a book without text raises BookError.
"""

from __future__ import annotations

import base64
import binascii
import re
import zipfile
from io import BytesIO
from typing import Any
from xml.etree import ElementTree

from .parts import BookError, BookParts, from_blocks

MAX_BYTES = 64 * 1024 * 1024
"""The .fb2 inside a zip unpacks to no more than this (a zip bomb is refused)."""
NOTE_BODIES = ("notes", "comments", "footnotes")
SHORT_MARKER = re.compile(r"^\W{0,2}(?:\d{1,3}|[ivxlc]{1,5}|[a-z]|[*\u2020\u2021\u00a7]{1,3})\W{0,2}$", re.I)
BLOCK_TEXT = ("p", "subtitle", "text-author", "date", "v")
SKIPPED = ("image", "empty-line", "binary")


def local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def href(element: ElementTree.Element) -> str:
    return next((value for key, value in element.attrib.items() if local(key) == "href"), "")


def unzip(data: bytes) -> bytes:
    """The .fb2 inside a zipped FB2 book."""
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            names = [info for info in archive.infolist() if info.filename.lower().endswith(".fb2")]
            if not names:
                raise BookError("the zip holds no .fb2 file; unpack it and drop in the book itself")
            with archive.open(names[0]) as entry:
                inner = entry.read(MAX_BYTES + 1)
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError) as exc:
        raise BookError(f"not a zipped FB2 book: the file is not a readable zip archive ({exc})") from None
    if len(inner) > MAX_BYTES:
        raise BookError(f"the FB2 unpacks to more than {MAX_BYTES // 2**20} MiB (a zip bomb, or not a book): refused")
    return inner


def read_fb2(data: bytes) -> BookParts:
    """Given an FB2 book's bytes (or a zip holding one), return its parts; raise BookError when unusable."""
    if data.startswith(b"PK\x03\x04"):
        data = unzip(data)
    try:
        root = ElementTree.fromstring(data)
    except (ElementTree.ParseError, LookupError) as exc:
        raise BookError(f"not an FB2 book: its XML does not parse ({exc}); re-download or re-export it") from None
    if local(root.tag) != "FictionBook":
        raise BookError(f"not an FB2 book: its root element is <{local(root.tag)}>, not <FictionBook>")
    bodies = [child for child in root if local(child.tag) == "body"]
    main = [body for body in bodies if (body.get("name") or "").lower() not in NOTE_BODIES] or bodies[:1]
    walker = Walker()
    try:
        for note_body in bodies:
            if note_body not in main:
                walker.collect_notes(note_body)
        for body in main:
            walker.section(body, 0)
    except RecursionError:  # nesting no book has (sections, emphasis, epigraphs some thousand deep)
        raise BookError("the FB2 book nests its elements too deep to be read (some thousand levels: damaged, or not "
                        "a book); re-export it from the program that made it") from None
    headings = [lvl for lvl, _ in walker.blocks if lvl]
    shift = min(headings) - 1 if headings else 0
    blocks = [(lvl - shift if lvl else 0, text) for lvl, text in walker.blocks]
    referred = {key for keys in walker.refs.values() for key in keys}
    by_block: dict[int, list[str]] = {}
    seen: set[str] = set()
    for position, keys in sorted(walker.refs.items()):
        by_block[position] = [walker.notes[key] for key in keys if key in walker.notes and key not in seen]
        seen.update(keys)
    left = [text for key, text in walker.notes.items() if key not in referred]
    book = from_blocks(blocks, metadata_of(root), by_block, left)
    if not book.paragraphs:
        raise BookError("the FB2 book's body holds no text; nothing to read")
    return book


class Walker:
    """The main body's blocks, in reading order, and the notes they refer to."""

    def __init__(self) -> None:
        self.blocks: list[tuple[int, str]] = []
        self.refs: dict[int, list[str]] = {}
        self.notes: dict[str, str] = {}

    def section(self, element: ElementTree.Element, depth: int) -> None:
        """A body (depth 0) or a section: its title a heading of level depth + 1, then its content."""
        for child in element:
            tag = local(child.tag)
            if tag == "title":
                lines = self.lines(child)
                if lines:
                    self.add(depth + 1, ". ".join(line.rstrip(".") if not line.endswith(("!", "?", "...")) else line
                                                  for line in lines), [])
            elif tag == "section":
                self.section(child, depth + 1)
            else:
                self.block(child)

    def block(self, element: ElementTree.Element) -> None:
        tag = local(element.tag)
        if tag in SKIPPED:
            return
        if tag == "stanza":
            refs: list[str] = []
            lines = [text for v in element if local(v.tag) in ("v", "title") for text in [self.inline(v, refs)] if text]
            self.add(0, "\n".join(lines), refs)
            for child in element:
                if local(child.tag) not in ("v", "title"):
                    self.block(child)
        elif tag in BLOCK_TEXT:
            refs = []
            self.add(0, self.inline(element, refs), refs)
        elif tag == "table":
            for row in element.iter():
                if local(row.tag) == "tr":
                    refs = []
                    cells = [self.inline(cell, refs) for cell in row if local(cell.tag) in ("td", "th")]
                    self.add(0, ", ".join(cell for cell in cells if cell), refs)
        else:  # epigraph, cite, poem, annotation, title inside a poem: their blocks in order
            for child in element:
                self.block(child)

    def lines(self, title: ElementTree.Element) -> list[str]:
        refs: list[str] = []
        return [text for p in title if local(p.tag) == "p" for text in [self.inline(p, refs)] if text]

    def add(self, level: int, text: str, refs: list[str]) -> None:
        if refs:
            self.refs.setdefault(len(self.blocks), []).extend(refs)
        if text:
            self.blocks.append((level, text))

    def inline(self, element: ElementTree.Element, refs: list[str]) -> str:
        """An element's text, note links left out (their targets put in refs), spaces collapsed."""
        out: list[str] = []

        def walk(node: ElementTree.Element) -> None:
            out.append(node.text or "")
            for child in node:
                tag = local(child.tag)
                target = href(child).partition("#")[2] if tag == "a" else ""
                text = "".join(child.itertext())
                if tag == "a" and target and (child.get("type") == "note" or SHORT_MARKER.match(text.strip())):
                    refs.append(target)
                elif tag not in SKIPPED:
                    walk(child)
                out.append(child.tail or "")

        walk(element)
        return " ".join("".join(out).split())

    def collect_notes(self, body: ElementTree.Element) -> None:
        """The notes of a notes body by id: each section's text, its title left out when it is only a number."""
        for section in body.iter():
            if local(section.tag) != "section" or not section.get("id"):
                continue
            note = Walker()
            for child in section:
                if local(child.tag) == "title":
                    title = " ".join(note.lines(child))
                    if title and not SHORT_MARKER.match(title):
                        note.add(0, title, [])
                elif local(child.tag) != "section":
                    note.block(child)
            text = "\n".join(text for _, text in note.blocks)
            if text:
                self.notes[section.get("id", "")] = text


def metadata_of(root: ElementTree.Element) -> dict[str, Any]:
    """Title, authors, language and cover from `<description><title-info>`."""
    info = next((e for e in root.iter() if local(e.tag) == "title-info"), None)
    metadata: dict[str, Any] = {"title": None, "authors": [], "language": None, "cover": None}
    if info is None:
        return metadata

    def text(element: ElementTree.Element | None) -> str:
        return " ".join("".join(element.itertext()).split()) if element is not None else ""

    def child(element: ElementTree.Element, name: str) -> ElementTree.Element | None:
        return next((e for e in element if local(e.tag) == name), None)

    metadata["title"] = text(child(info, "book-title")) or None
    metadata["language"] = text(child(info, "lang")) or None
    for author in (e for e in info if local(e.tag) == "author"):
        parts = (text(child(author, part)) for part in ("first-name", "middle-name", "last-name"))
        name = " ".join(part for part in parts if part)
        if name := name or text(child(author, "nickname")):
            metadata["authors"].append(name)
    coverpage = child(info, "coverpage")
    image = next((e for e in coverpage if local(e.tag) == "image"), None) if coverpage is not None else None
    target = href(image).partition("#")[2] if image is not None else ""
    binary = next((e for e in root if local(e.tag) == "binary" and e.get("id") == target), None) if target else None
    if binary is not None:
        try:
            data = base64.b64decode("".join((binary.text or "").split()), validate=True)
        except (binascii.Error, ValueError):
            data = b""
        kind = binary.get("content-type") or ""
        if data and kind.startswith("image/"):
            metadata["cover"] = {"media_type": kind, "data": data}
    return metadata
