"""EPUB bytes in, the book's text, chapter headings and metadata out (EPUB 2 and EPUB 3).

`read_epub(data)` reads the zip with the standard `zipfile` and `xml.etree`:
1. `META-INF/container.xml` names the package document (OPF). DRM refuses the book: an
   `encryption.xml` that encrypts anything but fonts (font obfuscation is not DRM), or an
   Adobe `rights.xml`.
2. The OPF gives the metadata (`dc:title`, every `dc:creator`, `dc:language`, the cover
   image: `properties="cover-image"` in EPUB 3, `<meta name="cover">` in EPUB 2), the PLS
   lexicons (`application/pls+xml`) and the spine: the reading order. Spine items with
   `linear="no"` are left out, as are the navigation document itself and documents that a
   landmark or guide reference names as the cover, title page or half-title, copyright page,
   table of contents or list of illustrations or tables, or, at the back, the colophon or
   imprint, or whose body is typed so (xhtml.py skips such parts inside a document too).
   A document so named that holds over 5,000 characters of prose is read all the same, with a
   warning: a book converted from one long file names that file as its contents or title page.
   Where nothing marks them: a document most of whose paragraphs are links (a contents
   page), one that only holds a licence, and a short one whose file name says cover, title
   page, copyright or colophon.
   Each skipped part is named in a warning: nothing is left out silently.
3. Each spine document's text comes from xhtml.py, in document order; its note bodies are
   read after its text.
4. Chapters come from the table of contents: the EPUB 3 navigation document
   (`<nav epub:type="toc">`), else the EPUB 2 NCX. Each entry `file.xhtml#id` points at a
   paragraph; that paragraph is the chapter's heading, the entry's label its title (two
   entries at one place, a part and its first chapter, make one chapter titled by both). When
   that paragraph holds no letters (a page number or an ornament the entry points just above,
   as in a book Calibre converted from MOBI) and one of the next few, in that document or the
   next, says the label or its first line, that one is the heading. A
   spine document no entry points
   into gets its own first heading (`h1`..`h3` at its top) as its title, or joins the
   chapter before it.

Every entry is read through epubzip.py's bounded reads (a zip bomb is refused). Each bad
case raises `EpubError` (reader.py makes it a `TextError`) with what is wrong and what to do:
not a zip, no container, no OPF, no spine, DRM, an entry too large, no text.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote
from xml.etree import ElementTree

from .epubnav import landmarks, table_of_contents
from .epubzip import BookZip, EpubError, manifest_of, markup_text, NS, package_path
from .parts import BookParts
from .xhtml import read_xhtml, XhtmlText

log = logging.getLogger(__name__)

FONT_TYPES = ("font/", "application/vnd.ms-opentype", "application/font-", "application/x-font")
FONT_SUFFIXES = (".ttf", ".otf", ".woff", ".woff2")
"""Documents the guide or landmarks name so are front matter, not read (unless `holds_a_chapter`)."""
MARKED_FRONT_MATTER_CHARS = 5000
PAGE_NUMBER_END = re.compile(r"(?:\s|\.)(?:\d{1,4}|[ivxlc]{1,7})\s*$", re.I)
"""A contents line's end: its page number ("... 7", "Preface . . . xi")."""
TOC_LINKS = 3
LABEL_LOOKAHEAD = 4
"""A TOC entry pointing at a paragraph without letters: so many paragraphs from it are searched for its label."""
WORDS = re.compile(r"\w+")
LETTER = re.compile(r"[^\W\d_]")
TOC_SHARE = 0.6
"""A document with this many paragraphs, and this share of them, all links is a contents page."""
FRONT_MATTER_NAMES = (("a cover page", ("cover",), 300), ("a title page", ("titlepage", "title_page", "title-page",
                      "halftitle"), 600), ("a copyright page", ("copyright", "imprint", "legal"), 3000),
                      ("a colophon", ("colophon",), 3000))
"""(what, file-name words, at most so many characters): front or back matter known by its file name alone."""
LICENCE = re.compile(r"licen[cs]e|copyright|creative\s+commons|public\s+domain|project\s+gutenberg"
                     r"|all\s+rights\s+reserved", re.I)
LICENCE_CHARS = 40000
"""A document up to this long, most of whose paragraphs name a licence or a copyright, only holds a licence
(Project Gutenberg's runs to about 19,000 characters)."""


def refuse_drm(book: BookZip, manifest: dict[str, dict[str, str]]) -> None:
    """Raise EpubError when the book's content is encrypted (fonts alone may be obfuscated)."""
    drm = "DRM-protected: remove the protection with the tool you bought it with, then drop it in again"
    if "META-INF/rights.xml" in book.names:
        raise EpubError(f"{drm} (META-INF/rights.xml)")
    if "META-INF/encryption.xml" not in book.names:
        return
    fonts = {item["path"] for item in manifest.values() if item["type"].startswith(FONT_TYPES)}
    root = book.xml("META-INF/encryption.xml")
    for reference in root.iter(f"{{{NS['enc']}}}CipherReference"):
        uri = unquote(reference.get("URI", ""))
        if uri not in fonts and not uri.lower().endswith(FONT_SUFFIXES):
            raise EpubError(f"{drm} ({uri} is encrypted)")


def metadata_of(opf: ElementTree.Element) -> dict[str, Any]:
    def texts(tag: str) -> list[str]:
        return [" ".join("".join(e.itertext()).split()) for e in opf.iterfind(f".//dc:{tag}", NS)]

    titles, language = texts("title"), texts("language")
    return {"title": titles[0] if titles else None, "authors": [a for a in texts("creator") if a],
            "language": language[0] if language else None}


def read_epub(data: bytes) -> BookParts:
    """Given an EPUB's bytes, return its text, chapter headings and metadata; raise EpubError when unusable."""
    book = BookZip(data)
    opf_path = package_path(book)
    opf = book.xml(opf_path)
    manifest = manifest_of(opf, opf_path)
    refuse_drm(book, manifest)
    spine = opf.find(".//opf:spine", NS)
    if spine is None or not len(spine):
        raise EpubError("the EPUB has no reading order (its spine is missing or empty); nothing to read")
    result = BookParts([], [], metadata_of(opf))
    result.metadata["cover"] = cover_of(book, opf, manifest)
    result.lexicons = [(Path(i["path"]).name, markup_text(book.read(i["path"])))
                       for i in manifest.values() if i["type"] == "application/pls+xml"]
    toc, nav_path = table_of_contents(book, opf_path, opf, manifest, spine)
    skipped = landmarks(book, opf_path, opf, nav_path)
    starts: dict[str, int] = {}
    documents: dict[str, XhtmlText] = {}
    read: list[tuple[str, XhtmlText]] = []
    for ref in spine:
        item = manifest.get(ref.get("idref", ""))
        if item is None or "html" not in item["type"]:
            continue
        if ref.get("linear", "yes") == "no":
            result.warnings.append(f"not read: {item['path']} (linear=\"no\": outside the reading order)")
            continue
        if item["path"] == nav_path:
            result.warnings.append(f"not read: {item['path']} (toc)")
            continue
        landmark = skipped.get(item["path"])
        try:
            document = read_xhtml(markup_text(book.read(item["path"])))
        except EpubError as exc:
            if not landmark:
                raise
            result.warnings.append(f"not read: {item['path']} ({landmark}; {exc})")  # it was never to be read
            continue
        if landmark:
            if not holds_a_chapter(document):
                result.warnings.append(f"not read: {item['path']} ({landmark})")
                continue
            result.warnings.append(f"read: {item['path']}, which the book marks as its {landmark}: it holds "
                                   f"{sum(map(len, document.paragraphs)):,} characters of prose")
        elif kind := unmarked_front_matter(item["path"], document):
            result.warnings.append(f"not read: {item['path']} ({kind})")
            continue
        result.warnings += [f"not read: the {kind} in {item['path']}" for kind in document.skipped]
        read.append((item["path"], document))
    titles = {path: label for path, fragment, label, _ in reversed(toc) if not fragment}  # the first entry wins
    for path in licences_at_the_back(read, titles):
        result.warnings.append(f"not read: {path} (a licence)")
    for path, document in read:
        starts[path] = len(result.paragraphs)
        documents[path] = document
        result.paragraphs += document.paragraphs + document.notes
    if not result.paragraphs:
        raise EpubError("the EPUB's spine documents hold no text (only images, or empty pages); nothing to read")
    chapters = chapter_headings(result.paragraphs, toc, starts, documents)
    result.headings = [result.paragraphs[index] for index, _, _ in chapters]
    result.titles = [title for _, title, _ in chapters]
    result.levels = [level for _, _, level in chapters]
    return result


def holds_a_chapter(document: XhtmlText) -> bool:
    """Whether a document the book marks as front matter holds more prose than front matter does.

    Books converted from one long file mark that file as their toc or title page: skipping it
    would drop chapters. A contents page (mostly links, or mostly lines ending in a page number:
    "Chapter One ... 7" with only the number a link) is front matter at any length.
    """
    paragraphs = document.paragraphs
    mostly_links = document.link_paragraphs >= len(paragraphs) * TOC_SHARE
    numbered = sum(bool(PAGE_NUMBER_END.search(paragraph)) for paragraph in paragraphs)
    mostly_page_numbers = numbered >= len(paragraphs) * TOC_SHARE
    return sum(map(len, paragraphs)) > MARKED_FRONT_MATTER_CHARS and not mostly_links and not mostly_page_numbers


def unmarked_front_matter(path: str, document: XhtmlText) -> str | None:
    """What a spine document is when it is front or back matter that nothing marks as such, else None.

    A table of contents page: at least three paragraphs, most of them nothing but links. A
    short document whose file name says cover, title page, copyright or colophon. (A licence
    at the back: `licences_at_the_back`, once every document is read.)
    """
    paragraphs = document.paragraphs
    if not paragraphs:
        return None  # nothing to read anyway (a cover image)
    if document.link_paragraphs >= TOC_LINKS and document.link_paragraphs >= len(paragraphs) * TOC_SHARE:
        return "a table of contents page"
    chars = sum(map(len, paragraphs))
    name = Path(path).stem.lower()
    for kind, words, limit in FRONT_MATTER_NAMES:
        if chars <= limit and any(word in name for word in words):
            return kind
    return None


def licences_at_the_back(read: list[tuple[str, XhtmlText]], titles: dict[str, str]) -> list[str]:
    """Take out of `read` the documents at the end of the book that only hold a licence; return their paths.

    Such a document is LICENCE_CHARS at most, most of its paragraphs name a licence (or a
    copyright, the public domain, Project Gutenberg), and its title says so too: its TOC label,
    else its first paragraph. So a last chapter whose characters talk about a licence, titled
    "Chapter Three", is read. Only documents after the last one with other text are taken, and
    never all of them: a one-file book that carries its licence is read whole.
    """
    taken: list[str] = []
    while len(read) > 1 and only_a_licence(read[-1][1], titles.get(read[-1][0])):
        taken.insert(0, read.pop()[0])
    return taken


def only_a_licence(document: XhtmlText, title: str | None) -> bool:
    paragraphs = document.paragraphs
    if not paragraphs or sum(map(len, paragraphs)) > LICENCE_CHARS:
        return False
    named = sum(bool(LICENCE.search(p)) for p in paragraphs)
    return named * 2 > len(paragraphs) and bool(LICENCE.search(title if title is not None else paragraphs[0]))


def cover_of(book: BookZip, opf: ElementTree.Element, manifest: dict[str, dict[str, str]]) -> dict[str, Any] | None:
    """The cover image as {"media_type", "data"}, or None when the book names none."""
    items = [i for i in manifest.values() if "cover-image" in i["props"].split()]
    meta = opf.find(".//opf:metadata/opf:meta[@name='cover']", NS)
    if not items and meta is not None and meta.get("content") in manifest:
        items = [manifest[meta.get("content", "")]]
    items = [i for i in items if i["type"].startswith("image/") and i["path"] in book.names]
    if not items:
        return None
    return {"media_type": items[0]["type"], "data": book.read(items[0]["path"])}


def heading_at(paragraphs: list[str], at: int, label: str) -> int:
    """The paragraph a TOC entry points at; or, when it holds no letters (`7`, `* * *`) and does not begin the
    label, the first of the next few that begins it (a label set as two lines is two paragraphs), past
    paragraphs without letters only."""
    said = WORDS.findall(label.casefold())
    for index in range(at, min(at + LABEL_LOOKAHEAD, len(paragraphs))):
        words = WORDS.findall(paragraphs[index].casefold())
        if words and said[:len(words)] == words:
            return index
        if LETTER.search(paragraphs[index]):
            break
    return at


def chapter_headings(paragraphs: list[str], toc: list[tuple[str, str, str, int]], starts: dict[str, int],
                     documents: dict[str, XhtmlText]) -> list[tuple[int, str, int]]:
    """(paragraph index, title, level) of each chapter: the paragraphs the TOC points at, titled by its labels
    and as deep as its entries, plus the first heading of each document it never names, titled by itself."""
    marks: dict[int, str] = {}
    levels: dict[int, int] = {}
    named: set[str] = set()
    for path, fragment, label, level in toc:
        if path not in starts:
            continue  # an entry into a skipped document (the cover, the toc page itself)
        named.add(path)
        document = documents[path]
        local = document.ids.get(fragment, 0) if fragment else 0
        if local < len(document.paragraphs):
            index = heading_at(paragraphs, starts[path] + local, label)
            title = label or paragraphs[index]
            marks[index] = f"{marks[index]}: {title}" if index in marks else title  # "Part One: Chapter 1"
            levels[index] = min(levels.get(index, level), level)
    for path, start in starts.items():
        if path not in named and documents[path].heading_levels.get(0, 9) <= 3:
            marks.setdefault(start, paragraphs[start])  # a document the TOC does not name, with a heading at its top
    level = 1
    for index in sorted(marks):
        level = levels.setdefault(index, level)  # an unnamed document: as deep as the chapter before it
    return [(index, marks[index], levels[index]) for index in sorted(marks)]
