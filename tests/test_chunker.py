import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kokoro_tts.chunker import is_heading, plan_chunks, split_sentences, split_words
from kokoro_tts.text import read_book


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def corpus_plan(corpus, name, max_chunk_chars=20000):
    book = read_book((corpus / name).read_bytes(), name)
    return book, plan_chunks(book.text, max_chunk_chars, book.headings)


def test_alice_has_its_opening_and_chapters_two_to_twelve(corpus):
    _, plan = corpus_plan(corpus, "pg11.txt")
    titles = [c.title for c in plan.chapters]
    assert len(titles) == 12
    assert titles[0] == "Opening"
    assert titles[1] == "CHAPTER II. The Pool of Tears"
    assert titles[-1] == "CHAPTER XII. Alice's Evidence"


def test_pride_and_prejudice_has_its_chapter_headings(corpus):
    _, plan = corpus_plan(corpus, "pg1342.txt")
    titles = [c.title for c in plan.chapters]
    assert titles[0] == "Opening"
    assert titles[1:] == [f"Chapter {n}" for n in range(3, 62)]  # chapters 1 and 2 have no heading here


def test_metamorphosis_has_its_roman_numeral_sections(corpus):
    _, plan = corpus_plan(corpus, "pg5200.txt")
    assert [c.title for c in plan.chapters] == ["Opening", "II", "III"]


@pytest.mark.parametrize("name", ["pg11.txt", "pg1342.txt", "pg5200.txt"])
def test_corpus_books_lose_no_text_and_respect_the_limit(corpus, name):
    book, plan = corpus_plan(corpus, name, 5000)
    assert all(0 < len(c.text) <= 5000 for c in plan.chunks)
    assert squash("".join(c.text for c in plan.chunks)) == squash(book.text)


def test_heading_markers_are_recognised():
    for line in ["CHAPTER IV.", "Chapter 12", "BOOK ONE", "PART II", "II", "XIV.", "Chapter 1. The Start",
                 "CHAPTER I.\nDown the Rabbit-Hole."]:
        assert is_heading(line), line


def test_prose_that_starts_like_a_marker_is_not_a_heading():
    for line in ["Part of the reason was the rain.", "I'll go.", "Chapter and verse, he said.",
                 "Book lovers unite", "PART of it", "I am here."]:
        assert not is_heading(line), line
    assert not is_heading("Part of the reason why he never came back was that the road was long and the night was dark.")


def test_a_table_of_contents_makes_no_empty_chapters():
    toc = "\n\n".join(f"CHAPTER {n}" for n in ("I", "II", "III", "IV", "V"))
    body = "\n\n".join(f"CHAPTER {n}\n\n" + ("Words of the chapter. " * 20) for n in ("I", "II", "III", "IV", "V"))
    plan = plan_chunks("Contents\n\n" + toc + "\n\n" + body)
    assert [c.title for c in plan.chapters] == ["Opening", "CHAPTER I", "CHAPTER II", "CHAPTER III", "CHAPTER IV", "CHAPTER V"]
    assert "CHAPTER V" in plan.chunks[0].text  # the contents stay in the opening, nothing dropped


def test_text_without_markers_is_one_chapter_split_at_paragraphs():
    paragraphs = [f"Paragraph {n} says something worth hearing." for n in range(50)]
    plan = plan_chunks("\n\n".join(paragraphs), 300)
    assert len(plan.chapters) == 1 and len(plan.chunks) > 5
    for chunk in plan.chunks:
        assert len(chunk.text) <= 300
        assert all(p in paragraphs for p in chunk.text.split("\n\n"))


def test_a_giant_paragraph_is_cut_at_sentences_then_words_then_hard():
    sentences = " ".join(f"Sentence number {n} is here." for n in range(100))
    plan = plan_chunks(sentences, 200)
    assert all(c.text.endswith(".") for c in plan.chunks)
    token = "x" * 1000
    plan = plan_chunks(f"A URL follows: {token} and then more words.", 150)
    assert all(len(c.text) <= 150 for c in plan.chunks)
    assert squash("".join(c.text for c in plan.chunks)) == squash(f"A URL follows: {token} and then more words.")


def test_chunking_is_deterministic_and_hashed():
    text = "\n\n".join(f"Para {n}. " * 30 for n in range(40))
    first, second = plan_chunks(text, 1000), plan_chunks(text, 1000)
    assert first == second
    assert len({c.sha256 for c in first.chunks}) == len(first.chunks)
    assert first.to_json()["totals"]["chunks"] == len(first.chunks)


def test_sentences_keep_abbreviations_and_closing_quotes():
    text = 'Mr. Bennet said "Yes." Then Dr. Who left! Did he? Yes… he did.'
    assert split_sentences(text) == ['Mr. Bennet said "Yes."', "Then Dr. Who left!", "Did he?", "Yes…", "he did."]


def test_max_chunk_chars_below_100_is_refused():
    with pytest.raises(ValueError, match="at least 100"):
        plan_chunks("Some text.", 50)


text_strategy = st.lists(
    st.sampled_from(list("abcXYZ .,!?'\"\n\n\n-–é日") + ["CHAPTER I\n", "\n\nII\n\n", "Mr. ", "x" * 40, "\t"]),
    min_size=1, max_size=600,
).map("".join).filter(lambda t: t.strip())


@settings(max_examples=150, deadline=None)
@given(text=text_strategy, limit=st.integers(min_value=100, max_value=800))
def test_chunks_are_never_empty_never_too_big_and_lose_nothing(text, limit):
    plan = plan_chunks(text, limit)
    assert plan.chunks and all(c.text.strip() and len(c.text) <= limit for c in plan.chunks)
    assert squash("".join(c.text for c in plan.chunks)) == squash(text)
    assert plan_chunks(text, limit) == plan


@settings(max_examples=150, deadline=None)
@given(text=text_strategy, limit=st.integers(min_value=1, max_value=200))
def test_sentence_and_word_splits_lose_nothing(text, limit):
    assert squash("".join(split_sentences(text))) == squash(text)
    pieces = split_words(text, limit)
    assert all(0 < len(p) <= limit for p in pieces)
    assert squash("".join(pieces)) == squash(text)
