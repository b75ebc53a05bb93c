"""pdf.py and pdflayout.py: a PDF's text layer read as paragraphs, page furniture out, columns in order,
hyphens rejoined, notes after their paragraph, chapters from the outline, metadata, bad PDFs."""

import pytest

from kokoro_narrator.books.parts import BookError
from kokoro_narrator.books.pdf import read_pdf
from kokoro_narrator.books.reader import TextError, read_book

from support.pdfs import pdf, typeset, wrap

SENTENCES = ["The lamp was lit at dusk, and the road beyond the gate went on into the hills.",
             "Nobody had walked there for a long time, and the grass stood high between the stones.",
             "She counted the windows of the mill as she passed, seven on one side and five on the other.",
             "A dog barked somewhere below the bridge, then thought better of it and was quiet.",
             "The keeper came out with his coat over one arm and looked at the sky for a while."]


def prose(number: int, sentences: int = 4) -> str:
    """A paragraph of its own: numbered, so that a paragraph out of place shows."""
    return f"Paragraph {number} begins here. " + " ".join(SENTENCES[(number + k) % 5] for k in range(sentences))


def furnished(pages: list[list[tuple]], title: str = "THE LAMP BOOK") -> list[list[tuple]]:
    """Each page with a running header (the book's title on even pages, the chapter on odd ones) and its number."""
    for number, lines in enumerate(pages):
        header = title if number % 2 else "Chapter One: The Gate"
        lines.insert(0, (72, 800, header, 9))
        lines.append((290, 40, str(number + 1), 9))
    return pages


# ----------------------------------------------------------------------------- paragraphs and furniture


def test_paragraphs_are_rebuilt_and_running_headers_footers_and_page_numbers_are_not_read():
    paragraphs = [prose(n) for n in range(24)]
    pages = furnished(typeset(paragraphs))
    assert len(pages) >= 3
    book = read_pdf(pdf(pages))
    assert book.paragraphs == paragraphs  # paragraphs going on over a page break are one
    assert book.headings == [] and book.titles == []  # no outline: the chunker finds headings as in plain text
    assert any("running headers and footers" in w and "page numbers" in w for w in book.warnings)


def test_page_numbers_in_other_spellings_are_not_read():
    pages = typeset([prose(n) for n in range(24)])
    for number, lines in enumerate(pages):
        spelled = [f"- {number + 1} -", f"Page {number + 1}", f"{'i' * (number + 1)}", f"{number + 1} of 9"][number % 4]
        lines.append((500, 800, spelled, 9))
    book = read_pdf(pdf(pages))
    assert book.paragraphs == [prose(n) for n in range(24)]


def test_a_line_like_a_header_inside_the_text_is_read():
    paragraphs = [prose(n) for n in range(24)]
    pages = furnished(typeset(paragraphs[:3] + ["THE LAMP BOOK"] + paragraphs[3:]))
    book = read_pdf(pdf(pages))
    assert "THE LAMP BOOK" in book.paragraphs  # not at a page's edge: text


def test_short_lines_and_headings_end_their_paragraph():
    verse = ["The road goes ever on,", "Down from the door,", "And I must follow."]
    pages = [[(72, 760, "A Heading In Its Own Size", 16)]
             + [(72, 730 - 14 * k, line, 11) for k, line in enumerate(verse)]
             + [(90, 688 - 14 * k, line, 11) for k, line in enumerate(wrap(prose(1), 450, 11, 18))]]
    book = read_pdf(pdf(pages))
    assert book.paragraphs == ["A Heading In Its Own Size", *verse, prose(1)]


def test_a_word_hyphenated_at_a_line_end_is_joined_and_a_compound_keeps_its_hyphen():
    lines = ["She gave an example of the well-known road and the mill on its", "hill, and then another exam-",
             "ple of the old mill on the well-", "known road, as the keeper of the mill-",
             "pond had told her once; a tea-", "time story, and an Anglo-", "Saxon one, for half-an-",
             "hour or half-", "a day."]
    book = read_pdf(pdf([[(72, 760 - 14 * k, line, 11, 330 if k + 1 < len(lines) else None)
                          for k, line in enumerate(lines)]]))
    assert book.paragraphs == ["She gave an example of the well-known road and the mill on its hill, and then "
                               "another example of the old mill on the well-known road, as the keeper of the "
                               "millpond had told her once; a teatime story, and an Anglo-Saxon one, for half-an-hour or "
                               "half-a day."]


# ----------------------------------------------------------------------------- columns, notes


def test_two_columns_are_read_left_then_right_even_when_written_side_by_side():
    left = wrap(prose(1, 6), 220, 11, 12) + wrap(prose(2, 3), 220, 11, 12)
    right = wrap(prose(3, 6), 220, 11, 12)
    indent_left = {0, len(wrap(prose(1, 6), 220, 11, 12))}
    page = [(72, 800, "A Title Over Both Columns", 16)]
    for k in range(max(len(left), len(right))):  # one row of both columns after the other, as some writers do
        if k < len(left):
            page.append((50 + (12 if k in indent_left else 0), 760 - 14 * k, left[k]))
        if k < len(right):
            page.append((320 + (12 if k == 0 else 0), 760 - 14 * k, right[k]))
    book = read_pdf(pdf([page]))
    assert book.paragraphs == ["A Title Over Both Columns", prose(1, 6), prose(2, 3), prose(3, 6)]


def test_note_markers_are_not_read_and_footnotes_are_read_after_their_paragraph():
    text = prose(1).replace("stones.", "stones,{^1} said the keeper.") + " So he went in.{^2}"
    page = [(90 if k == 0 else 72, 760 - 14 * k, line) for k, line in enumerate(wrap(text, 450, 11, 18))]
    page += [(72, 120, "{^1}The keeper was old.", 8), (72, 110, "{^2}He always went in.", 8)]
    following = [(90, 760, prose(2, 1))]
    book = read_pdf(pdf([page, following]))
    assert book.paragraphs == [text.replace("{^1}", "").replace("{^2}", ""), "The keeper was old.",
                               "He always went in.", prose(2, 1)]
    assert any("2 footnotes" in w for w in book.warnings)


# ----------------------------------------------------------------------------- outline, metadata


def test_chapters_come_from_the_outline_and_metadata_from_the_document():
    paragraphs = [("Part One", 20), ("Chapter 1: The Gate", 16), prose(1), prose(2), ("Chapter 2: The Hills", 16),
                  prose(3), prose(4, 30), ("Chapter 3", 16), prose(5)]
    pages = typeset(paragraphs)
    where = {line[2]: (number, line[1]) for number, lines in enumerate(pages) for line in lines}
    outline = [("Part One", *where["Part One"], 1), ("Chapter 1: The Gate", *where["Chapter 1: The Gate"], 2),
               ("Chapter 2: The Hills", *where["Chapter 2: The Hills"], 2),
               ("The Third Chapter", where["Chapter 3"][0], where["Chapter 3"][1] - 6, 2)]  # a little below
    book = read_pdf(pdf(pages, outline, info={"Title": "The Lamp Book", "Author": "Ann Lee; Bo Chen"},
                        lang="en-GB"))
    assert book.headings == ["Part One", "Chapter 1: The Gate", "Chapter 2: The Hills", "Chapter 3"]
    assert book.titles == ["Part One", "Chapter 1: The Gate", "Chapter 2: The Hills", "The Third Chapter"]
    assert book.levels == [1, 2, 2, 2]
    assert book.metadata["title"] == "The Lamp Book"
    assert book.metadata["authors"] == ["Ann Lee", "Bo Chen"]
    assert book.metadata["language"] == "en-GB"


def test_read_book_reads_a_pdf():
    paragraphs = [("Chapter 1", 16), "\u201cIt was late,\u201d she said."]
    pages = typeset(paragraphs)
    book = read_book(pdf(pages, [("Chapter 1", 0, 770, 1)], info={"Title": "T"}), "Book.PDF")
    assert book.text == 'Chapter 1\n\n"It was late," she said.'  # cleaned as every format is: quotes straight
    assert book.headings == ("Chapter 1",) and book.titles == ("Chapter 1",)
    assert book.metadata["title"] == "T"


# ----------------------------------------------------------------------------- bad PDFs


def test_a_scanned_pdf_is_refused_since_no_ocr_is_done():
    with pytest.raises(BookError, match=r"no text layer \(a scan\?\); kokoro-narrator does not do OCR"):
        read_pdf(pdf([[], []], scanned={0, 1}))
    with pytest.raises(TextError, match="does not do OCR"):
        read_book(pdf([[]], scanned={0}), "scan.pdf")


def test_a_scanned_page_among_text_pages_is_named_in_a_warning():
    pages = typeset([prose(n) for n in range(3)]) + [[]]
    book = read_pdf(pdf(pages, scanned={len(pages) - 1}))
    assert book.paragraphs == [prose(n) for n in range(3)]
    assert f"not read: page {len(pages)}, a picture without a text layer (scanned? no OCR is done)" in book.warnings


def test_a_pdf_without_any_text_is_refused():
    with pytest.raises(BookError, match="holds no text"):
        read_pdf(pdf([[]]))


def test_an_encrypted_pdf_is_refused_with_what_to_do():
    with pytest.raises(BookError, match="password-protected: open it with its password"):
        read_pdf(pdf(typeset([prose(1)]), encrypted=True))


@pytest.mark.parametrize("data, message", [
    (b"%PDF-1.4\nthis is not a PDF at all\n%%EOF\n", "the PDF is damaged"),
    (b"PK\x03\x04 a zip", "not a PDF"),
])
def test_a_broken_pdf_is_refused(data, message):
    with pytest.raises(BookError, match=message):
        read_pdf(data)


def test_a_truncated_pdf_is_read_or_refused_never_crashes():
    data = pdf(typeset([prose(n) for n in range(24)]))
    for cut in (len(data) // 3, len(data) // 2, len(data) - 40):
        try:
            book = read_pdf(data[:cut])
        except BookError:
            continue
        assert all(isinstance(p, str) for p in book.paragraphs)


def test_a_page_of_tiny_characters_in_long_lines_is_read_in_linear_time():
    """One line of 12,000 letters and a paragraph of 300 lines of 100 letters (a hostile or broken PDF): each line
    used to be searched again for each character, the paragraph for each line (seconds, minutes at 100,000)."""
    import time

    page = [(10, 800, "a" * 12000, 0.5)] + [(10, 700 - k * 0.5, "b" * 100, 0.5) for k in range(300)]
    start = time.monotonic()
    book = read_pdf(pdf([page]))
    assert time.monotonic() - start < 1.5
    assert sum(p.count("a") for p in book.paragraphs) == 12000 and sum(p.count("b") for p in book.paragraphs) == 30000
