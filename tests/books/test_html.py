"""A single HTML or XHTML file (books/html.py): h1..h6 as chapters, the head as metadata, the charset."""

from __future__ import annotations

import codecs

import pytest

from kokoro_narrator.books.reader import read_book, TextError

from support.formats import html_book


@pytest.mark.parametrize("name", ["book.html", "book.htm", "book.xhtml", "BOOK.HTML"])
def test_headings_are_chapters_at_the_shallowest_level_used_twice_and_above(name):
    book = read_book(html_book(), name)
    assert book.headings == ("A Page Book", "Chapter One", "Chapter Two")
    assert book.levels == (1, 2, 2)


def test_the_text_is_what_a_reader_sees():
    paragraphs = read_book(html_book(), "book.html").text.split("\n\n")
    assert paragraphs[2] == 'It was "fine", caf\u00e9.'  # the note marker is not read, quotes straight
    assert ["Name, Age", "Ann, 40"] == paragraphs[4:6]
    assert paragraphs[-1] == "The note."  # notes at the end
    text = "\n\n".join(paragraphs)
    assert "not read" not in text and "margin" not in text and "picture" not in text


def test_the_head_is_the_metadata():
    assert read_book(html_book(), "book.html").metadata == {
        "title": "A Page Book", "authors": ["Jo Smith"], "language": "en-US", "cover": None}


@pytest.mark.parametrize("data, encoding", [
    (html_book(charset="windows-1252"), "windows-1252"),
    (html_book(charset="iso-8859-1"), "iso-8859-1"),
    (codecs.BOM_UTF8 + html_book().replace(b'<meta charset="utf-8">', b""), "utf-8-sig"),
    (html_book().replace(b'<meta charset="utf-8">', b""), "utf-8"),
    (html_book(charset="windows-1252").replace(b'<meta charset="windows-1252">', b""), "cp1252"),
    (html_book().replace(b'charset="utf-8"', b'charset="no-such-thing"'), "utf-8"),
    (html_book().replace(b'charset="utf-8"', b'charset="idna"'), "utf-8"),  # its UnicodeError escaped the reader
    (html_book().replace(b'charset="utf-8"', b'charset="undefined"'), "utf-8"),
])
def test_the_charset_is_the_meta_s_else_the_bom_s_else_utf8_else_cp1252(data, encoding):
    book = read_book(data, "book.html")
    assert book.encoding == encoding
    assert "caf\u00e9" in book.text
    assert bool(book.warnings) == (encoding == "cp1252")


def test_an_xhtml_file_with_an_xml_declaration():
    page = ('<?xml version="1.0" encoding="iso-8859-1"?><html xmlns="http://www.w3.org/1999/xhtml" xml:lang="fr">'
            "<head><title>Livre</title></head><body><h1>Un</h1><p>Caf\u00e9.</p><h1>Deux</h1><p>Fin.</p></body></html>")
    book = read_book(page.encode("latin-1"), "livre.xhtml")
    assert book.headings == ("Un", "Deux") and "Caf\u00e9." in book.text
    assert book.metadata["language"] == "fr" and book.metadata["title"] == "Livre"


def test_a_project_gutenberg_page_is_read_between_its_start_and_end_lines():
    page = ("<html><head><title>The Project Gutenberg eBook of Tales</title></head><body>"
            "<p>Title: Tales</p><p>Author: Some One</p>"
            "<p>*** START OF THE PROJECT GUTENBERG EBOOK TALES ***</p>"
            "<h2>I</h2><p>Once upon a time.</p><h2>II</h2><p>The end.</p>"
            "<p>*** END OF THE PROJECT GUTENBERG EBOOK TALES ***</p><p>The licence, at length.</p></body></html>")
    book = read_book(page.encode(), "tales.html")
    assert book.text == "I\n\nOnce upon a time.\n\nII\n\nThe end."
    assert book.headings == ("I", "II")
    assert book.metadata["authors"] == ["Some One"]


def test_a_page_without_text_is_refused():
    with pytest.raises(TextError, match="holds no text"):
        read_book(b"<html><head><title>Only a title</title></head><body><img src=a.png></body></html>", "x.html")


def test_a_pdf_named_html_is_refused_by_name_not_read_as_markup():
    from support.pdfs import pdf

    with pytest.raises(TextError, match=r"not HTML: the file is a PDF document: name it \*.pdf"):
        read_book(pdf([[(72, 700, "A line of the book.")]]), "book.html")
