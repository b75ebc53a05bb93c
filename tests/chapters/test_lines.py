"""lines.py: one paragraph at a time, is it a chapter heading, of what kind, does it read like a title."""

import pytest

from kokoro_narrator.chapters.lines import heading_kind, is_heading, looks_like_title, split_glued_heading


@pytest.mark.parametrize("line", [
    "CHAPTER IV.", "Chapter 12", "BOOK ONE", "PART II", "II", "XIV.", "IV. The Battle", "Chapter 1. The Start",
    "Chapter 1 The Start", "CHAPTER I.\nDown the Rabbit-Hole.", "Chapter the First", "Chapter Twenty-One",
    "Letter 4", "STAVE I: MARLEY'S GHOST", "PROLOGUE", "Epilogue: Ten Years Later", "VOLUME III",
])
def test_heading_markers_are_recognised(line):
    assert is_heading(line)


@pytest.mark.parametrize("line", [
    "Part of the reason was the rain.", "I'll go.", "I am here.", "Chapter and verse, he said.",
    "Book lovers unite", "PART of it", "Part one of the plan was simple.", "Chapter 12 was the best one.",
    "Introduction to the art of war", "DID", "MIX", "CIVIL",
    "CHAPTER I.\nIt was a dark and stormy night.",
    "II. A Loose-Fish is fair game for anybody who can soonest catch it.",
    "Part II of the plan, which nobody liked, was to leave before dawn without a word to anyone at all.",
])
def test_prose_that_starts_like_a_marker_is_not_a_heading(line):
    assert not is_heading(line)


def test_a_given_heading_is_a_heading_whatever_it_says():
    assert is_heading("Notes", ("Notes",)) and not is_heading("Notes")


@pytest.mark.parametrize("paragraph, expected", [
    ("Down the Rabbit-Hole.", True), ("THE POOL OF TEARS", True), ("A Tale of Two Cities", True),
    ("It was night.", False), ("Dear Sir,", False), ("the end", False), ("Two\nLines", False), ("X" * 61, False),
])
def test_a_title_is_one_short_line_with_its_longer_words_capitalized(paragraph, expected):
    assert looks_like_title(paragraph) is expected


def test_the_kind_of_a_heading_is_its_marker_roman_or_first_word():
    assert [heading_kind(t) for t in ("PART II", "Chapter 3", "XIV.", "Prologue: The End")] == \
        ["part", "chapter", "roman", "prologue"]


def test_a_marker_line_glued_to_its_text_is_split_off_but_not_a_title_or_a_list_of_headings():
    assert split_glued_heading("CHAPTER V.\nIt was a dark night.", ()) == ["CHAPTER V.", "It was a dark night."]
    assert split_glued_heading("CHAPTER V.\nDown the Hole", ()) == ["CHAPTER V.\nDown the Hole"]
    contents = "CHAPTER I.\nCHAPTER II.\nCHAPTER III."
    assert split_glued_heading(contents, ()) == [contents]
