"""Small PDFs written by hand, for test_pdf.py: lines of Helvetica at given places, an outline, metadata, a
scanned page (a picture, no text), an encrypted trailer.

`pdf(pages, ...)`: each page is a list of `(x, y, text)`, `(x, y, text, size)` or `(x, y, text, size,
measure)` lines (PDF points, y up from the bottom of an A4 page; a measure spreads the words to that
width). In a line's text `{^1}` is a raised, smaller note marker.
"""

from __future__ import annotations

import re

WIDTH, HEIGHT = 595, 842
MARKER = re.compile(r"\{\^([^}]*)\}")
IMAGE = b"<< /Type /XObject /Subtype /Image /Width 2 /Height 2 /ColorSpace /DeviceGray /BitsPerComponent 8 " \
        b"/Length 4 >>\nstream\n\x00\xff\xff\x00\nendstream"


def escape(text: str) -> bytes:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("cp1252")


def line_operators(line: tuple) -> bytes:
    """One line as a text object: its runs, the markers raised and smaller."""
    x, y, text, size, measure = (*line, *(11, None)[len(line) - 3:])
    spread = (measure - width(text, size)) / max(1, MARKER.sub("", text).count(" ")) if measure else 0
    out = [f"BT /F1 {size} Tf {spread:.3f} Tw {x} {y} Td ".encode()]
    for number, part in enumerate(MARKER.split(text)):
        if number % 2:
            out.append(f"/F1 {size * 0.6:.1f} Tf {size * 0.4:.1f} Ts (".encode() + escape(part)
                       + f") Tj /F1 {size} Tf 0 Ts ".encode())
        elif part:
            out.append(b"(" + escape(part) + b") Tj ")
    return b"".join(out) + b"ET\n"


def pdf(pages: list[list[tuple]], outline: list[tuple[str, int, float, int]] = (), info: dict[str, str] | None = None,
        lang: str | None = None, scanned: set[int] = frozenset(), encrypted: bool = False) -> bytes:
    """A PDF of the pages; outline: (label, page index, height, level from 1); scanned: pages that show a picture."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")
    tree = add(b"")
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    image = add(IMAGE)
    kids = []
    for number, lines in enumerate(pages):
        content = b"".join(line_operators(line) for line in lines)
        if number in scanned:
            content += b"q 500 0 0 700 40 70 cm /Im1 Do Q\n"
        stream = add(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
        kids.append(add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %d %d] /Contents %d 0 R /Resources << "
                        b"/Font << /F1 %d 0 R >> /XObject << /Im1 %d 0 R >> >> >>"
                        % (tree, WIDTH, HEIGHT, stream, font, image)))
    objects[tree - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % kid for kid in kids), len(kids))
    extra = b""
    if outline:
        extra += b" /Outlines %d 0 R /PageMode /UseOutlines" % outline_objects(outline, kids, add, objects)
    if lang:
        extra += b" /Lang (" + escape(lang) + b")"
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R%s >>" % (tree, extra)
    trailer = b"/Root %d 0 R" % catalog
    if info:
        fields = b" ".join(b"/" + key.encode() + b" (" + escape(value) + b")" for key, value in info.items())
        trailer += b" /Info %d 0 R" % add(b"<< " + fields + b" >>")
    if encrypted:  # the standard handler with a user password: the empty one does not open it
        trailer += b" /Encrypt %d 0 R /ID [<%s> <%s>]" % (add(
            b"<< /Filter /Standard /V 1 /R 2 /O <" + b"ab" * 32 + b"> /U <" + b"cd" * 32 + b"> /P -4 >>"),
            b"01" * 16, b"01" * 16)
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d %s >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, trailer, xref)
    return bytes(out)


def outline_objects(entries: list[tuple[str, int, float, int]], kids: list[int], add, objects: list[bytes]) -> int:
    """The outline dictionary and its items (nested by level); returns the outline's object number."""
    root = add(b"")
    numbers = [add(b"") for _ in entries]
    parents, children = [], {root: []}
    for number, (_, _, _, level) in zip(numbers, entries):
        del parents[level - 1:]
        parent = parents[-1] if parents else root
        children[parent].append(number)
        children[number] = []
        parents.append(number)
    parent_of = {kid: parent for parent, kids_ in children.items() for kid in kids_}
    for number, (label, page, height, _) in zip(numbers, entries):
        siblings = children[parent_of[number]]
        at = siblings.index(number)
        links = b"".join([b" /Prev %d 0 R" % siblings[at - 1] if at else b"",
                          b" /Next %d 0 R" % siblings[at + 1] if at + 1 < len(siblings) else b"",
                          b" /First %d 0 R /Last %d 0 R /Count %d" % (children[number][0], children[number][-1],
                                                                      len(children[number])) if children[number]
                          else b""])
        objects[number - 1] = (b"<< /Title (" + escape(label) + b") /Parent %d 0 R /Dest [%d 0 R /XYZ 0 %s 0]%s >>"
                               % (parent_of[number], kids[page], str(height).encode(), links))
    objects[root - 1] = b"<< /Type /Outlines /First %d 0 R /Last %d 0 R /Count %d >>" % (
        children[root][0], children[root][-1], len(entries))
    return root


HELVETICA = dict(zip(
    " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~",
    (278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, *[556] * 10, 278, 278, 584, 584,
     584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667,
     611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222,
     222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584)))
"""Helvetica's advance widths (its AFM), in thousandths of the font size."""


def width(text: str, size: float = 11) -> float:
    return sum(HELVETICA.get(char, 556) for char in MARKER.sub("", text)) * size / 1000


def wrap(paragraph: str, measure: float, size: float = 11, indent: float = 0) -> list[str]:
    """A paragraph's lines, each as full as the measure allows (the first one indented)."""
    lines, line = [], ""
    for word in paragraph.split():
        room = measure - (indent if not lines else 0)
        if line and width(f"{line} {word}", size) > room:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return lines + [line] if line else lines


def typeset(paragraphs: list[str | tuple[str, float]], x: float = 72, measure: float = 450, top: float = 760,
            bottom: float = 90, size: float = 11, leading: float = 14, indent: float = 18) -> list[list[tuple]]:
    """Paragraphs set on pages as a word processor would: full lines, each paragraph's first line indented,
    a new page when the bottom is reached. A (text, size) paragraph is a heading: its own size, not
    indented, a blank line before and after it."""
    pages: list[list[tuple]] = [[]]
    y = top
    for paragraph in paragraphs:
        heading = isinstance(paragraph, tuple)
        text, font = paragraph if heading else (paragraph, size)
        if heading and pages[-1]:
            y -= leading
        for number, line in enumerate(wrap(text, measure, font, 0 if heading else indent)):
            if y < bottom:
                pages.append([])
                y = top
            pages[-1].append((x + (indent if number == 0 and not heading else 0), y, line, font))
            y -= leading * font / size
        if heading:
            y -= leading
    return pages
