"""roman.py: which Roman numerals are cardinals, which regnal ordinals, which stay words (through normalize and directly)."""

from __future__ import annotations

import pytest

from kokoro_narrator.narration.normalize import normalize
from kokoro_narrator.narration.roman import cardinal, ordinal, roman_numerals
from support.text import said


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


def test_a_detected_headings_label_makes_a_cardinal_where_a_plain_line_reads_a_name():
    assert roman_numerals("Kapittel IV", english=True, heading=True, detected=True) == "Kapittel Four"
    assert roman_numerals("Henry VIII and CHAPTER IV", english=True, heading=False) == "Henry the Eighth and CHAPTER Four"
    assert roman_numerals("CHAPTER IV", english=False, heading=True) == "CHAPTER 4"


def test_cardinals_and_ordinals_are_words_titled_on_demand_and_digits_outside_english():
    assert (cardinal(24, True, titled=True), cardinal(24, True, titled=False), cardinal(24, False, titled=True)) == \
        ("Twenty-Four", "twenty-four", "24")
    assert ordinal(21, titled=False) == "twenty-first" and ordinal(101, titled=True) == "One Hundred and First"
