"""Every format by its suffix (reader.py), and bad files refused with a reason that names the format (magic.py)."""

from __future__ import annotations

import sys

import pytest

from kokoro_narrator.books.reader import BOOK_SUFFIXES, read_book, source_suffix, TextError

from support.epubs import epub3
from support.formats import docx_book, fb2_book


@pytest.mark.parametrize("name, suffix", [
    ("a.txt", ".txt"), ("a.MD", ".md"), ("a.epub", ".epub"), ("a.docx", ".docx"), ("a.fb2", ".fb2"),
    ("a.fb2.zip", ".fb2.zip"), ("a.fbz", ".fbz"), ("a.HTM", ".htm"), ("a.xhtml", ".xhtml"), ("a.pdf", ".pdf"),
    ("a.azw3", ".azw3"), ("a.azw", ".azw"), ("a.mobi", ".mobi"), ("a.rtf", ".rtf"), ("a.odt", ".odt"),
    ("a.zip", ".txt"), ("notes", ".txt"),
])
def test_the_source_copy_keeps_the_suffix_its_reader_needs(name, suffix):
    assert source_suffix(name) == suffix
    assert suffix in BOOK_SUFFIXES


@pytest.mark.parametrize("data, name, message", [
    (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj", "book.txt", r"a PDF document: name it \*\.pdf"),
    (b"Not a zip at all, only text.", "book.docx", "not a zip archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "book.docx", "encrypted .password-protected."),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "book.txt", "old Word document .* password"),
    (b"{\\rtf1\\ansi Hello}", "book.txt", r"an RTF document: name it \*\.rtf"),
    (bytes(60) + b"BOOKMOBI" + bytes(40), "book.txt", r"Kindle .MOBI/AZW. book: name it \*\.mobi"),
    (b"\x89PNG\r\n\x1a\n" + bytes(40), "book.md", "a PNG image, not a book"),
])
def test_bad_files_fail_with_a_clear_reason(data, name, message):
    with pytest.raises(TextError, match=message):
        read_book(data, name)


@pytest.mark.parametrize("builder, suffix", [(epub3, r"\*\.epub"), (docx_book, r"\*\.docx")])
def test_a_zipped_book_named_txt_is_named_by_what_it_holds(builder, suffix):
    with pytest.raises(TextError, match=f"not plain text: the file is an? .*: name it {suffix}"):
        read_book(builder(), "book.txt")


def test_an_fb2_named_txt_is_read_as_the_text_it_is():
    assert "Calm means still" in read_book(fb2_book(), "book.txt").text  # XML is text: no magic refuses it


def test_pdf_without_its_reader_says_pdf_support_is_not_installed(monkeypatch):
    monkeypatch.setitem(sys.modules, "kokoro_narrator.books.pdf", None)  # the import fails
    with pytest.raises(TextError, match="PDF support is not installed"):
        read_book(b"%PDF-1.4\n", "book.pdf")
