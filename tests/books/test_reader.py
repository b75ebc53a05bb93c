"""books/reader.py: decoding, normalizing, unwrapping, Gutenberg and markdown cleanup."""

import codecs
import re

import pytest

from kokoro_narrator.books.reader import TextError, decode, read_book

PROSE = ("It was the best of times, it was the worst of times, it was the age of\n"
         "wisdom, it was the age of foolishness, it was the epoch of belief, it\n"
         "was the epoch of incredulity, it was the season of Light, it was the\n"
         "season of Darkness.\n")
JOINED = " ".join(PROSE.split())


def paragraphs(data: bytes, name: str = "book.txt") -> list[str]:
    return read_book(data, name).text.split("\n\n")


def letters(text: str) -> str:
    return re.sub(r"[\W_]", "", text)


# ----------------------------------------------------------------------------- decoding

@pytest.mark.parametrize("data, encoding", [
    ("Caf\u00e9 \u201cquoted\u201d".encode("utf-8"), "utf-8"),
    (codecs.BOM_UTF8 + "Caf\u00e9 \u201cquoted\u201d".encode("utf-8"), "utf-8-sig"),
    (codecs.BOM_UTF16_LE + "Caf\u00e9 \u201cquoted\u201d".encode("utf-16-le"), "utf-16"),
    (codecs.BOM_UTF16_BE + "Caf\u00e9 \u201cquoted\u201d".encode("utf-16-be"), "utf-16"),
    (codecs.BOM_UTF32_LE + "Caf\u00e9 \u201cquoted\u201d".encode("utf-32-le"), "utf-32"),
])
def test_unicode_encodings_are_read_exactly_without_a_warning(data, encoding):
    text, found, warnings = decode(data)
    assert (text, found, warnings) == ("Caf\u00e9 \u201cquoted\u201d", encoding, [])
    assert read_book(data, "a.txt").text == 'Caf\u00e9 "quoted"'


def test_cp1252_falls_back_with_a_warning_and_its_curly_quotes_become_straight():
    book = read_book(b"\x93Hello,\x94 she said. It\x92s caf\xe9.", "a.txt")
    assert book.encoding == "cp1252"
    assert book.text == "\"Hello,\" she said. It's caf\u00e9."
    assert len(book.warnings) == 1 and "not valid UTF-8" in book.warnings[0] and "cp1252" in book.warnings[0]


def test_latin1_is_the_last_fallback_for_bytes_cp1252_leaves_undefined():
    text, encoding, warnings = decode(b"na\xefve \x81ok")  # 0x81 is undefined in cp1252
    assert encoding == "latin-1" and text.startswith("na\u00efve") and "latin-1" in warnings[0]
    assert read_book(b"na\xefve \x81ok", "a.txt").text == "na\u00efve ok"  # the control character goes


def test_a_utf16_byte_order_mark_on_broken_utf16_is_refused():
    with pytest.raises(TextError, match="UTF-16"):
        decode(codecs.BOM_UTF16_LE + b"a\x00b")  # an odd number of bytes


@pytest.mark.parametrize("data, message", [
    (b"", "empty"),
    (b"  \n\r\n\t \x0c ", "empty"),
    (codecs.BOM_UTF8, "empty"),
    (codecs.BOM_UTF16_LE + "  \n ".encode("utf-16-le"), "empty"),
    (b"data\x00\x00\x01binary", "NUL bytes"),
    ("UTF-16 without a BOM".encode("utf-16-le"), "NUL bytes"),
    (bytes(range(1, 32)) * 20, "control characters"),
])
def test_unusable_input_is_refused_with_a_clear_error(data, message):
    with pytest.raises(TextError, match=message):
        read_book(data, "book.txt")


def test_text_error_is_a_value_error_that_says_what_to_do():
    with pytest.raises(ValueError, match="re-save it as UTF-8"):
        decode("xy".encode("utf-16-le"))


# ----------------------------------------------------------------------------- normalizing

def test_crlf_cr_bom_and_decomposed_accents_are_normalized():
    book = read_book(codecs.BOM_UTF8 + "Cafe\u0301 one\r\nline two\r\n\r\nNext.\rLine.".encode(), "a.txt")
    assert book.text == "Caf\u00e9 one line two\n\nNext. Line."


def test_invisible_characters_and_runs_of_spaces_go():
    book = read_book("soft\u00adhyphen zero\u200bwidth  two   spaces\tand\ttabs".encode(), "a.txt")
    assert book.text == "softhyphen zerowidth two spaces and tabs"


def test_paragraphs_are_separated_by_exactly_one_blank_line_with_no_trailing_spaces():
    text = read_book(b"  First.   \n\n\n\n \t \nSecond.  \n\n\n", "a.txt").text
    assert text == "First.\n\nSecond."


# ----------------------------------------------------------------------------- unwrapping

def test_a_hard_wrapped_gutenberg_paragraph_becomes_one_line():
    assert paragraphs((PROSE + "\n" + PROSE).encode()) == [JOINED, JOINED]


def test_verse_keeps_its_line_breaks_between_prose_paragraphs():
    verse = ("How doth the little crocodile\nImprove his shining tail,\n"
             "And pour the waters of the Nile\nOn every golden scale!\n")
    assert paragraphs((PROSE + "\n" + verse + "\n" + PROSE).encode()) == [JOINED, verse.strip(), JOINED]


def test_indented_verse_with_long_lines_keeps_its_line_breaks():
    verse = ("   'You are old, Father William,' the young man said,\n"
             "    'And your hair has become very white;\n"
             "   And yet you incessantly stand on your head--\n"
             "    Do you think, at your age, it is right?'\n")
    assert paragraphs((PROSE + "\n" + verse).encode())[1] == "\n".join(line.strip() for line in verse.splitlines())


def test_a_list_keeps_one_item_per_line_without_its_bullets():
    data = (PROSE + "\n- eggs and flour\n- milk\n* sugar\n\n1. Mix them.\n2. Bake them.\n").encode()
    assert paragraphs(data)[1:] == ["eggs and flour\nmilk\nsugar", "1. Mix them.\n2. Bake them."]


def test_a_file_with_one_long_paragraph_per_line_gets_one_paragraph_per_line():
    lines = [f"Paragraph {n} is a long line, as editors write it. " * (n + 3) for n in range(5)]
    assert paragraphs("\n".join(lines).encode()) == [line.strip() for line in lines]
    assert paragraphs("\n".join(lines[:1] * 5).encode()) == [lines[0].strip()] * 5  # even all alike


def test_scene_break_separators_are_not_read():
    data = (PROSE + "\n       *       *       *       *       *\n\n" + PROSE).encode()
    assert paragraphs(data) == [JOINED, JOINED]


# ----------------------------------------------------------------------------- Project Gutenberg

GUTENBERG = ("The Project Gutenberg eBook of X\nLicence words.\n"
             "*** START OF THE PROJECT GUTENBERG EBOOK X ***\n\n"
             "She was _very_ sure, _quite\nsure_, of snake_case.\n\n[Illustration]\n\n"
             "[Illustration: A caption\nover two lines]\n\nThe end.\n\n"
             "*** END OF THE PROJECT GUTENBERG EBOOK X ***\nMore licence text.\n")


def test_gutenberg_boilerplate_illustrations_and_emphasis_underscores_are_not_read():
    assert paragraphs(GUTENBERG.encode()) == ["She was very sure, quite sure, of snake_case.", "The end."]


def test_a_gutenberg_start_line_without_an_end_line_keeps_everything():
    text = read_book(GUTENBERG.split("*** END")[0].encode(), "a.txt").text
    assert "Licence words." in text and "*** START OF THE PROJECT GUTENBERG EBOOK X ***" in text


def test_corpus_books_lose_no_letters_and_come_out_clean(corpus):
    for name in ("pg11.txt", "pg1342.txt", "pg5200.txt"):
        raw = (corpus / name).read_bytes()
        book = read_book(raw, name)
        assert book.encoding in ("utf-8", "utf-8-sig") and book.warnings == ()
        assert letters(book.text) == letters(raw.decode("utf-8-sig"))
        assert "\r" not in book.text and "\n\n\n" not in book.text and not re.search(r" \n| $|  ", book.text)


def test_alice_reads_as_paragraphs_with_its_poems_kept_as_verse(corpus):
    found = paragraphs((corpus / "pg11.txt").read_bytes())
    assert found[0].startswith("Alice was beginning to get very tired of sitting by her sister on the bank,")
    assert "\n" not in found[0]
    assert ("'How doth the little crocodile\nImprove his shining tail,\nAnd pour the waters of the Nile\n"
            "On every golden scale!") in found
    assert "CHAPTER II. The Pool of Tears" in found


# ----------------------------------------------------------------------------- markdown

MARKDOWN = """---
title: A Book
author: Someone
---
# The Book

Some *emphasis*, **bold**, ***both***, ~~struck~~, `snake_case*ptr`, a
[link](https://example.com/a_(b)) and ![a picture](p.png).
<span class="x">Inline html</span> &amp; a footnote[^1]. Escaped \\*stars\\* and snake_case.
<!-- a comment
over two lines -->

## Chapter One

| Name | Age |
|------|----:|
| *Ann* | 30 |

```python
print("not read")
```

- first item
- second item
  continued
- [x] a done task

    an indented line under a list item

1. one
2. two

> A quotation
> over two lines.

Hard break here\x20\x20
next line.<br>And a tag break.

<script>alert("not read")</script>

Second Chapter
--------------

Text with a [reference link][r].

    indented code, not read

***

[^1]: The footnote text.

[r]: https://example.com "Title"
"""


def test_markdown_is_read_as_a_listener_should_hear_it():
    book = read_book(MARKDOWN.encode(), "notes.md")
    assert book.text.split("\n\n") == [
        "The Book",
        "Some emphasis, bold, both, struck, snake_case*ptr, a link and. Inline html & a footnote. "
        "Escaped *stars* and snake_case.",
        "Chapter One",
        "Name, Age\nAnn, 30",
        "first item\nsecond item continued\na done task\nan indented line under a list item",
        "1. one\n2. two",
        "A quotation over two lines.",
        "Hard break here\nnext line.\nAnd a tag break.",
        "Second Chapter",
        "Text with a reference link.",
        "The footnote text.",
    ]
    assert book.headings == ("The Book", "Chapter One", "Second Chapter")
    assert book.warnings == ("2 code block(s) skipped: code is not read aloud",)


def test_markdown_chapter_level_is_the_shallowest_repeated_heading_level():
    book = read_book(b"# Title\n\nIntro.\n\n## One\n\nA.\n\n### Aside\n\nB.\n\n## Two\n\nC.\n", "a.md")
    assert book.headings == ("Title", "One", "Two")
    assert "Aside" in book.text.split("\n\n")


def test_toml_front_matter_is_removed_too():
    assert read_book(b'+++\ntitle = "x"\n+++\n\nBody text.\n', "a.md").text == "Body text."


def test_a_leading_rule_around_prose_is_not_mistaken_for_front_matter():
    assert "Just prose here." in read_book(b"---\nJust prose here.\n---\n\nMore.\n", "a.md").text


def test_markdown_that_is_only_front_matter_is_refused():
    with pytest.raises(TextError, match="no readable text"):
        read_book(b"---\ntitle: Nothing\n---\n", "empty.md")


def test_markdown_that_is_only_code_is_refused():
    with pytest.raises(TextError, match="no readable text"):
        read_book(b"```\ncode\n```\n", "code.MD")


def test_an_unclosed_code_fence_reads_the_rest_and_warns():
    book = read_book(b"Before.\n\n```\nthe rest of the book\n", "a.md")
    assert book.text == "Before.\n\nthe rest of the book"
    assert "unclosed code fence" in book.warnings[0]


def test_markdown_rules_do_not_apply_to_plain_text():
    assert read_book(b"# not a heading *really*\n", "a.txt").text == "# not a heading *really*"
    assert read_book(b"# a heading *really*\n", "a.MD").headings == ("a heading really",)


# ----------------------------------------------------------------------------- metadata

def test_a_gutenberg_header_gives_the_title_author_and_language():
    header = "Title: A Christmas Carol\r\n\r\nAuthor: Charles Dickens\r\n\r\nLanguage: English\r\n\r\n"
    book = read_book((header + "*** START OF THE PROJECT GUTENBERG EBOOK A CHRISTMAS CAROL ***\r\n\r\n"
                      "Marley was dead: to begin with.\r\n\r\n*** END OF THE PROJECT GUTENBERG EBOOK ***\r\n").encode(),
                     "carol.txt")
    assert book.metadata == {"title": "A Christmas Carol", "authors": ["Charles Dickens"], "language": "en"}
    assert book.text == "Marley was dead: to begin with."


def test_plain_text_without_a_gutenberg_header_has_empty_metadata_and_no_cover():
    from kokoro_narrator.books.metadata import source_metadata

    book = read_book(b"Title: not a header\n\nJust text.", "a.txt")
    assert book.metadata == {"title": None, "authors": [], "language": None}
    assert source_metadata(book, "a") == ({"title": None, "authors": [], "language": None, "cover": None}, [])
