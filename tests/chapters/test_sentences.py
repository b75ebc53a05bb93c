"""sentences.py: sentence and word splits (abbreviations, closing quotes, hard cuts), and the word before a full stop."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kokoro_narrator.chapters.sentences import is_abbreviation, split_sentences, split_words
from support.text import squash, text_strategy


@pytest.mark.parametrize("text, expected", [
    ('Mr. Bennet said "Yes." Then Dr. Who left! Did he? Yes\u2026 Then he did.',
     ['Mr. Bennet said "Yes."', "Then Dr. Who left!", "Did he?", "Yes\u2026", "Then he did."]),
    ("'Oh dear!' she said. 'I shall be late!' And she ran.",
     ["'Oh dear!' she said.", "'I shall be late!'", "And she ran."]),
    ("See No. 5 on p. 3. He said no. Then J. R. R. Tolkien wrote, e.g. this. Mrs. Smith of St. Ives came.",
     ["See No. 5 on p. 3.", "He said no.", "Then J. R. R. Tolkien wrote, e.g. this.", "Mrs. Smith of St. Ives came."]),
    ("Wait... Really?! (Yes.) Fine.", ["Wait...", "Really?!", "(Yes.)", "Fine."]),
    ("No end", ["No end"]),
    ("", []),
])
def test_sentences_keep_abbreviations_and_closing_quotes(text, expected):
    assert split_sentences(text) == expected


def test_words_are_packed_up_to_the_limit_and_long_ones_cut_hard():
    assert split_words("aa bb cc dd", 5) == ["aa bb", "cc dd"]
    assert split_words("abcdefgh ij", 3) == ["abc", "def", "gh", "ij"]
    with pytest.raises(ValueError):
        split_words("x", 0)


def test_a_numbering_abbreviation_counts_only_before_a_number():
    assert is_abbreviation("No", "5") and not is_abbreviation("no", "T")
    assert is_abbreviation('"Mrs', "S") and is_abbreviation("e.g", "t") and is_abbreviation("J", "R")
    assert not is_abbreviation("dog", "T")


@settings(max_examples=200, deadline=None)
@given(text=text_strategy, limit=st.integers(min_value=1, max_value=200))
def test_sentence_and_word_splits_lose_or_invent_nothing(text, limit):
    sentences = split_sentences(text)
    assert all(s and s == s.strip() for s in sentences)
    assert squash(" ".join(sentences)) == squash(text) and split_sentences(text) == sentences
    pieces = split_words(text, limit)
    assert all(0 < len(p) <= limit for p in pieces)
    assert squash("".join(pieces)) == squash(text) and split_words(text, limit) == pieces


def test_the_word_before_a_full_stop_is_found_without_splitting_the_sentence_so_far():
    """sentences.last_word replaced text[start:end].split()[-1], which made a run of initials quadratic."""
    import random

    from kokoro_narrator.chapters.sentences import last_word

    random.seed(7)
    for _ in range(3000):
        text = "".join(random.choice("ab. \n\t\u00a0\u2003") for _ in range(random.randint(0, 30)))
        start = random.randint(0, len(text))
        end = random.randint(start, len(text))
        words = text[start:end].split()
        assert last_word(text, start, end) == (words[-1] if words else "")
