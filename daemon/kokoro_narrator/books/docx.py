"""A Word document (.docx) in, its parts out (parts.py): paragraphs in order, headings by style, notes, metadata.

Read with python-docx (MIT) for the package, the styles and the core properties; the body is walked
element by element, in document order, so that tables, content controls and tracked insertions
are read where they stand:
- A paragraph styled `Heading 1`..`Heading 9` (or a style based on one, or one with an outline
  level) is a heading of that level; `Title` is a heading above them all. The chapters are picked
  from the levels as markdown's are (parts.py `chapter_marks`).
- List items (numbered paragraphs) are one paragraph, one item a line; bullets and numbers, which
  Word draws and does not store, are not read.
- Tables are read row by row, each row's cells joined by ", " (merged cells once).
- A soft line break keeps its line (verse); a page break does not.
- Footnote and endnote markers are not read; each note is read at the end of the chapter that
  refers to it (`word/footnotes.xml`, `word/endnotes.xml`, read through the package part: python-docx
  has no API for them).
- Not read: deleted text of tracked changes, field codes, text boxes and shapes, images, comments,
  headers and footers, and Word's table of contents (named in a warning).
- Metadata: the core properties' title (else the first `Title` paragraph), author (names split at
  ";") and language.
A file that is not a zip, an encrypted one (an OLE compound file) or one that is not a Word
document raises BookError.
"""

from __future__ import annotations

import re
import zipfile
from io import BytesIO
from typing import Any
from xml.etree import ElementTree

from .magic import OLE
from .parts import BookError, BookParts, from_blocks

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
SKIPPED = {f"{W}delText", f"{W}instrText", f"{W}txbxContent", f"{W}pict", f"{W}drawing", f"{W}object",
           "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback",
           "{http://schemas.openxmlformats.org/markup-compatibility/2006}AlternateContent"}
"""Subtrees of a paragraph that are not its text (deleted text, field codes, text boxes, drawings)."""
HEADING = re.compile(r"heading\s*(\d)$", re.I)
MAX_BYTES = 512 * 1024 * 1024
"""All the parts of one document together, unpacked: more is a zip bomb."""
MAX_XML_BYTES = 64 * 1024 * 1024
"""One XML part unpacked (an EPUB's limit for one file): python-docx parses each whole, at some 30 times its size
in memory, so a larger document.xml of small paragraphs would take the daemon's memory (300 MB: over 4 GiB)."""


def read_docx(data: bytes) -> BookParts:
    """Given a .docx file's bytes, return its parts; raise BookError when it cannot be read."""
    if data.startswith(OLE):
        raise BookError("the Word document is encrypted (password-protected) or an old .doc saved as .docx: "
                        "open it in Word or LibreOffice and save it as .docx without a password")
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            size = sum(info.file_size for info in archive.infolist())
            xml = max(((info.file_size, info.filename) for info in archive.infolist()
                       if info.filename.lower().endswith((".xml", ".rels"))), default=(0, ""))
    except (zipfile.BadZipFile, OSError) as exc:
        raise BookError(f"not a Word document: the file is not a zip archive ({exc}); re-save it as .docx") from None
    if xml[0] > MAX_XML_BYTES:
        raise BookError(f"the Word document's {xml[1]} unpacks to more than {MAX_XML_BYTES // 2**20} MiB (a zip bomb, "
                        "or not a book): refused; split the book into smaller documents")
    if size > MAX_BYTES:
        raise BookError(f"the Word document unpacks to more than {MAX_BYTES // 2**20} MiB (a zip bomb, or not a "
                        "book): refused")
    import docx  # python-docx: imported here, so that a daemon that reads no DOCX never loads it

    try:
        document = docx.Document(BytesIO(data))
    except Exception as exc:  # python-docx raises KeyError, ValueError, its own errors for a bad package
        if type(exc).__name__ == "XMLSyntaxError":  # lxml's, which python-docx parses with
            raise BookError(f"the Word document's XML cannot be read ({exc}): damaged, nested more than 256 deep, or "
                            "an entity bomb; open it in Word or LibreOffice and save it again as .docx") from None
        raise BookError(f"not a Word document ({type(exc).__name__}: {exc}); re-save it as .docx") from None
    return Reader(document).read()


class Reader:
    """One walk over the document's body."""

    def __init__(self, document: Any):
        self.document = document
        self.levels: dict[str | None, int] = {}  # style id -> heading level (0 for Title, -1 for none)
        self.styles = {style.style_id: style for style in document.styles}
        self.blocks: list[tuple[int, str]] = []
        self.refs: dict[int, list[str]] = {}  # block -> note keys ("footnote:3")
        self.warnings: list[str] = []
        self.title: str | None = None
        self.list_lines: list[str] = []

    def read(self) -> BookParts:
        self.walk(self.document.element.body)
        self.end_list()
        notes = notes_of(self.document, self.warnings)
        by_block = {position: [notes[key] for key in keys if key in notes] for position, keys in self.refs.items()}
        referred = {key for keys in self.refs.values() for key in keys}
        left = [text for key, text in notes.items() if key not in referred]
        headings = [lvl for lvl, _ in self.blocks if lvl]
        shift = min(headings) - 1 if headings else 0  # Title is 0: the levels start at 1
        blocks = [(lvl - shift if lvl else 0, text) for lvl, text in self.blocks]
        props = self.document.core_properties
        authors = [name.strip() for name in (props.author or "").split(";") if name.strip()]
        metadata = {"title": (props.title or "").strip() or self.title, "authors": authors,
                    "language": (props.language or "").strip() or None}
        book = from_blocks(blocks, metadata, by_block, left, self.warnings)
        if not book.paragraphs:
            raise BookError("the Word document holds no text (only images, or nothing); nothing to read")
        return book

    def walk(self, parent: Any) -> None:
        for element in parent:
            if element.tag == f"{W}p":
                self.paragraph(element)
            elif element.tag == f"{W}tbl":
                self.end_list()
                self.table(element)
            elif element.tag == f"{W}sdt":
                gallery = element.find(f"{W}sdtPr/{W}docPartObj/{W}docPartGallery")
                if gallery is not None and "contents" in (gallery.get(f"{W}val") or "").lower():
                    if "not read: the table of contents" not in self.warnings:
                        self.warnings.append("not read: the table of contents")
                    continue
                content = element.find(f"{W}sdtContent")
                if content is not None:
                    self.walk(content)

    def paragraph(self, element: Any) -> None:
        style = element.find(f"{W}pPr/{W}pStyle")
        style_id = style.get(f"{W}val") if style is not None else None
        level = self.level(style_id, element)
        text, refs = text_of(element)
        if level == -2:
            return  # a line of an old-style table of contents
        listed = element.find(f"{W}pPr/{W}numPr") is not None or self.style_name(style_id).lower().startswith("list")
        if listed and level < 0:
            if text.strip():
                self.list_lines.append(text)
            self.note_refs(refs, len(self.blocks))
            return
        self.end_list()
        if level == 0 and self.title is None and text.strip():
            self.title = " ".join(text.split())
        self.note_refs(refs, len(self.blocks))
        self.blocks.append((level + 1 if level >= 0 else 0, text))  # +1: Title's 0 is a heading too

    def end_list(self) -> None:
        if self.list_lines:
            self.blocks.append((0, "\n".join(self.list_lines)))
            self.list_lines = []

    def note_refs(self, refs: list[str], position: int) -> None:
        if refs:
            self.refs.setdefault(position, []).extend(refs)

    def table(self, element: Any) -> None:
        for row in element.iter(f"{W}tr"):
            cells = []
            for cell in row.findall(f"{W}tc"):
                texts = [text_of(p) for p in cell.iter(f"{W}p")]
                for _, refs in texts:
                    self.note_refs(refs, len(self.blocks))
                cells.append(" ".join(" ".join(text.split()) for text, _ in texts).strip())
            self.blocks.append((0, ", ".join(cell for cell in cells if cell)))

    def style_name(self, style_id: str | None) -> str:
        style = self.styles.get(style_id)
        return style.name or "" if style is not None else ""

    def level(self, style_id: str | None, element: Any) -> int:
        """0 for Title, n for Heading n, -1 for a paragraph, -2 for a table of contents line."""
        own = element.find(f"{W}pPr/{W}outlineLvl")
        if own is not None and (own.get(f"{W}val") or "").isdigit() and int(own.get(f"{W}val")) < 9:
            return int(own.get(f"{W}val")) + 1
        if style_id not in self.levels:
            self.levels[style_id] = self.style_level(style_id)
        return self.levels[style_id]

    def style_level(self, style_id: str | None) -> int:
        style = self.styles.get(style_id)
        for _ in range(8):  # a style based on a heading style is a heading
            if style is None:
                break
            name = (style.name or "").strip()
            if (found := HEADING.match(name)) and found.group(1) != "0":
                return int(found.group(1))
            if name.lower() == "title":
                return 0
            if re.match(r"toc\s*\d", name, re.I) or name.lower() == "toc heading":
                if "not read: the table of contents" not in self.warnings:
                    self.warnings.append("not read: the table of contents")
                return -2
            outline = style.element.find(f"{W}pPr/{W}outlineLvl")
            if outline is not None and (outline.get(f"{W}val") or "").isdigit() and int(outline.get(f"{W}val")) < 9:
                return int(outline.get(f"{W}val")) + 1
            style = style.base_style
        return -1


def text_of(element: Any) -> tuple[str, list[str]]:
    """A paragraph's text (soft breaks as new lines, spaces collapsed in each line) and the notes it refers to."""
    out: list[str] = []
    refs: list[str] = []

    def walk(node: Any) -> None:
        for child in node:
            tag = child.tag
            if tag in SKIPPED:
                continue
            if tag == f"{W}t":
                out.append(child.text or "")
            elif tag in (f"{W}tab", f"{W}ptab"):
                out.append(" ")
            elif tag == f"{W}br":
                out.append(" " if child.get(f"{W}type") in ("page", "column") else "\n")
            elif tag == f"{W}cr":
                out.append("\n")
            elif tag == f"{W}noBreakHyphen":
                out.append("-")
            elif tag in (f"{W}footnoteReference", f"{W}endnoteReference"):
                refs.append(f"{tag[len(W):-len('Reference')]}:{child.get(f'{W}id')}")
            else:
                walk(child)

    walk(element)
    lines = (" ".join(line.split()) for line in "".join(out).split("\n"))
    return "\n".join(line for line in lines if line), refs


def notes_of(document: Any, warnings: list[str]) -> dict[str, str]:
    """Every footnote and endnote's text by its key ("footnote:3"), separators left out; a notes part that cannot be
    read (bad XML, an entity bomb, nesting deeper than Python's recursion) is named in warnings, the book read
    without it."""
    notes: dict[str, str] = {}
    for rel in document.part.rels.values():
        kind = rel.reltype.rsplit("/", 1)[-1]
        if kind not in ("footnotes", "endnotes") or rel.is_external:
            continue
        found: dict[str, str] = {}
        try:
            for note in ElementTree.fromstring(rel.target_part.blob):
                if note.get(f"{W}type") in ("separator", "continuationSeparator", "continuationNotice"):
                    continue
                text = "\n".join(t for t, _ in (text_of(p) for p in note.iter(f"{W}p")) if t)
                if text:
                    found[f"{kind[:-1]}:{note.get(f'{W}id')}"] = text
        except (ElementTree.ParseError, RecursionError) as exc:
            problem = "nests too deep" if isinstance(exc, RecursionError) else f"is not well-formed XML: {exc}"
            warnings.append(f"not read: the {kind} (the document's {kind} part {problem})")
            continue
        notes.update(found)
    return notes
