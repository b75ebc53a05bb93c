import codecs

import pytest

from kokoro_tts.text import TextError, decode, read_book

PROSE = ("It was the best of times, it was the worst of times, it was the age of\n"
         "wisdom, it was the age of foolishness, it was the epoch of belief, it\n"
         "was the epoch of incredulity.\n")


@pytest.mark.parametrize("data, encoding", [
    ("Caf\u00e9 \u201cquoted\u201d".encode("utf-8"), "utf-8"),
    (codecs.BOM_UTF8 + "Caf\u00e9".encode("utf-8"), "utf-8-sig"),
    ("Caf\u00e9 \u201cquoted\u201d".encode("utf-16"), "utf-16"),
    (codecs.BOM_UTF16_BE + "Caf\u00e9".encode("utf-16-be"), "utf-16"),
])
def test_unicode_encodings_are_read_exactly(data, encoding):
    text, found, warnings = decode(data)
    assert found == encoding and text.startswith("Caf\u00e9") and warnings == []


def test_cp1252_falls_back_with_a_warning_and_curly_quotes_become_straight():
    book = read_book(b"\x93Hello,\x94 she said. It\x92s caf\xe9.", "a.txt")
    assert book.encoding == "cp1252"
    assert book.text == "\"Hello,\" she said. It's caf\u00e9."
    assert book.warnings == ("not valid UTF-8; decoded as cp1252",)


def test_latin1_is_the_last_fallback():
    text, encoding, warnings = decode(b"na\xefve \x81")  # 0x81 is undefined in cp1252
    assert encoding == "latin-1" and text.startswith("na\u00efve") and warnings


@pytest.mark.parametrize("data, message", [
    (b"", "empty"),
    (b"  \n\r\n\t ", "empty"),
    (b"PK\x03\x04\x00\x00binary", "NUL"),
    (bytes(range(1, 32)) * 20, "control characters"),
])
def test_unusable_input_is_refused_with_a_clear_error(data, message):
    with pytest.raises(TextError, match=message):
        read_book(data, "book.txt")


def test_crlf_and_bom_are_normalized_and_nfc_applied():
    book = read_book(codecs.BOM_UTF8 + "Cafe\u0301 one\r\nline two\r\n\r\nNext.\r".encode(), "a.txt")
    assert book.text == "Caf\u00e9 one line two\n\nNext."


def test_hard_wrapped_paragraphs_are_joined_into_one_line():
    book = read_book((PROSE + "\n" + PROSE).encode(), "a.txt")
    paragraphs = book.text.split("\n\n")
    assert len(paragraphs) == 2 and "\n" not in paragraphs[0]
    assert paragraphs[0].startswith("It was the best of times") and "age of wisdom" in paragraphs[0]


def test_verse_keeps_its_line_breaks():
    verse = "How doth the little crocodile\nImprove his shining tail,\nAnd pour the waters of the Nile\nOn every golden scale!\n"
    book = read_book((PROSE + "\n" + PROSE + "\n" + verse).encode(), "a.txt")
    assert book.text.split("\n\n")[-1] == verse.strip()


def test_gutenberg_boilerplate_and_emphasis_are_not_read():
    data = ("The Project Gutenberg eBook of X\n*** START OF THE PROJECT GUTENBERG EBOOK X ***\n\n"
            "She was _very_ sure.\n\n*** END OF THE PROJECT GUTENBERG EBOOK X ***\nLicence text.\n").encode()
    assert read_book(data, "x.txt").text == "She was very sure."


MARKDOWN = """---
title: A Book
author: Someone
---
# Chapter One

Some *emphasis*, **bold**, `code`, a [link](https://example.com) and ![a picture](p.png).
<span class="x">Inline html</span> and a footnote[^1].

Second Part
-----------

| Name | Age |
|------|----:|
| Ann  | 30  |

```python
print("not read")
```

- first item
- second item

> A quotation.

[^1]: The footnote text.
[ref]: https://example.com
"""


def test_markdown_is_read_as_a_listener_should_hear_it():
    book = read_book(MARKDOWN.encode(), "notes.md")
    assert book.headings == ("Chapter One", "Second Part")
    assert book.text.split("\n\n") == [
        "Chapter One",
        "Some emphasis, bold, code, a link and . Inline html and a footnote.",
        "Second Part",
        "Name, Age",
        "Ann, 30",
        "first item\nsecond item",
        "A quotation.",
        "The footnote text.",
    ]
    assert any("code block" in w for w in book.warnings)


def test_markdown_with_only_front_matter_is_refused():
    with pytest.raises(TextError, match="no readable text"):
        read_book(b"---\ntitle: Nothing\n---\n", "empty.md")
