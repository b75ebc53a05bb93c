"""Numbers as headings write them: Roman numerals (canonical only) and English number words."""

import re

from kokoro_narrator.chapters.numbers import NUMBER_WORD, ROMAN, number_value, roman_value


def test_roman_value_accepts_only_canonical_numerals():
    assert [roman_value(n) for n in ("IV", "MCMXIV", "XL", "iv")] == [4, 1914, 40, 4]
    assert [roman_value(n) for n in ("IIII", "DIM", "CIVIL", "LIVID", "VX", "")] == [None] * 6


def test_number_value_reads_digits_words_ordinals_and_numerals():
    said = ["12", "three", "the third", "Twenty-One", "twenty first", "fortieth", "xiv", "nineteen"]
    assert [number_value(word) for word in said] == [12, 3, 3, 21, 21, 40, 14, 19]


def test_number_value_refuses_what_is_no_number():
    assert [number_value(word) for word in ("twenty ten", "lots", "iiii", "the")] == [None] * 4


def test_the_patterns_match_whole_numbers_only():
    assert re.fullmatch(ROMAN, "MCMXIV") and not re.fullmatch(ROMAN, "IIII")
    assert re.fullmatch(NUMBER_WORD, "the twenty-third") and not re.fullmatch(NUMBER_WORD, "twentyish")
