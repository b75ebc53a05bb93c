"""PDF bytes in, the book's paragraphs, chapters and metadata out, through pypdfium2 (PDFium's text layer).

PDFium is Chrome's PDF engine; pypdfium2 binds it under Apache-2.0/BSD-3 (PyMuPDF would be AGPL). A PDF
holds no paragraphs, only glyphs placed on pages, so the book is rebuilt from where they stand:

1. Characters (`page_lines`): each character's text, left and right edges, baseline and font size, in
   the page's content order. A line is the run of characters on one baseline (a raised or lowered
   smaller character stays in its line); a jump back to the left or a wide gap starts a new line.
   Superscript digits and note symbols inside a line (smaller, raised) are note markers: not read.
   Ligatures (ﬁ, ﬂ...) are spelled out.
2. Layout (pdflayout.py): running headers and footers and page numbers are dropped, footnote bodies
   are read after their paragraph, columns are read left then right, lines are joined into
   paragraphs and words hyphenated at a line's end rejoined.
3. Chapters come from the outline (bookmarks): each entry's page and height point at the paragraph
   that starts there, its label is the chapter's title, its depth the level. Without an outline
   `headings` stays empty and the chunker finds headings in the text, as for plain text.
4. Metadata: the document information's Title and Author (authors split at ";" and "&"), the
   catalogue's /Lang.

A PDF without a text layer (scanned pages: images and no characters) is refused: there is no OCR.
Pages without text amid pages with text are named in a warning. Broken, password-protected and
otherwise encrypted PDFs are refused with a `BookError` that says so.
"""

from __future__ import annotations

import ctypes
import re
from statistics import median

import pypdfium2 as pdfium
import pypdfium2.raw as raw

from .parts import BookError, BookParts, empty_metadata
from .pdflayout import Line, Paragraph, lay_out

LIGATURES = str.maketrans({"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
                           "\ufb05": "st", "\ufb06": "st"})
NOTE_MARKS = set("0123456789*\u2020\u2021\u00a7\u00b6\u00b9\u00b2\u00b3\u2070\u2074\u2075\u2076\u2077\u2078\u2079")
"""What a raised small character must be to count as a note marker (digits, *, daggers, section, pilcrow)."""
PDFIUM_HYPHEN = 0x02
"""PDFium reports a hyphen it sees at a line's end as this character."""
WIDE_GAP = 1.5
"""A gap wider than this many font sizes between two characters on one baseline separates two lines (columns
written side by side, a header's left and right parts)."""
AUTHOR_SPLIT = re.compile(r"\s*[;&]\s*")
WORD = re.compile(r"[^\W_]+")


def read_pdf(data: bytes) -> BookParts:
    """Given a PDF's bytes, return its paragraphs, outline chapters and metadata; raise BookError when unreadable."""
    document = open_pdf(data)
    try:
        pages, sizes, pictures = [], [], []
        for index in range(len(document)):
            page = document[index]
            try:
                text_page = page.get_textpage()
                try:
                    pages.append(page_lines(text_page))
                finally:
                    text_page.close()
                sizes.append(page.get_size())
                pictures.append(not pages[-1] and holds_images(page))
            finally:
                page.close()
        metadata = metadata_of(document)
        outline = outline_of(document)
    finally:
        document.close()
    warnings = text_layer_warnings(pages, pictures)
    paragraphs, more = lay_out(pages, [width for width, _ in sizes])
    book = BookParts([p.text for p in paragraphs], [], metadata, warnings=warnings + more)
    chapters(book, paragraphs, outline)
    return book


def open_pdf(data: bytes) -> pdfium.PdfDocument:
    """The document, or a BookError saying why it cannot be opened."""
    if b"%PDF-" not in data[:1024]:
        raise BookError("not a PDF: the file does not start with %PDF-; re-download or re-export the book")
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        if code == raw.FPDF_ERR_PASSWORD:
            raise BookError("the PDF is password-protected: open it with its password and save a copy without "
                            "one, then drop that in") from None
        if code == raw.FPDF_ERR_SECURITY:
            raise BookError("the PDF is encrypted with a protection kokoro-narrator cannot open (DRM?): remove "
                            "it with the tool you got the book with, then drop it in again") from None
        if code == raw.FPDF_ERR_SUCCESS:
            raise BookError("the PDF has no pages: nothing to read") from None
        raise BookError(f"the PDF is damaged and cannot be read ({exc}); re-download or re-export it") from None


def page_lines(text_page: pdfium.PdfTextPage) -> list[Line]:
    """The page's lines in content order, each from the characters on one baseline (note markers left out)."""
    count = text_page.count_chars()
    x, y = ctypes.c_double(), ctypes.c_double()
    left, right, bottom, top = ctypes.c_double(), ctypes.c_double(), ctypes.c_double(), ctypes.c_double()
    lines, chars = [], []  # chars: (text, x0, x1, baseline, size) of the line being read
    ref = None  # the line's largest character so far: its body type, not a raised marker
    for index in range(count):
        code = raw.FPDFText_GetUnicode(text_page, index)
        char = "-" if code == PDFIUM_HYPHEN else chr(code) if code else ""
        if char in "\r\n" or not char:
            continue  # PDFium's own line breaks: lines are found by their baselines below
        if char.isspace():
            if chars and chars[-1][0] != " ":
                chars.append((" ", chars[-1][2], chars[-1][2], chars[-1][3], chars[-1][4]))
            continue  # a space has no reliable box, generated or not
        size = raw.FPDFText_GetFontSize(text_page, index)
        raw.FPDFText_GetCharOrigin(text_page, index, x, y)
        raw.FPDFText_GetCharBox(text_page, index, left, right, bottom, top)
        x0, x1 = min(x.value, left.value), max(right.value, x.value)
        if chars and not same_line(chars[-1], ref, x0, y.value, size):
            lines.append(make_line(chars))
            chars, ref = [], None
        chars.append((char, x0, x1, y.value, size))
        if ref is None or size > ref[4]:
            ref = chars[-1]
    if chars:
        lines.append(make_line(chars))
    return [line for line in lines if line.text]


def same_line(last: tuple[str, float, float, float, float], ref: tuple[str, float, float, float, float], x0: float,
              base: float, size: float) -> bool:
    """Whether a character continues a line, given its last character and its largest (its body type, not a raised
    marker; kept as the line grows, so that a line of 100,000 characters is not searched for each): near its
    baseline, not back to the left, no wide gap."""
    big = max(ref[4], size)
    if abs(base - ref[3]) > 0.5 * big:
        return False
    return last[2] - big < x0 < last[2] + WIDE_GAP * big


def make_line(chars: list[tuple[str, float, float, float, float]]) -> Line:
    """A line from its characters: its body size and baseline, note markers out, its first word's width."""
    sizes = sorted(c[4] for c in chars if c[0] != " ")
    size = sizes[len(sizes) // 2] if sizes else 0
    base = median([c[3] for c in chars if c[0] != " " and c[4] >= 0.9 * size] or [chars[0][3]])
    kept, marker = [], False
    for position, char in enumerate(chars):
        raised = char[4] < 0.85 * size and char[3] > base + 0.15 * size
        if raised and char[0] in NOTE_MARKS:
            marker = marker or not any(c[0] != " " for c in kept)  # a note's own body starts with its marker
            continue
        kept.append(char)
    while kept and kept[-1][0] == " ":
        kept.pop()
    while kept and kept[0][0] == " ":
        kept.pop(0)
    if not kept:
        return Line("", chars[0][1], chars[-1][2], base, size)
    text = "".join(c[0] for c in kept).translate(LIGATURES)
    space = next((i for i, c in enumerate(kept) if c[0] == " "), len(kept))
    return Line(text, min(c[1] for c in kept), max(c[2] for c in kept), base, size,
                first_word=kept[space - 1][2] - kept[0][1], marker=marker)


def holds_images(page: pdfium.PdfPage) -> bool:
    """Whether a page shows a picture (a scan), nested in form objects or not."""
    return any(obj.type == raw.FPDF_PAGEOBJ_IMAGE for obj in page.get_objects(max_depth=4))


def text_layer_warnings(pages: list[list[Line]], pictures: list[bool]) -> list[str]:
    """Refuse a PDF without text; name the pages that are pictures without text."""
    if not any(pages):
        if any(pictures):
            raise BookError("this PDF has no text layer (a scan?); kokoro-narrator does not do OCR: run it through "
                            "OCR first (ocrmypdf, for one) or find an EPUB or text edition")
        raise BookError("this PDF holds no text: nothing to read")
    scanned = [str(number + 1) for number, flag in enumerate(pictures) if flag]
    if not scanned:
        return []
    shown = ", ".join(scanned[:20]) + (f" and {len(scanned) - 20} more" if len(scanned) > 20 else "")
    return [f"not read: page{'s' if len(scanned) > 1 else ''} {shown}, a picture without a text layer "
            "(scanned? no OCR is done)"]


def metadata_of(document: pdfium.PdfDocument) -> dict:
    """Title, authors and language from the document information and the catalogue."""
    info = document.get_metadata_dict(skip_empty=True)
    title = " ".join(info.get("Title", "").split()) or None
    authors = [a for a in AUTHOR_SPLIT.split(" ".join(info.get("Author", "").split())) if a]
    return {**empty_metadata(), "title": title, "authors": authors, "language": language_of(document)}


def language_of(document: pdfium.PdfDocument) -> str | None:
    """The catalogue's /Lang (`en-US`), if any."""
    length = raw.FPDFCatalog_GetLanguage(document, None, 0)
    if length <= 2:
        return None
    buffer = (ctypes.c_ushort * (length // 2))()
    raw.FPDFCatalog_GetLanguage(document, buffer, length)
    return bytes(buffer)[:length - 2].decode("utf-16-le", errors="ignore").strip() or None


def outline_of(document: pdfium.PdfDocument) -> list[tuple[str, int, float | None, int]]:
    """(label, page index, height on the page or None, level from 1) of each bookmark that points at a page."""
    entries = []
    for bookmark in document.get_toc(max_depth=8):
        dest = bookmark.get_dest()
        page = dest.get_index() if dest is not None else None
        label = " ".join((bookmark.get_title() or "").split())
        if page is None or not label:
            continue  # an action (a link to the web) or an empty label: nowhere to put a chapter
        mode, view = dest.get_view()
        height = view[1] if mode == raw.PDFDEST_VIEW_XYZ and len(view) > 1 and view[1] else None
        entries.append((label, page, height, bookmark.level + 1))
    return entries


def chapters(book: BookParts, paragraphs: list[Paragraph], outline: list[tuple[str, int, float | None, int]]) -> None:
    """Each outline entry's heading: on its page, the paragraph that says its label (a destination may point a
    little below the heading), else the first paragraph that starts at or after its place; two entries at one
    paragraph (a part and its first chapter) make one chapter titled by both."""
    found: dict[int, tuple[list[str], int]] = {}
    start, missed = 0, []
    for label, page, height, level in outline:
        at = heading_of(paragraphs, start, label, page, height)
        if at is None:
            missed.append(label)
            continue
        labels, lowest = found.setdefault(at, ([], level))
        labels.append(label)
        found[at] = (labels, min(lowest, level))
        start = at
    for at in sorted(found):
        labels, level = found[at]
        book.headings.append(book.paragraphs[at])
        book.titles.append(": ".join(labels))
        book.levels.append(level)
    if missed:
        book.warnings.append(f"outline entries past the book's text, not chapters: {', '.join(missed[:10])}")


def heading_of(paragraphs: list[Paragraph], start: int, label: str, page: int, height: float | None) -> int | None:
    """The index of the paragraph an outline entry points at, from start on."""
    said = WORD.findall(label.lower())
    for index in range(start, len(paragraphs)):
        if paragraphs[index].page > page:
            break
        words = WORD.findall(paragraphs[index].text.lower())
        if paragraphs[index].page == page and words and (words == said[:len(words)] or said == words[:len(said)]):
            return index
    return next((i for i in range(start, len(paragraphs)) if paragraphs[i].page > page or (
        paragraphs[i].page == page and (height is None or paragraphs[i].base <= height + paragraphs[i].size))), None)
