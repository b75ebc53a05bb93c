"""Text that is not speech: what strip_nonspeech takes out of a chunk, and what it leaves."""

import pytest

from kokoro_narrator.narration.nonspeech import MAX_REPEAT, MAX_WORD_LETTERS, strip_nonspeech, summarize


def kinds(dropped):
    return [item["kind"] for item in dropped]


def test_ordinary_prose_comes_back_unchanged_with_nothing_dropped():
    text = ("It was the best of times -- it was the worst of times.\n\n"
            "\"Aaaaah!\" she cried. Noooo! Wait... what? 2 + 2 = 4, and 50% of $10 is $5.\n"
            "Pneumonoultramicroscopicsilicovolcanoconiosis is a word.")
    assert strip_nonspeech(text) == (text, [])


@pytest.mark.parametrize("line", ["* * * * *", "=====", "-~-~-~-~-", "#   #   #", "________"])
def test_a_separator_line_becomes_a_paragraph_break(line):
    kept, dropped = strip_nonspeech(f"The end of a scene.\n{line}\nThe next scene.")
    assert kept == "The end of a scene.\n\nThe next scene."
    assert kinds(dropped) == ["separator"] and dropped[0]["text"] == line
    assert "pause" in dropped[0]["reason"]


def test_ascii_art_lines_are_dropped_and_the_prose_around_them_kept():
    art = ["  /\\_/\\  ", " ( o.o ) ", "  > ^ <  ", "|_|_|_|_ x _|"]
    kept, dropped = strip_nonspeech("A cat:\n" + "\n".join(art) + "\nThat was a cat.")
    assert kept == "A cat:\n ( o.o ) \nThat was a cat."  # letters and prose punctuation: read
    assert kinds(dropped) == ["ascii_art"] * 3


def test_a_word_longer_than_any_real_word_is_dropped_with_its_length():
    noise = "qwertyuiopasdfghjklzxcvbnm" * 3
    kept, dropped = strip_nonspeech(f"Before {noise} after.")
    assert kept == "Before after."
    assert kinds(dropped) == ["overlong_word"]
    assert dropped[0]["chars"] == len(noise) and len(dropped[0]["text"]) < len(noise)
    assert str(MAX_WORD_LETTERS) in dropped[0]["reason"]


def test_a_word_at_the_limit_is_kept():
    word = "a" + "bcdefghij" * 5 + "k"[:MAX_WORD_LETTERS - 46]
    assert len(word) <= MAX_WORD_LETTERS
    assert strip_nonspeech(f"Say {word} now.")[1] == []


def test_a_run_of_one_letter_drops_its_token_and_a_run_of_punctuation_only_the_run():
    kept, dropped = strip_nonspeech("N" + "o" * (MAX_REPEAT + 5) + " she said. Wait" + "!" * 40 + " now.")
    assert kept == "she said. Wait now."
    assert kinds(dropped) == ["repeated_character", "repeated_character"]


def test_200000_repeated_letters_leave_nothing_to_speak_at_once():
    kept, dropped = strip_nonspeech("x" * 200_000)
    assert kept == ""
    assert dropped[0]["chars"] == 200_000 and len(dropped[0]["text"]) < 100


def test_a_paragraph_left_empty_disappears_and_the_others_keep_their_breaks():
    kept, _ = strip_nonspeech("First.\n\n" + "z" * 80 + "\n\nLast.")
    assert kept == "First.\n\nLast."


def test_the_summary_counts_each_reason():
    _, dropped = strip_nonspeech("* * *\n" + "y" * 90 + "\n=====")
    assert summarize(dropped) == "2 separator lines, 1 run of one repeated character"
