"""What a binary file is, by its first bytes: so that a PDF named `.txt` is refused by name, not read as cp1252.

`sniff(data)` returns (what it is, the suffix it should have, or None) for the binary formats a book may come
in (PDF, EPUB, DOCX, ODT, old Word files, RTF, Kindle and Palm books, LIT, LRF, DjVu, archives and
images), else None. reader.py's plain-text path refuses such bytes with a TextError naming both.
"""

from __future__ import annotations

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
"""An OLE compound file: an old Word .doc, or an encrypted (password-protected) .docx."""
STARTS = (
    (b"%PDF-", "a PDF document", ".pdf"),
    (OLE, "an old Word document (.doc) or a password-protected .docx; save it as .docx without a password", None),
    (b"{\\rtf", "an RTF document", ".rtf"),
    (b"ITOLITLS", "a Microsoft Reader book", ".lit"),
    (b"L\x00R\x00F\x00\x00\x00", "a Sony reader book", ".lrf"),
    (b"\xeaDRMION\xee", "a DRM-protected Kindle book (KFX); remove the protection with the tool you bought it "
     "with, then convert it to EPUB", None),
    (b"AT&TFORM", "a DjVu document (scanned pages); convert it to text or EPUB first", None),
    (b"Rar!\x1a\x07", "a RAR archive; unpack it first", None),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive; unpack it first", None),
    (b"\x1f\x8b", "a gzip archive; unpack it first", None),
    (b"\x89PNG", "a PNG image, not a book", None),
    (b"\xff\xd8\xff", "a JPEG image, not a book", None),
    (b"GIF8", "a GIF image, not a book", None),
)
PALM = {b"BOOKMOBI": ("a Kindle (MOBI/AZW) book", ".mobi"), b"TEXtREAd": ("a Palm (PalmDOC) book", ".pdb")}
"""The type and creator at offset 60 of a Palm database."""


def sniff(data: bytes) -> tuple[str, str | None] | None:
    """Given a file's bytes, return (what it is, the suffix it should have, or None when no reader takes it)
    when they are a known binary format."""
    for magic, kind, suffix in STARTS:
        if data.startswith(magic):
            return kind, suffix
    if data[60:68] in PALM:
        return PALM[data[60:68]]
    if data.startswith(b"PK\x03\x04"):
        return zip_kind(data)
    return None


def zip_kind(data: bytes) -> tuple[str, str | None]:
    """What a zip archive holds, by its first entry's name and content (EPUB and ODT put their mimetype first)."""
    head = data[:4096]
    if b"mimetypeapplication/epub+zip" in head:
        return "an EPUB book", ".epub"
    if b"mimetypeapplication/vnd.oasis.opendocument.text" in head:
        return "an OpenDocument text", ".odt"
    if b"word/" in data[:65536] or b"[Content_Types].xml" in head:
        return "a Word document", ".docx"
    if b".fb2" in head:
        return "a zipped FB2 book", ".fb2.zip"
    return "a zip archive; unpack it first", None
