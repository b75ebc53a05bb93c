"""normalize.py, roman.py, capitals.py: the text a narrator reads, rule by rule, traps included."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from kokoro_narrator.narration.capitals import capitals, is_acronym
from kokoro_narrator.chapters.chunker import plan_chunks
from kokoro_narrator.synthesis.g2p import G2P, Utterance
from kokoro_narrator.narration.normalize import normalize
from kokoro_narrator.books.reader import read_book

from support.jobs import add_book


def said(text: str, lang_code: str = "a") -> str:
    return normalize(text, lang_code).text


# ----------------------------------------------------------------------------- Roman numerals


@pytest.mark.parametrize("text, expected", [
    ("CHAPTER IV.", "Chapter Four."),
    ("CHAPTER XII. THE PURSUIT", "Chapter Twelve. The Pursuit"),
    ("Chapter XXIV", "Chapter Twenty-Four"),
    ("STAVE I.", "Stave One."),
    ("BOOK III", "Book Three"),
    ("Act I, Scene II", "Act One, Scene Two"),
    ("in chapter iv of the book", "in chapter four of the book"),
    ("Vol. ii", "Vol. Two"),
])
def test_numerals_after_a_chapter_like_label_are_cardinals(text, expected):
    assert said(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("VII.", "Seven."),
    ("I.", "One."),
    ("II", "Two"),
    ("IV. THE BATTLE", "Four. The Battle"),
])
def test_a_heading_that_is_only_a_numeral_is_a_cardinal(text, expected):
    assert said(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("Henry VIII was king.", "Henry the Eighth was king."),
    ("under Louis XIV and Pope John XXIII", "under Louis the Fourteenth and Pope John the Twenty-Third"),
    ("Henry V, at Agincourt", "Henry the Fifth, at Agincourt"),
    ("Rameses II built it.", "Rameses the Second built it."),
])
def test_numerals_after_a_name_are_regnal_ordinals(text, expected):
    assert said(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("World War II ended.", "World War Two ended."),
    ("Phase IV begins", "Phase Four begins"),
    ("a Type II error", "a Type Two error"),
])
def test_numerals_after_war_phase_and_type_are_cardinals(text, expected):
    assert said(text) == expected


@pytest.mark.parametrize("text", [
    "I said I would, and I did.",
    "Then I went home.",
    "the letter I is a vowel",
    "Henry, I think you are right.",
    "'I?' said Alice.",
])
def test_the_pronoun_i_is_never_a_numeral(text):
    assert said(text) == text


@pytest.mark.parametrize("text, expected", [
    ("MIX it with DIM light", "Mix it with dim light"),
    ("a CIVIL war, LIVID and VIVID", "a civil war, livid and vivid"),
    ("Malcolm X spoke.", "Malcolm X spoke."),
    ("She was LIVID.", "She was livid."),
])
def test_words_that_only_look_like_numerals_stay_words(text, expected):
    assert said(text) == expected


def test_a_numeral_after_the_label_of_a_detected_heading_is_a_cardinal_whatever_the_label():
    assert normalize("Kapittel IV\n\nTekst.", "a", headings=("Kapittel IV",)).text == "Kapittel Four\n\nTekst."
    assert said("Lesson XII. Fractions") == "Lesson Twelve. Fractions"
    assert said("HENRY VIII") == "Henry the Eighth"  # a play's title: a ruler, not a label


def test_other_languages_get_heading_numerals_as_digits_and_no_regnal_or_capitals_rules():
    assert said("CHAPITRE IV", "f") == "CHAPITRE 4"
    assert said("Capítulo XII", "e") == "Capítulo 12"
    assert said("Louis XIV était roi", "f") == "Louis XIV était roi"  # espeak reads XIV in French itself


# ----------------------------------------------------------------------------- capitals


@pytest.mark.parametrize("text, expected", [
    ("JONATHAN HARKER'S JOURNAL", "Jonathan Harker's Journal"),
    ("THE POOL OF TEARS", "The Pool of Tears"),
    ("O'BRIEN'S BAR", "O'Brien's Bar"),
    ("He said, I'LL NEVER", "He said, I'll never"),
    ("MR. DARCY", "Mr. Darcy"),
    ("I said NO.", "I said no."),
    ("labelled 'ORANGE MARMALADE', but", "labelled 'orange marmalade', but"),
    ("it actually TOOK A WATCH OUT OF ITS POCKET", "it actually took a watch out of its pocket"),
])
def test_all_capitals_headings_and_shouted_words_become_words(text, expected):
    assert said(text) == expected


@pytest.mark.parametrize("text", [
    "NASA and the BBC and the USA and the FBI.",
    "He works in IT for the US government.",
    "an HTML page",
])
def test_acronyms_stay_as_they_are_in_prose(text):
    assert said(text) == text


def test_an_acronym_in_a_heading_stays_an_acronym():
    assert said("THE BBC IN WARTIME") == "The BBC in Wartime"
    assert said("CHAPTER IV. THE FBI FILES") == "Chapter Four. The FBI Files"


def test_misaki_decides_acronyms_by_its_own_lexicon_not_by_letter_count():
    assert is_acronym("NATO", shouted=False)  # misaki holds NATO in capitals
    assert is_acronym("HMS", shouted=True)  # no vowel: spelled
    assert not is_acronym("HARKER", shouted=False)  # a name
    assert not is_acronym("HMM", shouted=False)  # a word without a vowel
    assert capitals("LET US GO", heading=False) == "Let us go"  # US in a shouted run is a word


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
    from kokoro_narrator.jobs.store import JobStore

    store = JobStore(config.paths.jobs)
    job, _ = add_book(store, "git.txt", b"CHAPTER I.\n\nInsert 18333fig0101.png\n\nGit is fast.\n", config)
    texts = store.chunk_texts(job)
    assert "png" not in " ".join(texts) and "Chapter One." in texts[0]
    assert job.source["not_read"] == ["Insert 18333fig0101.png"] and job.source["lexicon_used"] == {}
