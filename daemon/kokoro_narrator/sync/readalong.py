"""A read-along EPUB 3 (Media Overlays) from a published book: its text, highlighted sentence by sentence.

`build_readalong` pairs each spoken sentence of `<book>.timings.json` with its place in the
book's text (overlay.py) and writes an EPUB 3 whose SMIL overlays play the chapter audio
(epub3.py) while the reading system highlights the sentence.
- From an EPUB 3: the book itself, every zip entry copied as it is, except the spine documents
  that hold spoken sentences (a span or an id added per sentence, a stylesheet link for the
  highlight) and the package document (overlay items, `media-overlay`, `media:` metadata).
  EPUB 2 books are refused: Media Overlays are EPUB 3, and upgrading a package means a new
  navigation document and HTML5 content, more than a read-along should rewrite.
- From markdown: the body rendered with markdown-it-py (the reader's own parser), one document
  per chapter, code blocks shown but never spoken; from plain text: one document per chapter
  of the clean text's paragraphs. Both get a table of contents, metadata and the cover.
Text that was not spoken (code, skipped front matter, image names) gets no par.
"""

from __future__ import annotations

import codecs
import hashlib
import html
import posixpath
import re
import tempfile
import uuid
import zipfile
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from xml.etree import ElementTree

from ..books import markup_text, read_book, source_suffix, SourceText
from ..core import atomic_write
from . import epub3
from .overlay import annotate, link_stylesheet, locate, place, trace
from .textbook import Document, markdown_documents, text_documents
from .timings import BookTimings

OPF = "{http://www.idpf.org/2007/opf}"
CONTAINER = "{urn:oasis:names:tc:opendocument:xmlns:container}"



class ReadAlongError(ValueError):
    """A read-along EPUB that cannot be made; the message says why and what to do."""


@dataclass
class Marked:
    """What the overlay made of the documents: new markup and the pars of each annotated document."""

    markup: dict[str, str] = field(default_factory=dict)
    pars: dict[str, list[tuple[str, object]]] = field(default_factory=dict)
    """Document path -> [(fragment id, Sentence)] in reading order."""


def build_readalong(out_path: Path, timings: BookTimings, wav_path: Path, source_name: str, source_bytes: bytes,
                    cover: Path | None = None) -> list[str]:
    """Write the read-along EPUB of a published book to out_path (atomically); return warnings.

    Raise ReadAlongError (a ValueError) when it cannot be made: an EPUB 2 book, no sentence
    found in the text; TextError when the source cannot be read.
    """
    book = read_book(source_bytes, source_name)
    warnings: list[str] = []
    if source_suffix(source_name) == ".epub":
        write = _from_epub(source_bytes, book, timings, wav_path, warnings)
    else:
        write = _from_text(source_name, source_bytes, book, timings, wav_path, cover, warnings)
    atomic_write(out_path, write)
    return warnings


def _overlay(clean: str, documents: list[Document], timings: BookTimings, warnings: list[str]) -> Marked:
    """Find each sourced sentence in the documents and mark it; the documents without one are left out."""
    traced = [trace(document.markup, document.code) for document in documents]
    placement = place(clean, traced)
    ranges: list[list[tuple[str, int, int, int]]] = [[] for _ in documents]
    placed: list[tuple[int, object]] = []
    found = [locate(placement, clean, *s.source) if s.source else None for s in timings.sentences]
    paragraph = [_paragraph_of(clean, s.source[0]) if s.source else -1 for s in timings.sentences]
    for number in range(len(found)):  # "1." of a list has no text of its own in the markup: it shares the
        if found[number] is None and paragraph[number] >= 0:  # fragment of its neighbour in the paragraph
            near = [n for n in (number + 1, number - 1)
                    if 0 <= n < len(found) and found[n] and paragraph[n] == paragraph[number]]
            found[number] = found[near[0]] if near else None
    lost = 0
    for sentence, where in zip(timings.sentences, found):
        if where is None:
            lost += 1
            continue
        ranges[where[0]].append((sentence.id, *where[1:]))
        placed.append((where[0], sentence))
    if lost:
        warnings.append(f"{lost} of {len(timings.sentences)} spoken sentences were not found in the text: "
                        "they play in the audio but are not highlighted")
    marked = Marked()
    fragments: dict[int, dict[str, str]] = {}
    for number, document in enumerate(documents):
        if ranges[number]:
            marked.markup[document.path], fragments[number] = annotate(traced[number], ranges[number])
    for number, sentence in placed:
        marked.pars.setdefault(documents[number].path, []).append((fragments[number][sentence.id], sentence))
    if not marked.pars:
        raise ReadAlongError("none of the book's spoken sentences could be found in its text (were the timings "
                             "made from this book?): no read-along EPUB")
    return marked


def _paragraph_of(clean: str, offset: int) -> int:
    """An id of the clean paragraph that holds offset: where it starts."""
    return clean.rfind("\n\n", 0, offset)


def _audio(marked: Marked, folder: str, timings: BookTimings,
           warnings: list[str]) -> tuple[dict[str, list], dict[str, tuple[float, float]]]:
    """Each document's pars as (document, fragment, audio path, begin, end), and the chapter audio to cut."""
    chapters = {int(chapter["index"]): chapter for chapter in timings.chapters}
    audio: dict[str, tuple[float, float]] = {}
    pars: dict[str, list] = {}
    missing = 0
    for path, sentences in marked.pars.items():
        for fragment, sentence in sentences:
            chapter = chapters.get(sentence.chapter)
            if chapter is None:
                missing += 1
                continue
            start = float(chapter["start"])
            name = f"{folder}/audio/ch{sentence.chapter + 1:03d}.m4a"
            audio[name] = (start, float(chapter["end"]))
            pars.setdefault(path, []).append((path, fragment, name, round(sentence.start - start, 3),
                                              round(sentence.end - start, 3)))
    if missing:
        warnings.append(f"{missing} sentences name a chapter the timings do not have: not highlighted")
    return pars, audio


def _parts(marked: Marked, folder: str, opf_path: str, timings: BookTimings, wav_path: Path, work: Path,
           warnings: list[str]) -> tuple[list[tuple[str, bytes, int]], list[str], dict[str, str], list[str]]:
    """The new entries (overlays, audio, stylesheet), their manifest items, each document's overlay id, metas."""
    pars, audio = _audio(marked, folder, timings, warnings)
    entries: list[tuple[str, bytes, int]] = [(f"{folder}/readalong.css", epub3.CSS.encode(), zipfile.ZIP_DEFLATED)]
    items = [epub3.item("readalong-css", epub3.href(opf_path, f"{folder}/readalong.css"), "text/css")]
    overlays: dict[str, str] = {}
    durations: dict[str, float] = {}
    for number, path in enumerate(sorted(pars), start=1):
        smil_path, smil_id = f"{folder}/{posixpath.splitext(posixpath.basename(path))[0]}.smil", f"readalong-mo{number}"
        if any(name == smil_path for name, _, _ in entries):
            smil_path = f"{folder}/overlay{number}.smil"
        entries.append((smil_path, epub3.smil(smil_path, pars[path]).encode(), zipfile.ZIP_DEFLATED))
        items.append(epub3.item(smil_id, epub3.href(opf_path, smil_path), epub3.SMIL_TYPE))
        overlays[path] = smil_id
        durations[smil_id] = sum(end - begin for *_, begin, end in pars[path])
    for number, (name, (start, end)) in enumerate(sorted(audio.items()), start=1):
        target = work / f"{number}.m4a"
        epub3.cut_chapter(wav_path, start, end, target)
        entries.append((name, target.read_bytes(), zipfile.ZIP_STORED))  # AAC does not deflate
        items.append(epub3.item(f"readalong-audio{number}", epub3.href(opf_path, name), epub3.AUDIO_TYPE))
    return entries, items, overlays, epub3.overlay_metas(durations)


def _styled(path: str, markup: str, folder: str, warnings: list[str]) -> str:
    linked = link_stylesheet(markup, epub3.href(path, f"{folder}/readalong.css"))
    if linked is None:
        warnings.append(f"{path} has no <head>: its sentences are marked but not highlighted by a style of ours")
        return markup
    return linked


# ----------------------------------------------------------------------------- from an EPUB 3


def _from_epub(data: bytes, book: SourceText, timings: BookTimings, wav_path: Path, warnings: list[str]):
    source = zipfile.ZipFile(BytesIO(data))
    names = [info.filename for info in source.infolist() if not info.is_dir()]
    rootfile = ElementTree.fromstring(source.read("META-INF/container.xml")).find(f".//{CONTAINER}rootfile")
    opf_path = rootfile.get("full-path", "") if rootfile is not None else ""
    opf_bytes = source.read(opf_path)
    opf = ElementTree.fromstring(opf_bytes)
    if not opf.get("version", "").startswith("3"):
        raise ReadAlongError(f"an EPUB {opf.get('version') or '2'} book: Media Overlays need EPUB 3; convert the "
                             "book to EPUB 3 (Calibre, Sigil) and make the read-along from that")
    manifest = {i.get("id", ""): i for i in opf.iter(f"{OPF}item")}
    if any(i.get("media-overlay") or i.get("media-type") == epub3.SMIL_TYPE for i in manifest.values()):
        raise ReadAlongError("the book has Media Overlays of its own already; it is a read-along EPUB")
    documents = []
    for ref in opf.iter(f"{OPF}itemref"):
        element = manifest.get(ref.get("idref", ""))
        if element is None or "html" not in element.get("media-type", "") or "nav" in element.get("properties", ""):
            continue
        path = posixpath.normpath(posixpath.join(posixpath.dirname(opf_path), element.get("href", "")))
        raw = source.read(path) if path in names else b""
        document = Document(path, markup_text(raw), item_id=element.get("id", ""))
        document.encoding = "utf-8-sig" if raw.startswith(codecs.BOM_UTF8) else "utf-8"
        if raw[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            document.encoding = "utf-16"
        if document.markup.encode(document.encoding) != raw:
            warnings.append(f"{path} is not plain UTF-8 or UTF-16: left as it is, not highlighted")
            continue
        documents.append(document)
    marked = _overlay(book.text, documents, timings, warnings)
    folder = _free_folder(posixpath.join(posixpath.dirname(opf_path), "readalong").lstrip("/"), names)
    encodings = {document.path: document.encoding for document in documents}
    item_ids = {document.path: document.item_id for document in documents}

    def write(f) -> None:
        with tempfile.TemporaryDirectory(prefix="readalong-") as work:
            entries, items, overlays, metas = _parts(marked, folder, opf_path, timings, wav_path, Path(work),
                                                     warnings)
            changed = {path: _styled(path, markup, folder, warnings).encode(encodings[path])
                       for path, markup in marked.markup.items()}
            changed[opf_path] = _edit_opf(markup_text(opf_bytes), items, {item_ids[p]: i for p, i in overlays.items()},
                                          metas).encode("utf-8")
            copied = [(info.filename, changed.get(info.filename) or source.read(info.filename), info.compress_type)
                      for info in source.infolist() if info.filename != "mimetype" and not info.is_dir()]
            epub3.write_zip(f, copied + sorted(entries))

    return write


def _free_folder(base: str, names: list[str]) -> str:
    folder, number = base, 1
    while any(name.startswith(folder + "/") for name in names):
        number += 1
        folder = f"{base}{number}"
    return folder


def _edit_opf(opf: str, items: list[str], overlays: dict[str, str], metas: list[str]) -> str:
    """The package document with the overlay items, each annotated item's media-overlay, and the metas."""
    manifest_end = re.search(r"</([\w-]+:)?manifest\s*>", opf)
    metadata_end = re.search(r"</([\w-]+:)?metadata\s*>", opf)
    if manifest_end is None or metadata_end is None:
        raise ReadAlongError("the package document has no <manifest> or <metadata> end tag; the EPUB is damaged")
    prefix = manifest_end.group(1) or ""
    metas = [m.replace("<meta", f"<{prefix}meta", 1).replace("</meta", f"</{prefix}meta") for m in metas]
    edits = [(manifest_end.start(), "".join(f"{i.replace('<item', f'<{prefix}item', 1)}\n" for i in items)),
             (metadata_end.start(), "".join(f"{m}\n" for m in metas))]
    for item_id, smil_id in overlays.items():
        tag = re.search(rf"""<(?:[\w-]+:)?item\b[^>]*?\sid\s*=\s*["']{re.escape(item_id)}["']""", opf)
        if tag:
            at = opf.index("item", tag.start()) + len("item")
            edits.append((at, f' media-overlay="{html.escape(smil_id)}"'))
    for at, text in sorted(edits, reverse=True):
        opf = opf[:at] + text + opf[at:]
    return opf


# ----------------------------------------------------------------------------- from markdown or plain text


def _from_text(name: str, data: bytes, book: SourceText, timings: BookTimings, wav_path: Path, cover: Path | None,
               warnings: list[str]):
    language = book.metadata.get("language") or timings.language or "en"
    title = book.metadata.get("title") or Path(name).stem
    if source_suffix(name) == ".md":
        documents = markdown_documents(data, name, book, language, warnings)
    else:
        documents = text_documents(book.text, timings, language)
    marked = _overlay(book.text, documents, timings, warnings)
    folder = "EPUB/readalong"
    opf_path = "EPUB/package.opf"
    digest = hashlib.sha256(data).digest()
    uid = f"urn:uuid:{uuid.UUID(bytes=digest[:16], version=5)}"

    def write(f) -> None:
        with tempfile.TemporaryDirectory(prefix="readalong-") as work:
            entries, items, overlays, metas = _parts(marked, folder, opf_path, timings, wav_path, Path(work),
                                                     warnings)
            spine = []
            for number, document in enumerate(documents, start=1):
                markup = marked.markup.get(document.path, document.markup)
                entries.append((document.path, _styled(document.path, markup, folder, warnings).encode(),
                                zipfile.ZIP_DEFLATED))
                overlay = f' media-overlay="{overlays[document.path]}"' if document.path in overlays else ""
                items.append(epub3.item(f"doc{number}", epub3.href(opf_path, document.path), "application/xhtml+xml",
                                        overlay))
                spine.append(f"doc{number}")
            toc = [(epub3.href("EPUB/nav.xhtml", d.path), d.title) for d in documents]
            entries.append(("EPUB/nav.xhtml", epub3.nav(title, language, toc).encode(), zipfile.ZIP_DEFLATED))
            items.append(epub3.item("nav", "nav.xhtml", "application/xhtml+xml", ' properties="nav"'))
            image = cover.read_bytes() if cover else b""
            kind = "image/jpeg" if image.startswith(b"\xff\xd8\xff") else "image/png" if image.startswith(
                b"\x89PNG") else ""
            if cover and not kind:
                warnings.append(f"cover {cover.name} is not a JPEG or PNG: the EPUB has no cover")
            if kind:
                path = f"EPUB/cover.{kind.split('/')[1].replace('jpeg', 'jpg')}"
                entries.append((path, image, zipfile.ZIP_STORED))
                items.append(epub3.item("cover-image", epub3.href(opf_path, path), kind, ' properties="cover-image"'))
            opf = epub3.package(uid, title, list(book.metadata.get("authors") or []), language, items, spine, metas)
            entries += [("META-INF/container.xml", epub3.container(opf_path).encode(), zipfile.ZIP_DEFLATED),
                        (opf_path, opf.encode(), zipfile.ZIP_DEFLATED)]
            epub3.write_zip(f, sorted(entries))

    return write
