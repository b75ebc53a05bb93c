"""capitals.py: all-capitals words become words, acronyms stay (through normalize and directly)."""

from __future__ import annotations

import pytest

from kokoro_narrator.narration.capitals import capitals, is_acronym
from support.text import said


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


def test_a_heading_keeps_its_small_words_low_and_prose_keeps_a_lone_capital_word_as_a_word():
    assert capitals("THE POOL OF TEARS", heading=True) == "The Pool of Tears"
    assert capitals("OF MICE AND MEN", heading=True) == "Of Mice and Men"  # the first word is capitalized
    assert capitals("I said NO.", heading=False) == "I said no."
    assert capitals("no capitals here", heading=False) == "no capitals here"
