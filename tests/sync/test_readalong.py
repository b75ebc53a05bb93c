"""The read-along EPUB 3: every spoken sentence one par, at its time in its chapter's audio, in the book's own text."""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import av
import pytest
from support.epubcheck import epubcheck, needs_epubcheck
from support.epubs import build, CONTAINER, PNG, opf
from support.timings import fake_timings

from kokoro_narrator.sync.overlay import key
from kokoro_narrator.sync.readalong import build_readalong, ReadAlongError

SMIL = "{http://www.w3.org/ns/SMIL}"
OPF = "{http://www.idpf.org/2007/opf}"


def page(body: str, title: str = "t") -> str:
    return ('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n<html xmlns="http://www.w3.org/1999/xhtml" '
            f'xmlns:epub="http://www.idpf.org/2007/ops" xml:lang="en" lang="en">\n<head>\n<title>{title}</title>\n'
            f'<link rel="stylesheet" type="text/css" href="style.css"/>\n</head>\n<body>\n{body}\n</body>\n</html>\n')


def epub3_book(chapters: dict[str, str]) -> bytes:
    """An EPUB 3 that epubcheck accepts: a title page (not read), the chapters, a nav, a stylesheet, an image."""
    names = ["title", *chapters]
    manifest = "".join(f'<item id="{n}" href="{n}.xhtml" media-type="application/xhtml+xml"/>' for n in names)
    manifest += ('<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>'
                 '<item id="css" href="style.css" media-type="text/css"/>'
                 '<item id="img" href="lamp.png" media-type="image/png"/>')
    spine = "".join(f'<itemref idref="{n}"/>' for n in names)
    toc = "".join(f'<li><a href="{n}.xhtml">{n}</a></li>' for n in chapters)
    files = {"META-INF/container.xml": CONTAINER,
             "OEBPS/content.opf": opf("3.0", "en", spine, manifest,
                                      '<meta property="dcterms:modified">2020-01-01T00:00:00Z</meta>').replace(
                                          '<spine toc="ncx">', "<spine>"),
             "OEBPS/title.xhtml": page('<section epub:type="titlepage"><h1>THE BOOK</h1><p>by Someone</p></section>'),
             "OEBPS/nav.xhtml": page(f'<nav epub:type="toc"><h1>Contents</h1><ol>{toc}</ol></nav>'),
             "OEBPS/style.css": "p { margin: 0 }\n", "OEBPS/lamp.png": PNG}
    files.update({f"OEBPS/{n}.xhtml": page(body) for n, body in chapters.items()})
    return build(files)


CHAPTER_ONE = ('<section epub:type="chapter"><h1>Chapter One</h1>\n'
               '<p>The lamp was lit at dusk. The road went on into the hills, where nobody had walked.</p>\n'
               '<p>The keeper said so<a epub:type="noteref" href="#n1">1</a> and went in. '
               'She counted <em>three</em> lamps, then <img src="lamp.png" alt="a lamp"/>stopped.</p>\n'
               '<aside epub:type="footnote" id="n1"><p>The keeper was old.</p></aside>\n</section>')
CHAPTER_TWO = ('<section epub:type="chapter"><h1 id="c2">Chapter Two</h1>\n'
               '<p>It rained &amp; rained. &#8220;Stay,&#8221; he said.</p>\n'
               '<p>Nobody came. The lamps went out one by one.</p></section>')


def make(tmp_path: Path, data: bytes, name: str) -> tuple[Path, object, list[str]]:
    wav = tmp_path / "book.wav"
    timings = fake_timings(data, name, wav, seconds_per_char=0.01)
    out = tmp_path / f"{Path(name).stem}.readalong.epub"
    warnings = build_readalong(out, timings, wav, name, data)
    return out, timings, warnings


def overlays(out: Path) -> tuple[zipfile.ZipFile, list[tuple[str, str, str, float, float]]]:
    """The book's zip, and every par in spine order: (document path, fragment, audio path, begin, end)."""
    book = zipfile.ZipFile(out)
    opf_path = ElementTree.fromstring(book.read("META-INF/container.xml")).find(
        ".//{urn:oasis:names:tc:opendocument:xmlns:container}rootfile").get("full-path")
    package = ElementTree.fromstring(book.read(opf_path))
    items = {i.get("id"): i for i in package.iter(f"{OPF}item")}
    base = Path(opf_path).parent
    pars = []
    for ref in package.iter(f"{OPF}itemref"):
        overlay = items[ref.get("idref")].get("media-overlay")
        if not overlay:
            continue
        smil_path = base / items[overlay].get("href")
        for par in ElementTree.fromstring(book.read(str(smil_path))).iter(f"{SMIL}par"):
            text, audio = par.find(f"{SMIL}text").get("src"), par.find(f"{SMIL}audio")
            document, _, fragment = text.partition("#")
            pars.append((_join(smil_path.parent, document), fragment, _join(smil_path.parent, audio.get("src")),
                         float(audio.get("clipBegin").rstrip("s")), float(audio.get("clipEnd").rstrip("s"))))
    return book, pars


def _join(folder: Path, link: str) -> str:
    return posixpath.normpath(posixpath.join(str(folder), link))


def fragment_text(markup: str, fragment: str) -> str:
    """The text content of the element with that id."""
    root = ElementTree.fromstring(markup.encode())
    element = next(e for e in root.iter() if e.get("id") == fragment)
    return "".join(element.itertext())


def check_pars(out: Path, timings) -> tuple[zipfile.ZipFile, list]:
    """Every spoken sentence one par, in order, its clip its time in its chapter's audio, its text the sentence's."""
    book, pars = overlays(out)
    assert len(pars) == len(timings.sentences)
    chapters = {c["index"]: c for c in timings.chapters}
    for (document, fragment, audio, begin, end), sentence in zip(pars, timings.sentences):
        chapter = chapters[sentence.chapter]
        assert audio.endswith(f"ch{sentence.chapter + 1:03d}.m4a")
        assert (begin, end) == (round(sentence.start - chapter["start"], 3), round(sentence.end - chapter["start"], 3))
        if re.fullmatch(r"\d+\.", sentence.source_text):
            continue  # a markdown list's number: the <ol> draws it, and it shares its item's fragment
        shown = iter(key(fragment_text(book.read(document).decode(), fragment)))
        assert all(ch in shown for ch in key(sentence.source_text)), sentence  # in order; markers may come between
    for name in {audio for _, _, audio, _, _ in pars}:
        number = int(re.search(r"ch(\d+)\.m4a$", name).group(1)) - 1
        expected = chapters[number]["end"] - chapters[number]["start"]
        with av.open(book.open(name)) as container:
            stream = container.streams.audio[0]
            assert float(stream.duration * stream.time_base) == pytest.approx(expected, abs=0.001)  # the edit list
            decoded = sum(frame.samples for frame in container.decode(audio=0)) / 24000
        assert expected <= decoded < expected + 1024 / 24000  # whole AAC frames: the last one padded
    return book, pars


def only_marks_added(before: str, after: str) -> bool:
    """Whether after is before plus our spans, ids and stylesheet link, and nothing else."""
    opened = len(re.findall(r'<span id="ra-[^"]*">', after))
    stripped = re.sub(r'<span id="ra-[^"]*">| id="ra-b\d+"|<link rel="stylesheet" type="text/css" href="[^"]*'
                      r'readalong\.css"/>', "", after)
    return (stripped.replace("</span>", "") == before.replace("</span>", "")
            and stripped.count("</span>") == before.count("</span>") + opened)


@needs_epubcheck
def test_an_epub3_book_keeps_its_own_files_and_gets_a_par_per_sentence(tmp_path):
    data = epub3_book({"one": CHAPTER_ONE, "two": CHAPTER_TWO})
    out, timings, warnings = make(tmp_path, data, "book.epub")
    assert warnings == []
    book, pars = check_pars(out, timings)
    source = zipfile.ZipFile(io.BytesIO(data))
    assert book.namelist()[0] == "mimetype" and book.infolist()[0].compress_type == zipfile.ZIP_STORED
    for name in source.namelist():
        if name in ("OEBPS/one.xhtml", "OEBPS/two.xhtml"):
            assert only_marks_added(source.read(name).decode(), book.read(name).decode())
        elif name != "OEBPS/content.opf":
            assert book.read(name) == source.read(name), name  # the title page, nav, css, image: as they were
    assert {document for document, *_ in pars} == {"OEBPS/one.xhtml", "OEBPS/two.xhtml"}
    two = book.read("OEBPS/two.xhtml").decode()
    assert re.search(r'<span id="ra-s\d+">It rained &amp; rained.</span> <span id="ra-s\d+">&#8220;Stay,&#8221; '
                     r'he said.</span>', two)  # entities kept whole; curly quotes found, though the clean text has ".
    package = book.read("OEBPS/content.opf").decode()
    assert 'media-overlay="' in package and "media:active-class" in package
    epubcheck(out)


@needs_epubcheck
def test_a_sentence_ending_inside_inline_markup_shares_a_span_with_its_neighbour(tmp_path):
    chapter = ('<section epub:type="chapter"><h1>Chapter One</h1>\n'
               "<p>He said <em>no. Then</em> he left the room.</p>\n"
               "<p>She stayed. <strong>Rain fell</strong> all night. <b>It</b> stopped.</p></section>")
    data = epub3_book({"one": chapter})
    out, timings, _ = make(tmp_path, data, "book.epub")
    book, pars = check_pars(out, timings)
    by_text = {s.source_text: fragment for s, (_, fragment, *_) in zip(timings.sentences, pars)}
    assert by_text["He said no."] == by_text["Then he left the room."]
    assert len({by_text["She stayed."], by_text["Rain fell all night."], by_text["It stopped."]}) == 3
    markup = book.read("OEBPS/one.xhtml").decode()
    assert f'<span id="{by_text["He said no."]}">He said <em>no. Then</em> he left the room.</span>' in markup
    assert only_marks_added(zipfile.ZipFile(io.BytesIO(data)).read("OEBPS/one.xhtml").decode(), markup)
    epubcheck(out)


MARKDOWN = """---
title: Lamps
author: Ann Author
---

# Chapter One

The lamp was lit at dusk. The road went *on. Into* the hills.

```python
print("never spoken")
```

- first item
- second item

# Chapter Two

It rained[^1] all night. Nobody came.

1. Preheat the oven to 180 degrees.
2. Wait.

[^1]: A note on the rain.
"""


@needs_epubcheck
def test_a_markdown_book_is_one_document_per_chapter_and_its_code_is_shown_not_spoken(tmp_path):
    out, timings, warnings = make(tmp_path, MARKDOWN.encode(), "lamps.md")
    book, pars = check_pars(out, timings)
    assert [name for name in book.namelist() if name.endswith(".xhtml")] == [
        "EPUB/ch001.xhtml", "EPUB/ch002.xhtml", "EPUB/nav.xhtml"]
    one = book.read("EPUB/ch001.xhtml").decode()
    assert "never spoken" in one
    assert all("never spoken" not in fragment_text(book.read(d).decode(), f) for d, f, *_ in pars)
    assert "<h1>" in one or "<h1 " in one
    package = book.read("EPUB/package.opf").decode()
    assert "<dc:title>Lamps</dc:title>" in package and "<dc:creator>Ann Author</dc:creator>" in package
    assert re.search(r"<dc:identifier id=\"uid\">urn:uuid:[0-9a-f-]{36}</dc:identifier>", package)
    epubcheck(out)


TEXT = """A Small Book

CHAPTER I.

It was a dark night. The wind blew hard, and the rain came down
in sheets across the moor.

"Who is there?" she called. Nobody answered.

CHAPTER II.

Morning came at last. The sky was clear & cold <and> blue.
"""


@needs_epubcheck
def test_a_text_book_gets_a_document_per_chapter_with_its_heading(tmp_path):
    out, timings, warnings = make(tmp_path, TEXT.encode(), "small.txt")
    book, pars = check_pars(out, timings)
    two = book.read("EPUB/ch003.xhtml").decode()
    assert "<h1>" in two and "clear &amp; cold &lt;and&gt; blue" in two
    assert "CHAPTER II." in book.read("EPUB/nav.xhtml").decode()
    epubcheck(out)


@pytest.mark.parametrize("name", ["book.docx", "book.fb2", "book.html"])
def test_a_docx_fb2_or_html_book_is_made_from_its_clean_text_never_its_bytes(tmp_path, name):
    from support.formats import docx_book, fb2_book, html_book

    data = {".docx": docx_book, ".fb2": fb2_book, ".html": html_book}[Path(name).suffix]()
    out, timings, warnings = make(tmp_path, data, name)
    book, pars = check_pars(out, timings)
    text = " ".join(book.read(n).decode() for n in book.namelist() if n.startswith("EPUB/ch"))
    assert "A plain sentence of this chapter" in text
    assert not any(raw in text for raw in ("PK", "word/", "FictionBook", "l:href", "&lt;", "not read"))


def test_the_same_input_makes_the_same_bytes(tmp_path):
    first, timings, _ = make(tmp_path, TEXT.encode(), "small.txt")
    again = tmp_path / "again.epub"
    build_readalong(again, timings, tmp_path / "book.wav", "small.txt", TEXT.encode())
    assert first.read_bytes() == again.read_bytes()


def test_an_epub2_book_is_refused(tmp_path):
    from support.epubs import epub2

    with pytest.raises(ReadAlongError, match="EPUB 3"):
        make(tmp_path, epub2(), "old.epub")
    assert not (tmp_path / "old.readalong.epub").exists()
