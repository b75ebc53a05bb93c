"""DOCX (books/docx.py): paragraphs in order, headings by style, lists, tables, verse, footnotes, metadata."""

from __future__ import annotations

from io import BytesIO

import pytest

from kokoro_narrator.books.reader import read_book, TextError

from support.formats import docx_book, PROSE

docx = pytest.importorskip("docx", reason="python-docx is not installed (pip install python-docx)")


def test_headings_become_chapters_with_levels_and_the_title_above_them():
    book = read_book(docx_book(), "book.docx")
    assert book.headings == ("The Word Book", "Chapter One", "Chapter Two")
    assert book.levels == (1, 2, 2)
    paragraphs = book.text.split("\n\n")
    assert paragraphs[:3] == ["The Word Book", "Chapter One", (PROSE * 3).strip()]
    assert "First item\nSecond item" in paragraphs  # a list: one paragraph, an item a line, no bullets
    assert ["Name, Age", "Ann, 40"] == [p for p in paragraphs if "," in p and len(p) < 12]  # a row a paragraph
    assert paragraphs[-1] == "Roses are red,\nviolets are blue."  # a soft line break keeps its line


def test_core_properties_are_the_metadata():
    book = read_book(docx_book(), "book.docx")
    assert book.metadata == {"title": "The Word Book", "authors": ["Ann Author", "Bob Writer"], "language": "en-GB",
                             "cover": None}


def test_a_footnote_is_read_at_the_end_of_its_chapter_and_its_marker_never():
    paragraphs = read_book(docx_book(footnote=True), "book.docx").text.split("\n\n")
    note = paragraphs.index("The note of the first chapter.")
    assert paragraphs[note + 1] == "Chapter Two"
    assert paragraphs[2].endswith("tone. Noted.")  # no number read after "Noted."


def test_a_style_based_on_a_heading_is_a_heading_and_word_s_contents_are_not_read():
    from docx.enum.style import WD_STYLE_TYPE

    document = docx.Document()
    style = document.styles.add_style("Chapter Head", WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = document.styles["Heading 1"]
    for name in ("One", "Two"):
        document.add_paragraph(f"Chapter {name}", style="Chapter Head")
        document.add_paragraph(PROSE)
    inserted = document.add_paragraph("Kept ")._p  # a tracked insertion is read, a deletion is not
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    from docx.oxml import parse_xml
    document.element.body.insert(0, parse_xml(
        f'<w:sdt xmlns:w="{w}"><w:sdtPr><w:docPartObj><w:docPartGallery w:val="Table of Contents"/></w:docPartObj>'
        '</w:sdtPr><w:sdtContent><w:p><w:r><w:t>Chapter One 1</w:t></w:r></w:p></w:sdtContent></w:sdt>'))
    inserted.append(parse_xml(f'<w:ins xmlns:w="{w}" w:id="1" w:author="a"><w:r><w:t>inserted</w:t></w:r></w:ins>'))
    inserted.append(parse_xml(f'<w:del xmlns:w="{w}" w:id="2" w:author="a"><w:r><w:delText>deleted</w:delText>'
                              '</w:r></w:del>'))
    buffer = BytesIO()
    document.save(buffer)
    book = read_book(buffer.getvalue(), "book.docx")
    assert book.headings == ("Chapter One", "Chapter Two")
    assert book.text.startswith("Chapter One\n\n") and "Chapter One 1" not in book.text
    assert book.warnings == ("not read: the table of contents",)
    assert book.text.endswith("Kept inserted")


def test_a_document_without_text_is_refused():
    buffer = BytesIO()
    docx.Document().save(buffer)
    with pytest.raises(TextError, match="holds no text"):
        read_book(buffer.getvalue(), "empty.docx")


@pytest.mark.parametrize("data, message", [
    (b"Just some text saved with the wrong name.", "not a zip archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "encrypted"),
])
def test_a_bad_docx_fails_with_a_clear_error(data, message):
    with pytest.raises(TextError, match=message):
        read_book(data, "book.docx")


def test_a_zip_that_is_no_word_document_is_refused():
    from support.epubs import epub3

    with pytest.raises(TextError, match="not a Word document"):
        read_book(epub3(), "book.docx")


def rezipped(data: bytes, parts: dict[str, bytes]) -> bytes:
    """The DOCX with parts replaced or added."""
    import zipfile

    out = BytesIO()
    with zipfile.ZipFile(BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, parts.pop(info.filename, None) or source.read(info.filename))
        for name, body in parts.items():
            target.writestr(name, body)
    return out.getvalue()


W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def test_an_xml_part_too_large_to_parse_is_refused_before_it_is_parsed(monkeypatch):
    from kokoro_narrator.books import docx as reader

    monkeypatch.setattr(reader, "MAX_XML_BYTES", 2**20)  # 64 MiB in the reader: 300 MB took over 4 GiB
    body = b"<w:p><w:r><w:t>x</w:t></w:r></w:p>" * 40000
    data = rezipped(docx_book(), {"word/document.xml": f"<w:document {W}><w:body>".encode() + body
                                  + b"</w:body></w:document>"})
    with pytest.raises(TextError, match=r"word/document.xml unpacks to more than 1 MiB \(a zip bomb"):
        read_book(data, "bomb.docx")


def test_notes_nested_deeper_than_python_recurses_are_left_out_with_a_warning():
    deep = "<w:r>" * 3000 + "<w:t>x</w:t>" + "</w:r>" * 3000  # a RecursionError escaped the reader
    notes = f'<w:footnotes {W}><w:footnote w:id="1"><w:p>{deep}</w:p></w:footnote></w:footnotes>'.encode()
    book = read_book(rezipped(docx_book(footnote=True), {"word/footnotes.xml": notes}), "deep.docx")
    assert "Chapter One" in book.headings and "The note of the first chapter." not in book.text
    assert "not read: the footnotes (the document's footnotes part nests too deep)" in book.warnings


def test_xml_beyond_the_parser_s_limits_says_so():
    deep = "<w:sdt><w:sdtContent>" * 200 + "<w:p><w:r><w:t>Deep</w:t></w:r></w:p>" + "</w:sdtContent></w:sdt>" * 200
    document = f"<w:document {W}><w:body>{deep}</w:body></w:document>".encode()
    data = rezipped(docx_book(), {"word/document.xml": document})
    with pytest.raises(TextError, match="XML cannot be read .*nested more than 256 deep.*save it again as .docx"):
        read_book(data, "deep.docx")
