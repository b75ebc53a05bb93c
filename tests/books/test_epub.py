"""epub.py and xhtml.py: EPUB 2 and 3 read in spine order, chapters from the TOC, notes, metadata, bad EPUBs."""

import json
import threading
import time
import zipfile
from pathlib import Path

import pytest

from kokoro_narrator.books import epubzip
from kokoro_narrator.chapters.chunker import plan_book
from kokoro_narrator.books.epub import holds_a_chapter
from kokoro_narrator.service.daemon import Daemon
from kokoro_narrator.books.metadata import source_metadata
from kokoro_narrator.books.reader import TextError, read_book
from kokoro_narrator.books.xhtml import read_xhtml

from support.epubs import CONTAINER, PNG, PROSE, build, epub2, epub3, opf, xhtml
from support.providers import ToneProvider

SAMPLES = Path(__file__).parents[1] / "data" / "epub"


def chapters(book) -> list[str]:
    return [c.title for c in plan_book(book, 20000).chapters]


# ----------------------------------------------------------------------------- reading


def test_an_epub3_is_read_in_spine_order_with_its_toc_as_chapters():
    book = read_book(epub3(), "book.epub")
    assert chapters(book) == ["Chapter One: The Gate", "Chapter Two: The Hills", "A Part", "Interlude in the Rain"]
    paragraphs = book.text.split("\n\n")
    assert paragraphs[:3] == ["Chapter One: The Gate", PROSE + "The keeper said so and went in.",
                              "She counted three lamps, then stopped."]
    assert paragraphs[-1] == PROSE + "It went on without a heading."  # no heading: joins the chapter before


def test_front_matter_scripts_styles_images_and_page_numbers_are_not_read_and_skipped_parts_are_named():
    book = read_book(epub3(), "book.epub")
    for unread in ("THE BOOK", "by Someone", "Copyright", "Contents", "not read", "color", "a lamp", "7",
                   "Appendix Not In The Spine Order"):
        assert unread not in book.text
    assert book.warnings == ("not read: the titlepage in OEBPS/title.xhtml",
                             "not read: OEBPS/copyright.xhtml (copyright-page)", "not read: OEBPS/nav.xhtml (toc)",
                             'not read: OEBPS/appendix.xhtml (linear="no": outside the reading order)')


def test_note_markers_are_never_read_and_note_bodies_are_read_at_the_end_of_their_chapter():
    paragraphs = read_book(epub3(), "book.epub").text.split("\n\n")
    assert "so1" not in paragraphs[1] and "lamps2" not in paragraphs[2]
    chapter_one = paragraphs[:paragraphs.index("Chapter Two: The Hills")]
    assert chapter_one[-2:] == ["The keeper was old.", "Three is a lot of lamps."]


def test_tables_lists_and_quotes_are_read_in_document_order():
    paragraphs = read_book(epub3(), "book.epub").text.split("\n\n")
    start = paragraphs.index("Name, Age")
    assert paragraphs[start:start + 5] == ["Name, Age", "Ann, 30", "first item", "second item", "A quoted line."]


def test_an_epub2_takes_its_chapters_from_the_ncx_and_skips_the_cover_page_its_guide_names():
    book = read_book(epub2(), "book.epub")
    assert chapters(book) == ["Chapter One: The Gate", "Chapter Two: The Hills", "A Part"]
    assert "a cover with words" not in book.text
    assert book.warnings == ("not read: OEBPS/cover.xhtml (cover)",)
    assert book.metadata["cover"] == {"media_type": "image/png", "data": PNG}  # from <meta name="cover">


def test_metadata_cover_and_pls_lexicons_come_from_the_package_document():
    book = read_book(epub3(), "book.epub")
    assert book.metadata["title"] == "The Gate and the Hills"
    assert book.metadata["authors"] == ["Ann Author", "Bo Second"] and book.metadata["language"] == "en"
    assert book.metadata["cover"] == {"media_type": "image/png", "data": PNG}
    assert [name for name, _ in book.lexicons] == ["words.pls"] and "<grapheme>Ann</grapheme>" in book.lexicons[0][1]


def test_a_language_other_than_lang_codes_is_a_warning_and_the_record_is_json_safe():
    record, warnings = source_metadata(read_book(epub3(language="fr"), "book.epub"), "a")
    assert record == {"title": "The Gate and the Hills", "authors": ["Ann Author", "Bo Second"], "language": "fr",
                      "cover": "cover.png"}
    assert json.loads(json.dumps(record)) == record
    assert len(warnings) == 1 and "'fr'" in warnings[0] and "with lang_code = 'f' in its own settings" in warnings[0]
    assert source_metadata(read_book(epub2(), "book.epub"), "b")[1] == []  # en-GB is English


def test_xhtml_line_numbers_and_short_links_to_fragments_are_markers_but_real_links_are_read():
    text = read_xhtml('<div>A line of verse,<span class="lnum">10</span></div>'
                      '<p>See <a href="#x">the chapter on lamps</a>, and note <a href="#n">[3]</a>.</p>').paragraphs
    assert text == ["A line of verse,", "See the chapter on lamps, and note ."]


# ----------------------------------------------------------------------------- the IDPF samples


def test_the_idpf_samples_chapters_and_titles_match_their_toc():
    waste = read_book((SAMPLES / "wasteland.epub").read_bytes(), "wasteland.epub")
    assert chapters(waste) == ["I. THE BURIAL OF THE DEAD", "II. A GAME OF CHESS", "III. THE FIRE SERMON",
                               "IV. DEATH BY WATER", "V. WHAT THE THUNDER SAID", 'NOTES ON "THE WASTE LAND"']
    assert "Hofgarten,10" not in waste.text and "Hofgarten," in waste.text  # margin line numbers are not read
    children = read_book((SAMPLES / "childrens-literature.epub").read_bytes(), "childrens-literature.epub")
    found = chapters(children)
    assert len(found) == 21 and found[2] == "190 A FOUR-LEAVED CLOVER" and found[-1].startswith("204 THE KING")
    assert found[0] == "SECTION IV FAIRY STORIES—MODERN FANTASTIC TALES: BIBLIOGRAPHY"  # its title page, merged
    assert children.metadata["authors"] == ["Charles Madison Curry", "Erle Elsworth Clippinger"]


# ----------------------------------------------------------------------------- bad EPUBs


def spine_of(documents: str) -> str:
    manifest = '<item id="one" href="one.xhtml" media-type="application/xhtml+xml"/>'
    return opf("3.0", spine=documents, manifest=manifest)


BAD = {
    "not a zip": (b"PK\x03\x04 but not really a zip at all", "not a zip archive"),
    "no container": (build({"OEBPS/one.xhtml": xhtml("<p>Text.</p>")}), "META-INF/container.xml"),
    "no package": (build({"META-INF/container.xml": CONTAINER}), "OEBPS/content.opf"),
    "broken package": (build({"META-INF/container.xml": CONTAINER, "OEBPS/content.opf": "<package"}),
                       "not well-formed XML"),
    "no spine": (build({"META-INF/container.xml": CONTAINER, "OEBPS/content.opf": spine_of("")}), "spine is missing"),
    "no text": (build({"META-INF/container.xml": CONTAINER, "OEBPS/content.opf": spine_of('<itemref idref="one"/>'),
                       "OEBPS/one.xhtml": xhtml('<img src="a.png" alt="just a picture"/>')}), "hold no text"),
    "drm": (epub3(extra={"META-INF/encryption.xml":
                         '<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" '
                         'xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData><enc:CipherData>'
                         '<enc:CipherReference URI="OEBPS/one.xhtml"/></enc:CipherData></enc:EncryptedData>'
                         "</encryption>"}), "DRM-protected: remove the protection with the tool you bought it with"),
    "adobe drm": (epub3(extra={"META-INF/rights.xml": "<rights/>"}), "DRM-protected"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_epub_is_refused_with_a_clear_error(case):
    data, message = BAD[case]
    with pytest.raises(TextError, match=message):
        read_book(data, "bad.epub")


def test_obfuscated_fonts_are_not_drm():
    encryption = ('<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" '
                  'xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData><enc:CipherData>'
                  '<enc:CipherReference URI="OEBPS/fonts/a.otf"/></enc:CipherData></enc:EncryptedData></encryption>')
    assert "Chapter One" in read_book(epub3(extra={"META-INF/encryption.xml": encryption}), "book.epub").text


def test_an_entry_that_unpacks_beyond_the_bound_is_refused_whatever_its_header_says(monkeypatch):
    monkeypatch.setattr(epubzip, "MAX_ENTRY_BYTES", 50_000)
    bomb = epub3(extra={"OEBPS/one.xhtml": xhtml("<p>" + "a " * 100_000 + "</p>")})
    with pytest.raises(TextError, match="zip bomb"):
        read_book(bomb, "bomb.epub")
    with zipfile.ZipFile(__import__("io").BytesIO(bomb)) as book:
        assert book.getinfo("OEBPS/one.xhtml").compress_size < 5_000  # small in the zip, large unpacked


# ----------------------------------------------------------------------------- the daemon


def test_epubs_dropped_in_the_inbox_a_drm_one_fails_and_the_next_becomes_a_book_with_its_toc_chapters(config):
    (config.paths.inbox / "locked.epub").write_bytes(BAD["drm"][0])
    book = epub3(language="fr")
    (config.paths.inbox / "good.epub").write_bytes(book)
    daemon = Daemon(config, ToneProvider(), None, space_wait_seconds=0.01)
    daemon.runner.space_margin = 0
    store = daemon.store
    thread = threading.Thread(target=daemon.run)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and sorted(str(j.status) for j in store.all()) != ["done", "failed"]:
            time.sleep(0.1)
    finally:
        daemon.stop.set()
        daemon.wake.set()
        thread.join(timeout=60)
    jobs = {job.name: job for job in store.all()}
    assert {name: str(job.status) for name, job in jobs.items()} == {"locked.epub": "failed", "good.epub": "done"}
    assert "DRM-protected" in jobs["locked.epub"].error
    good = jobs["good.epub"]
    folder = store.folder(good)
    assert good.source["copy"] == "source.epub" and (folder / "source.epub").read_bytes() == book
    assert good.source["metadata"]["cover"] == "cover.png" and (folder / "cover.png").read_bytes() == PNG
    assert good.source["metadata"]["authors"] == ["Ann Author", "Bo Second"]
    assert any("'fr'" in warning for warning in good.source["warnings"])
    titles = ["Chapter One: The Gate", "Chapter Two: The Hills", "A Part", "Interlude in the Rain"]
    assert [c["title"] for c in good.chapters] == titles
    output = json.loads((config.paths.outbox / "good.json").read_text())
    assert [c["title"] for c in output["chapters"]] == titles


def test_a_stanza_set_one_line_per_element_is_one_paragraph_with_its_lines():
    text = read_xhtml('<div class="linegroup"><div>April is the cruellest month,</div><div>breeding lilacs</div></div>'
                      '<p>Prose after.</p>').paragraphs
    assert text == ["April is the cruellest month,\nbreeding lilacs", "Prose after."]


def test_a_part_and_its_first_chapter_pointing_at_one_place_make_one_chapter_titled_by_both():
    nav = xhtml('<nav epub:type="toc"><ol><li><a href="one.xhtml">Part One</a><ol>'
                '<li><a href="one.xhtml#c1">Chapter One: The Gate</a></li></ol></li>'
                '<li><a href="two.xhtml#c2">Chapter Two: The Hills</a></li></ol></nav>'
                '<nav epub:type="landmarks"><ol><li><a epub:type="copyright-page" href="copyright.xhtml">C</a></li>'
                '</ol></nav>')
    book = read_book(epub3(extra={"OEBPS/nav.xhtml": nav}), "book.epub")
    assert chapters(book)[:2] == ["Part One: Chapter One: The Gate", "Chapter Two: The Hills"]


def test_a_toc_entry_pointing_at_a_page_number_above_its_heading_takes_the_heading_and_a_bare_number_heading_stays():
    """As in a MOBI Calibre converted: an entry points at a page number left alone in the document before
    its heading, another at an ornament and a page number above a heading of two lines; a heading that is
    only a number is the heading."""
    files = {"a.xhtml": xhtml("<p>7</p>"),
             "b.xhtml": xhtml(f'<p>Chapter One: The Gate</p><p>{PROSE}</p><p id="o">* * *</p><p>12</p>'
                              f'<p>Chapter Two:</p><p>The Hills</p><p>{PROSE}</p><p id="n">3</p><p>{PROSE}</p>'),
             "nav.xhtml": xhtml('<nav epub:type="toc"><ol><li><a href="a.xhtml">Chapter One: The Gate</a></li>'
                                '<li><a href="b.xhtml#o">Chapter Two: The Hills</a></li>'
                                '<li><a href="b.xhtml#n">Chapter Three</a></li></ol></nav>')}
    manifest = ('<item id="a" href="a.xhtml" media-type="application/xhtml+xml"/>'
                '<item id="b" href="b.xhtml" media-type="application/xhtml+xml"/>'
                '<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>')
    book = read_book(build({"META-INF/container.xml": CONTAINER, "OEBPS/content.opf": opf(
        "3.0", "en", '<itemref idref="a"/><itemref idref="b"/>', manifest),
        **{f"OEBPS/{name}": text for name, text in files.items()}}), "book.epub")
    assert book.headings == ("Chapter One: The Gate", "Chapter Two:", "3")
    assert book.titles == ("Chapter One: The Gate", "Chapter Two: The Hills", "Chapter Three")


def nested_collection(ncx: bool = False) -> bytes:
    """Two stories: the first's own document holds only its title, its parts I, II, III are nested under it."""
    parts = [("p1", "I"), ("p2", "II"), ("p3", "III")]
    files = {"story.xhtml": xhtml("<h1>The Lamplighter's Daughter</h1>"), "brown.xhtml": xhtml(
        f"<h1>Mr. Brown's Errand</h1><p>{PROSE * 3}</p>")}
    files.update({f"{name}.xhtml": xhtml(f"<h2>{number}</h2><p>{PROSE * 3}</p>") for name, number in parts})
    order = ["story", "p1", "p2", "p3", "brown"]
    manifest = "".join(f'<item id="{n}" href="{n}.xhtml" media-type="application/xhtml+xml"/>' for n in order)
    if ncx:
        inner = "".join(f'<navPoint id="{n}"><navLabel><text>{label}</text></navLabel><content src="{n}.xhtml"/>'
                        "</navPoint>" for n, label in parts)
        files["toc.ncx"] = ('<?xml version="1.0"?><ncx xmlns="http://www.daisy.org/z3986/2005/ncx/"><navMap>'
                            '<navPoint id="s"><navLabel><text>The Lamplighter\'s Daughter</text></navLabel>'
                            f'<content src="story.xhtml"/>{inner}</navPoint><navPoint id="b"><navLabel><text>'
                            "Mr. Brown's Errand</text></navLabel><content src=\"brown.xhtml\"/></navPoint></navMap></ncx>")
        manifest += '<item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>'
    else:
        inner = "".join(f'<li><a href="{n}.xhtml">{label}</a></li>' for n, label in parts)
        files["nav.xhtml"] = xhtml(f'<nav epub:type="toc"><ol><li><a href="story.xhtml">The Lamplighter\'s Daughter</a>'
                                   f'<ol>{inner}</ol></li><li><a href="brown.xhtml">Mr. Brown\'s Errand</a></li></ol></nav>')
        manifest += '<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>'
    spine = "".join(f'<itemref idref="{n}"/>' for n in order)
    return build({"META-INF/container.xml": CONTAINER, "OEBPS/content.opf": opf("3.0", "en", spine, manifest),
                  **{f"OEBPS/{name}": text for name, text in files.items()}})


@pytest.mark.parametrize("ncx", [False, True], ids=["nav", "ncx"])
def test_parts_nested_under_a_story_are_chapters_titled_by_it_and_no_chapter_is_a_title_alone(ncx):
    book = read_book(nested_collection(ncx), "stories.epub")
    assert book.levels == (1, 2, 2, 2, 1)
    plan = plan_book(book, 20000)
    story = "The Lamplighter's Daughter"
    assert [(c.title, c.level, c.parent) for c in plan.chapters] == [
        (f"{story} — I", 1, None), (f"{story} — II", 2, 0), (f"{story} — III", 2, 0), ("Mr. Brown's Errand", 1, None)]
    sizes = plan.to_json()["chapters"]
    assert min(chapter["chars"] for chapter in sizes) > 200  # the story's title page is no chapter of its own
    assert plan.chunks[0].text.startswith(f"{story}\n\nPart I\n\nThe lamp")  # the title once, then "Part One"
    assert plan.chunks[2].text.startswith("Part III\n\nThe lamp")


def test_back_matter_a_colophon_an_imprint_and_a_licence_is_not_read_and_each_is_named_once():
    colophon = ("This ebook was produced by the Volunteer Press from scans of the 1911 edition; the cover art is "
                "a painting of a lighthouse, and the type is set in a face first cut in Venice. ") * 5  # ~1,000 chars
    licence = ["This eBook is for the use of anyone anywhere at no cost, under the terms of the Project Gutenberg "
               "License included with this eBook.", "Section 1. General Terms of Use of Project Gutenberg works.",
               "You may copy it, give it away or re-use it under the terms of the license.", "Thank you."]
    documents = {
        "one": xhtml(f"<h1>One</h1><p>{PROSE * 3}</p>"),
        "notes": xhtml(f'<section epub:type="endnotes"><h1>Notes</h1><p>{PROSE}</p></section>'),
        "end": xhtml(f'<section epub:type="colophon"><h1>Colophon</h1><p>{colophon}</p></section>'),
        "about": xhtml(f"<p>{colophon}</p>"), "zz": xhtml("".join(f"<p>{p}</p>" for p in licence))}
    manifest = "".join(f'<item id="{n}" href="{n}.xhtml" media-type="application/xhtml+xml"/>' for n in documents)
    nav = xhtml('<nav epub:type="toc"><ol><li><a href="one.xhtml">One</a></li><li><a href="notes.xhtml">Notes</a>'
                '</li></ol></nav><nav epub:type="landmarks"><ol><li><a epub:type="imprint" href="about.xhtml">About'
                "</a></li></ol></nav>")
    manifest += '<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>'
    spine = "".join(f'<itemref idref="{n}"/>' for n in documents)
    book = read_book(build({"META-INF/container.xml": CONTAINER, "OEBPS/content.opf": opf("3.0", "en", spine, manifest),
                            "OEBPS/nav.xhtml": nav, **{f"OEBPS/{n}.xhtml": d for n, d in documents.items()}}),
                     "book.epub")
    assert "Volunteer Press" not in book.text and "Gutenberg" not in book.text
    assert book.text.count(PROSE.strip()) == 4  # the chapter and its endnotes are read, as before
    assert book.warnings == ("not read: the colophon in OEBPS/end.xhtml", "not read: OEBPS/about.xhtml (imprint)",
                             "not read: OEBPS/zz.xhtml (a licence)")
    assert chapters(book) == ["One", "Notes"]


def spine_book(documents: dict[str, str], toc: dict[str, str]) -> bytes:
    """An EPUB 3 of documents {name: xhtml} in this order, its nav naming toc {name: label}."""
    manifest = "".join(f'<item id="{n}" href="{n}.xhtml" media-type="application/xhtml+xml"/>' for n in documents)
    manifest += '<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>'
    nav = xhtml('<nav epub:type="toc"><ol>' + "".join(f'<li><a href="{n}.xhtml">{label}</a></li>'
                                                      for n, label in toc.items()) + "</ol></nav>")
    spine = "".join(f'<itemref idref="{n}"/>' for n in documents)
    return build({"META-INF/container.xml": CONTAINER, "OEBPS/content.opf": opf("3.0", "en", spine, manifest),
                  "OEBPS/nav.xhtml": nav, **{f"OEBPS/{n}.xhtml": d for n, d in documents.items()}})


def test_chapters_that_talk_about_licences_are_read_and_a_one_file_book_keeps_its_text():
    """The licence rule skipped a last chapter whose story mentions a licence, a chapter of a book on
    copyright law, and the whole of a one-file book that carries its Gutenberg licence."""
    law = "".join(f"<p>Copyright law, case {n}: the court held that the copyright had lapsed.</p>" for n in range(12))
    story = ("<p>A licence to marry was all he asked for.</p>"
             "<p>Copyright of the heart, she said, is never given away.</p>")
    documents = {"one": xhtml(f"<h1>Chapter One</h1><p>{PROSE * 3}</p>"),
                 "two": xhtml(f"<h1>Chapter Two</h1>{law}<p>{PROSE}</p>"),
                 "three": xhtml(f"<h1>Chapter Three</h1>{story}")}
    book = read_book(spine_book(documents, {"one": "Chapter One", "two": "Chapter Two", "three": "Chapter Three"}),
                     "book.epub")
    assert "case 11" in book.text and "Copyright of the heart" in book.text
    assert not [w for w in book.warnings if "licence" in w]
    assert chapters(book) == ["Chapter One", "Chapter Two", "Chapter Three"]

    licence = "".join(f"<p>Section {n}. Use of this Project Gutenberg eBook is under its License.</p>" for n in range(8))
    poem = xhtml(f"<h1>The Lamp</h1><p>{PROSE}</p>{licence}")
    book = read_book(spine_book({"only": poem}, {"only": "The Lamp"}), "poem.epub")
    assert PROSE.strip() in book.text and "Section 7" in book.text  # read whole: no text is dropped


def test_front_matter_that_nothing_marks_is_found_by_its_links_or_its_file_name():
    contents_page = xhtml("<h1>Contents</h1>" + "".join(f'<p><a href="one.xhtml">Chapter {n}</a></p>' for n in range(4)))
    legal = xhtml("<p>Published 2020. All rights reserved.</p>")
    manifest = ('<item id="toc" href="contents.xhtml" media-type="application/xhtml+xml"/>'
                '<item id="legal" href="copyright-info.xhtml" media-type="application/xhtml+xml"/>'
                '<item id="one" href="one.xhtml" media-type="application/xhtml+xml"/>')
    spine = '<itemref idref="toc"/><itemref idref="legal"/><itemref idref="one"/>'
    book = read_book(build({"META-INF/container.xml": CONTAINER, "OEBPS/content.opf": opf("2.0", "en", spine, manifest),
                            "OEBPS/contents.xhtml": contents_page, "OEBPS/copyright-info.xhtml": legal,
                            "OEBPS/one.xhtml": xhtml(f"<h1>One</h1><p>{PROSE}</p>")}), "book.epub")
    assert book.text == f"One\n\n{PROSE.strip()}"
    assert book.warnings == ("not read: OEBPS/contents.xhtml (a table of contents page)",
                             "not read: OEBPS/copyright-info.xhtml (a copyright page)")


def test_a_document_marked_as_front_matter_that_holds_the_book_is_read_and_a_short_one_is_not():
    """A book converted from one file names that file in its guide: skipping it dropped the whole book."""
    whole = xhtml(f"<h1>Contents</h1><p><a href='#c1'>One</a></p><h1 id='c1'>One</h1>" + f"<p>{PROSE * 3}</p>" * 20)
    manifest = ('<item id="cover" href="cover.xhtml" media-type="application/xhtml+xml"/>'
                '<item id="title" href="title.xhtml" media-type="application/xhtml+xml"/>'
                '<item id="book" href="book.xhtml" media-type="application/xhtml+xml"/>')
    spine = '<itemref idref="cover"/><itemref idref="title"/><itemref idref="book"/>'
    guide = ('<guide><reference type="cover" href="cover.xhtml"/><reference type="title-page" href="title.xhtml"/>'
             '<reference type="toc" href="book.xhtml"/></guide>')  # cover.xhtml is missing: never read, no harm
    book = read_book(build({"META-INF/container.xml": CONTAINER,
                            "OEBPS/content.opf": opf("2.0", "en", spine, manifest, guide=guide),
                            "OEBPS/title.xhtml": xhtml("<h1>THE BOOK</h1><p>by Someone</p>"), "OEBPS/book.xhtml": whole}),
                     "book.epub")
    assert book.text.count(PROSE.strip()) == 60 and "THE BOOK" not in book.text
    assert book.warnings[0].startswith("not read: OEBPS/cover.xhtml (cover; the EPUB has no 'OEBPS/cover.xhtml'")
    assert book.warnings[1] == "not read: OEBPS/title.xhtml (title-page)"
    assert book.warnings[2].startswith("read: OEBPS/book.xhtml, which the book marks as its toc: it holds ")
    contents = xhtml("".join(f"<p>Chapter {n}: A Title Of Some Length . . . <a href='book.xhtml'>{n}</a></p>"
                             for n in range(200)))  # over 5,000 characters, only the page numbers are links
    assert not holds_a_chapter(read_xhtml(contents)) and holds_a_chapter(read_xhtml(whole))
    dialogue = xhtml("".join(f"<p>\u201cWhere now, {n}?\u201d</p><p>She said nothing at all.</p><p>\u201cHome.\u201d</p>"
                             for n in range(120)))  # short paragraphs of a novel: a chapter, not a list
    sonnet = xhtml("<p>Shall I compare thee to a summer\u2019s day?</p>" * 200)
    assert holds_a_chapter(read_xhtml(dialogue)) and holds_a_chapter(read_xhtml(sonnet))


def test_a_document_in_the_encoding_its_xml_declaration_names_is_decoded_so():
    page = xhtml("<h1>Caf\u00e9</h1><p>Na\u00efve r\u00e9sum\u00e9s, \u2018quoted\u2019.</p>").replace("utf-8", "windows-1252")
    book = read_book(epub3(extra={"OEBPS/four.xhtml": page.encode("cp1252")}), "book.epub")
    assert "Na\u00efve r\u00e9sum\u00e9s, 'quoted'." in book.text


def test_empty_table_cells_say_nothing():
    rows = read_xhtml("<table><tr><td></td><td>Ann</td><td></td><td>30</td></tr></table>").paragraphs
    assert rows == ["Ann, 30"]


def test_a_nav_group_label_without_a_link_titles_the_numbered_chapters_under_it():
    """Review: `<li><span>Part One</span><ol>` with parts I, II under it lost "Part One": chapters 'I', 'II'."""
    documents = {n: xhtml(f"<h1>{n.upper()}</h1><p>{PROSE * 3}</p>") for n in ("i", "ii", "iii")}
    manifest = "".join(f'<item id="{n}" href="{n}.xhtml" media-type="application/xhtml+xml"/>' for n in documents)
    manifest += '<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>'
    nav = xhtml('<nav epub:type="toc"><ol><li><span>Part One</span><ol><li><a href="i.xhtml">I</a></li>'
                '<li><a href="ii.xhtml">II</a></li></ol></li><li><a href="iii.xhtml">The Last Word</a></li></ol></nav>')
    spine = "".join(f'<itemref idref="{n}"/>' for n in documents)
    book = read_book(build({"META-INF/container.xml": CONTAINER, "OEBPS/content.opf": opf("3.0", "en", spine, manifest),
                            "OEBPS/nav.xhtml": nav, **{f"OEBPS/{n}.xhtml": d for n, d in documents.items()}}),
                     "parts.epub")
    assert chapters(book) == ["Part One — I", "Part One — II", "The Last Word"]


@pytest.mark.parametrize("encoding", ["idna", "undefined", "no-such-codec"])
def test_a_document_declaring_an_encoding_that_cannot_decode_is_read_as_utf8(encoding):
    data = f'<?xml version="1.0" encoding="{encoding}"?><p>caf\u00e9</p>'.encode()
    assert epubzip.markup_text(data) == data.decode()  # idna's and undefined's UnicodeError escaped the reader
