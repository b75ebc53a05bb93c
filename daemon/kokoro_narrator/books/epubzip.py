"""An EPUB's zip: bounded reads, XML, paths and encodings (used by epub.py).

`BookZip(data)` opens the book; every entry is read through `BookZip.read`, which stops at
`MAX_ENTRY_BYTES` whatever the zip's header claims (a zip bomb), and at `MAX_BOOK_BYTES` for
the whole book. Each bad case raises `EpubError`, whose message says what is wrong and what
to do.
"""

from __future__ import annotations

import codecs
import posixpath
import re
import zipfile
from io import BytesIO
from urllib.parse import unquote
from xml.etree import ElementTree

from .parts import BookError

MAX_ENTRY_BYTES = 64 * 1024 * 1024
"""No single file of a book decompresses to more than this: a larger one is a zip bomb."""
MAX_BOOK_BYTES = 512 * 1024 * 1024
"""All entries read from one book together."""
NS = {"c": "urn:oasis:names:tc:opendocument:xmlns:container", "opf": "http://www.idpf.org/2007/opf",
      "dc": "http://purl.org/dc/elements/1.1/", "ncx": "http://www.daisy.org/z3986/2005/ncx/",
      "enc": "http://www.w3.org/2001/04/xmlenc#"}
XML_ENCODING = re.compile(rb"^<\?xml[^>]*encoding=[\"']([A-Za-z0-9._-]+)[\"']")


class EpubError(BookError):
    """An EPUB that cannot be read; reader.py turns it into a TextError."""


class BookZip:
    """The book's zip, every read bounded."""

    def __init__(self, data: bytes):
        try:
            self.zip = zipfile.ZipFile(BytesIO(data))
        except (zipfile.BadZipFile, OSError) as exc:
            raise EpubError(f"not an EPUB: the file is not a zip archive ({exc}); re-download or re-export "
                            "the book") from None
        self.names = set(self.zip.namelist())
        self.total = 0

    def read(self, name: str) -> bytes:
        """Given an entry's name, return its bytes; raise EpubError when missing or too large."""
        if name not in self.names:
            raise EpubError(f"the EPUB has no {name!r}, which it names; the file is damaged, re-download it")
        limit = min(MAX_ENTRY_BYTES, MAX_BOOK_BYTES - self.total) + 1
        try:
            with self.zip.open(name) as entry:
                data = entry.read(limit)
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError) as exc:
            raise EpubError(f"cannot unpack {name!r} from the EPUB ({exc}); the file is damaged or "
                            "encrypted, re-download it") from None
        if len(data) >= limit:
            raise EpubError(f"{name!r} unpacks to more than {MAX_ENTRY_BYTES // 2**20} MiB (a zip bomb, or not "
                            "a book): refused")
        self.total += len(data)
        return data

    def xml(self, name: str) -> ElementTree.Element:
        try:
            return ElementTree.fromstring(self.read(name))
        except ElementTree.ParseError as exc:
            raise EpubError(f"{name!r} in the EPUB is not well-formed XML ({exc}); the file is damaged") from None


def markup_text(data: bytes) -> str:
    """Given an XML or XHTML file's bytes, return its text: by its byte order mark, else the encoding its
    XML declaration names, else UTF-8 (a byte that is not valid becomes U+FFFD)."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(encoding, "replace")
    declared = XML_ENCODING.match(data)
    encoding = declared.group(1).decode("ascii") if declared else "utf-8"
    try:
        return data.decode(encoding, "replace")
    except (LookupError, UnicodeError):  # an encoding Python does not know, or one that cannot replace (idna)
        return data.decode("utf-8", "replace")


def resolve(base: str, href: str) -> tuple[str, str]:
    """Given the path of the document an href is in, return (zip path, fragment) of its target."""
    path, _, fragment = unquote(href).partition("#")
    if not path:
        return base, fragment
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), path)), fragment


def package_path(book: BookZip) -> str:
    container = book.xml("META-INF/container.xml")
    rootfile = container.find(".//c:rootfile", NS)
    if rootfile is None or not rootfile.get("full-path"):
        raise EpubError("the EPUB's container.xml names no package document (OPF); the file is damaged")
    return rootfile.get("full-path", "")


def manifest_of(opf: ElementTree.Element, opf_path: str) -> dict[str, dict[str, str]]:
    """The OPF's manifest: item id -> {"path" in the zip, media "type", "props"}."""
    return {item.get("id", ""): {"path": resolve(opf_path, item.get("href", ""))[0],
                                 "type": item.get("media-type", ""), "props": item.get("properties", "")}
            for item in opf.iterfind(".//opf:manifest/opf:item", NS)}
