"""FB2 (books/fb2.py): sections as chapters with levels, verse, epigraphs, notes, title-info and the cover."""

from __future__ import annotations

import zipfile
from io import BytesIO

import pytest

from kokoro_narrator.books.reader import read_book, TextError

from support.epubs import PNG
from support.formats import fb2_book


def test_sections_are_chapters_and_nested_sections_one_level_deeper():
    book = read_book(fb2_book(), "book.fb2")
    assert book.headings == ("Anna Writer. The Sea Book", "Part One", "Chapter 1. The Shore", "Chapter 2",
                             "Part Two", "Chapter 3", "Chapter 4")
    assert book.levels == (1, 2, 3, 3, 2, 3, 3)


def test_verse_epigraphs_tables_and_notes_are_read_in_their_place():
    paragraphs = read_book(fb2_book(), "book.fb2").text.split("\n\n")
    assert paragraphs[1:3] == ["All is water.", "Thales"]
    assert "The sea was calm today." in paragraphs  # the note link's number is not read
    assert "Waves come in,\nwaves go out." in paragraphs
    assert "Wind, strong" in paragraphs
    note = paragraphs.index("Calm means still.")
    assert paragraphs[note + 1] == "Chapter 2"  # after the chapter that refers to it
    assert paragraphs[-1] == "A note no link names."  # at the end of the book
    assert "Notes" not in paragraphs and "1" not in paragraphs


def test_title_info_is_the_metadata_and_the_cover_comes_from_its_binary():
    metadata = read_book(fb2_book(), "book.fb2").metadata
    assert metadata["title"] == "The Sea Book"
    assert metadata["authors"] == ["Anna K. Writer", "Sailor"]
    assert metadata["language"] == "en"
    assert metadata["cover"] == {"media_type": "image/png", "data": PNG}


def test_the_encoding_the_xml_declares_is_read():
    book = read_book(fb2_book("\u041c\u043e\u0440\u0435", encoding="windows-1251"), "book.fb2")
    assert book.metadata["title"] == "\u041c\u043e\u0440\u0435"


@pytest.mark.parametrize("name", ["book.fb2.zip", "book.fbz", "BOOK.FB2.ZIP"])
def test_a_zipped_fb2_is_read(name):
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("inner/book.fb2", fb2_book())
    assert read_book(buffer.getvalue(), name).headings[1] == "Part One"


@pytest.mark.parametrize("data, name, message", [
    (b"<FictionBook><body><p>broken", "book.fb2", "does not parse"),
    (b"<html><body><p>Not a book</p></body></html>", "book.fb2", "not <FictionBook>"),
    (b'<FictionBook xmlns="http://www.gribuser.ru/xml/fictionbook/2.0"><body><image/></body></FictionBook>',
     "book.fb2", "holds no text"),
    (b"PK\x03\x04 not a zip", "book.fb2.zip", "not a readable zip"),
])
def test_a_bad_fb2_fails_with_a_clear_error(data, name, message):
    with pytest.raises(TextError, match=message):
        read_book(data, name)


def test_a_zip_without_an_fb2_is_refused():
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(TextError, match="holds no .fb2"):
        read_book(buffer.getvalue(), "book.fb2.zip")


@pytest.mark.parametrize("tag, inner", [("section", "<p>x</p>"), ("epigraph", "<p>x</p>"), ("emphasis", "x")])
def test_nesting_deeper_than_python_recurses_is_refused_with_a_clear_error(tag, inner):
    nested = f"<{tag}>" * 3000 + inner + f"</{tag}>" * 3000
    body = f"<section><p>{nested}</p></section>" if tag == "emphasis" else f"<section>{nested}</section>"
    data = (f'<?xml version="1.0"?><FictionBook xmlns="http://www.gribuser.ru/xml/fictionbook/2.0"><body>{body}</body>'
            "</FictionBook>").encode()
    with pytest.raises(TextError, match="nests its elements too deep"):  # a RecursionError escaped the reader
        read_book(data, "deep.fb2")
