"""normalize.py: the text a narrator reads, rule by rule, traps included (Roman numerals: test_roman.py; capitals: test_capitals.py)."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from kokoro_narrator.chapters.chunker import plan_chunks
from kokoro_narrator.synthesis.g2p import G2P, Utterance
from kokoro_narrator.narration.normalize import normalize
from kokoro_narrator.books.reader import read_book

from support.jobs import add_book
from support.text import said


# ----------------------------------------------------------------------------- punctuation, web, numbers


@pytest.mark.parametrize("text, expected", [
    ("JOURNAL--continued", "Journal\u2014continued"),
    ("5 May.--I must go.", "5 May.\u2014I must go."),
    ("He said -- no.", "He said \u2014 no."),
    ("Wait . . . what?", "Wait ... what?"),
    ("Wait\u2026 what?", "Wait\u2026 what?"),
])
def test_double_hyphens_become_a_pause_and_ellipses_are_kept(text, expected):
    assert said(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("cats, dogs, &c. The end", "cats, dogs, et cetera. The end"),
    ("cats &c. and dogs", "cats et cetera and dogs"),
    ("this, i.e. that", "this, that is that"),
    ("fruit, e.g. apples", "fruit, for example apples"),
    ("St. Paul lived in Baker St. He", "Saint Paul lived in Baker Street. He"),
    ("Fleet St., London", "Fleet Street, London"),
    ("No. 5 Baker Street", "No. 5 Baker Street"),  # misaki reads "number five" itself
])
def test_abbreviations_are_read_as_spoken(text, expected):
    assert said(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("see https://git-scm.com/book/en now", "see git-scm dot com now"),
    ("at www.gutenberg.org.", "at gutenberg dot org."),
    ("mail foo@example.com today", "mail foo at example dot com today"),
    ("open setup.py", "open setup dot py"),
])
def test_urls_e_mails_and_file_names_are_read_as_sites_and_names(text, expected):
    assert said(text) == expected


def test_a_paragraph_that_is_only_an_image_file_name_is_not_read_but_reported():
    result = normalize("Some text.\n\nInsert 18333fig0101.png\n\nMore text.")
    assert result.text == "Some text.\n\nMore text."
    assert result.skipped == ("Insert 18333fig0101.png",)


@pytest.mark.parametrize("text, expected", [
    ("At 8:35 he left", "At eight thirty-five he left"),
    ("at 10:00 sharp", "at ten o'clock sharp"),
    ("at 9:05 a.m.", "at nine oh five a.m."),
    ("about 1/2 of it", "about one half of it"),
    ("7 1/2 miles and 3/4 of an hour", "7 and a half miles and three quarters of an hour"),
    ("1914-1918", "1914 to 1918"),
    ("after 9/11 and at 24/7", "after 9/11 and at 24/7"),  # not fractions
    ("pages 5\u201310", "pages 5 to 10"),
    ("the 3rd of May, 1897, for $5.50", "the 3rd of May, 1897, for $5.50"),  # misaki reads these right
])
def test_numbers_misaki_misreads_are_written_out_and_the_rest_left_to_it(text, expected):
    assert said(text) == expected


def test_text_inside_lexicon_markup_is_never_rewritten():
    text = "[HARKER](/hˈɑɹkəɹ/) came at 8:35--late. [IV](/Ivˈi/)"
    assert said(text) == "[HARKER](/hˈɑɹkəɹ/) came at eight thirty-five\u2014late. [IV](/Ivˈi/)"


def test_paragraph_breaks_and_verse_lines_are_kept():
    text = "CHAPTER I\n\nline one\nline two\n\nEnd."
    assert said(text) == "Chapter One\n\nline one\nline two\n\nEnd."


# ----------------------------------------------------------------------------- properties


WORDS = st.sampled_from(["I", "IV", "VII", "MIX", "CHAPTER", "Henry", "War", "HARKER'S", "NASA", "the", "a", "8:35",
                         "1/2", "7", "1914-1918", "&c.", "i.e.", "St.", "Paul", "x.png", "--", "...", "\u2014",
                         "hello", "3rd", "$5", "10:00", "XXIV", "LIVID", "Louis", "XIV", "BBC", "Ch.", "e.g."])
SEPARATORS = st.sampled_from([" ", " ", ", ", ". ", "\n", "\n\n", "--", ": "])


@st.composite
def book_texts(draw) -> str:
    parts = draw(st.lists(st.tuples(WORDS, SEPARATORS), min_size=1, max_size=25))
    return "".join(word + separator for word, separator in parts)


def spoken_units(text: str) -> int:
    """Letters and digits: what G2P could speak."""
    return sum(ch.isalnum() for ch in text)


def words(text: str) -> int:
    return len(re.findall(r"[^\W_]+", text))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(book_texts(), st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80)))
def test_normalization_never_drops_a_letter_or_digit_it_only_rewrites_them(text):
    assume("://" not in text and "www." not in text.lower())  # a URL is read as its site, by design
    english = normalize(text, "a")
    assert spoken_units(english.text) + spoken_units("".join(english.skipped)) >= spoken_units(text)
    for lang_code in ("a", "f"):  # in French, "IV" may become "4": fewer letters, never fewer words
        result = normalize(text, lang_code)
        assert words(result.text) + words(" ".join(result.skipped)) >= words(text)
        assert normalize(text, lang_code) == result  # deterministic


# ----------------------------------------------------------------------------- through G2P


def test_g2p_reads_normalized_headings_as_words(tiny_engine):
    g2p = G2P(tiny_engine.pipeline)

    def phonemes(text):
        return " ".join(call.phonemes for call in g2p(Utterance(text, True)))

    assert phonemes("CHAPTER IV.") != phonemes(said("CHAPTER IV."))
    assert phonemes(said("CHAPTER IV.")) == phonemes("Chapter Four.")
    assert phonemes(said("Henry VIII")) == phonemes("Henry the Eighth")
    assert phonemes(said("JONATHAN HARKER'S JOURNAL")) == phonemes("Jonathan Harker's Journal")
    assert phonemes(said("JOURNAL--continued")) == phonemes("Journal\u2014continued")
    assert phonemes(said("NASA")) == phonemes("NASA")


def test_no_corpus_heading_reaches_g2p_with_a_roman_numeral_or_capitals_name(corpus):
    for path in sorted(corpus.glob("*.txt")):
        book = read_book(path.read_bytes(), path.name)
        plan = plan_chunks(book.text, 20000, book.headings)
        seen = {0}  # the opening has no heading
        for chunk in plan.chunks:
            if chunk.chapter in seen:
                continue
            seen.add(chunk.chapter)
            first = normalize(chunk.text).text.split("\n\n")[0]
            assert not re.search(r"\b[IVXLC]{1,7}\b", first), (path.name, first)
            assert not re.search(r"\b[A-Z]{4,}\b", first), (path.name, first)
            assert "--" not in first


def test_a_job_records_the_paragraphs_it_does_not_read(config):
    from kokoro_narrator.jobs import JobStore, chunk_texts

    store = JobStore(config.paths.jobs)
    job, _ = add_book(store, "git.txt", b"CHAPTER I.\n\nInsert 18333fig0101.png\n\nGit is fast.\n", config)
    texts = chunk_texts(store, job)
    assert "png" not in " ".join(texts) and "Chapter One." in texts[0]
    assert job.source["not_read"] == ["Insert 18333fig0101.png"] and job.source["lexicon_used"] == {}
