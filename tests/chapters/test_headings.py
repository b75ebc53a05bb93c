"""headings.py: numbered sequences under any label, the book's contents list, isolated capital lines."""

from __future__ import annotations

import pytest

from kokoro_narrator.chapters.headings import contents_list, find_headings, isolated_capitals, labelled, matches, sequences

PROSE = "It was late in the year when the carts came down from the hills. Nobody asked where they had been. " * 20


@pytest.mark.parametrize("paragraph, expected", [
    ("STAVE ONE", ("stave", 1)), ("FIT THE FIRST", ("fit", 1)), ("THE THIRD CHAPTER", ("chapter", 3)),
    ("12.", ("", 12)), ("ADVENTURE IV. THE FIVE ORANGE PIPS", ("adventure", 4)),
    ("Chapter 12 was the best one.", None), ("He 3", None), ("Just words", None),
])
def test_a_label_and_a_number_are_read_in_either_order_but_never_before_a_sentence(paragraph, expected):
    assert labelled(paragraph) == expected


def test_a_sequence_needs_three_members_going_up_by_one():
    paragraphs = ["STAVE ONE", PROSE, "STAVE TWO", PROSE, "STAVE THREE", PROSE, "ROOM 101", PROSE, "ROOM 7"]
    assert sequences(paragraphs) == {0, 2, 4}
    assert sequences(["LETTER 1", PROSE, "LETTER 2", PROSE]) == set()


def test_a_contents_entry_matches_its_heading_with_a_label_more_or_a_misprint():
    assert matches("I. A Scandal in Bohemia ..... 3", "ADVENTURE I. A SCANDAL IN BOHEMIA")
    assert matches("Couterparts", "COUNTERPARTS")
    assert not matches("Araby", "Arab") and not matches("The Sisters", "An Encounter")


def test_the_contents_list_ends_at_prose_and_names_the_headings_found_after_it():
    stories = ["THE SISTERS", "AN ENCOUNTER", "ARABY"]
    paragraphs = ["DUBLINERS", "Contents", "The Sisters", "An Encounter", "Araby", PROSE]
    for story in stories:
        paragraphs += [story, PROSE]
    assert contents_list(paragraphs) == (1, 5, ["The Sisters", "An Encounter", "Araby"])
    found = find_headings(paragraphs)
    assert sorted(paragraphs[i] for i in found.marks) == sorted(stories)
    assert found.contents == ["The Sisters", "An Encounter", "Araby"] and found.contents_span == range(1, 5)


def test_isolated_capital_lines_count_only_when_far_apart_and_not_shouted():
    paragraphs = []
    for title in ("THE SISTERS", "AN ENCOUNTER", "ARABY"):
        paragraphs += [title, PROSE, PROSE]
    assert isolated_capitals(paragraphs) == {0, 3, 6}
    close = ["THE SISTERS", PROSE[:300], "AN ENCOUNTER", PROSE[:300], "ARABY", PROSE[:300]]
    assert isolated_capitals(close) == set()
    assert isolated_capitals(["HELP!", PROSE, "HELP!", PROSE, "HELP!", PROSE]) == set()
