"""voices/quotes.py: the spans inside quotation marks, for every convention a book may use."""

from __future__ import annotations

import pytest

from kokoro_narrator.voices.quotes import find_quotes


def said(text: str) -> list[str]:
    return [text[quote.start:quote.end] for quote in find_quotes(text)]


def test_straight_double_quotes_without_their_marks_in_order():
    text = '"Come in," said Tom. "The door is open."'
    quotes = find_quotes(text)
    assert said(text) == ["Come in,", "The door is open."]
    assert all(text[quote.start - 1] == '"' and text[quote.end] == '"' for quote in quotes)


@pytest.mark.parametrize("text", [
    "“Come in,” said Tom. “The door is open.”",  # curly, as in a text not cleaned
    "„Come in,“ said Tom. „The door is open.“",  # German low-high
    "«Come in,» said Tom. «The door is open.»",  # guillemets
    "「Come in,」 said Tom. 「The door is open.」",  # corner brackets
])
def test_other_marks(text):
    assert said(text) == ["Come in,", "The door is open."]


def test_guillemets_pointing_inwards_german_style():
    text = "»Komm herein«, sagte Tom.\n\n»Die Tür ist offen.«"
    assert said(text) == ["Komm herein", "Die Tür ist offen."]


def test_nested_corner_brackets_belong_to_the_outer_quote():
    text = "「彼は『いいえ』と言った」と彼女は言った。"
    assert said(text) == ["彼は『いいえ』と言った"]


def test_single_quotes_inside_double_ones_are_part_of_the_quote():
    text = "\"He said 'never' to me, and meant it,\" she said."
    assert said(text) == ["He said 'never' to me, and meant it,"]


def test_apostrophes_are_not_quotes_in_a_book_of_double_quotes():
    text = ("It was ten o'clock; the boys' books lay about. 'Tis late, thought Ann.\n\n"
            "\"Don't wake 'em,\" she said.")
    assert said(text) == ["Don't wake 'em,"]


BRITISH = ("'I don't know,' said Tom. 'It's the boys' turn, and 'tis late.'\n\n"
           "The clock struck ten o'clock. He'd go and fetch 'em soon.\n\n"
           "'Very well,' said Ann, 'I shall say \"no\" to them.'\n\n"
           "'Go home' he said. 'Now.'")


def test_single_quotes_as_the_dialogue_convention_of_a_british_book():
    assert said(BRITISH) == ["I don't know,", "It's the boys' turn, and 'tis late.", "Very well,",
                             "I shall say \"no\" to them.", "Go home", "Now."]


def test_a_paragraph_in_single_quotes_in_a_book_of_double_ones():
    text = "\"Hello,\" he said.\n\n\"Who is there?\"\n\n'Only me,' said the boy. 'Nobody else.'"
    assert said(text) == ["Hello,", "Who is there?", "Only me,", "Nobody else."]


def test_a_quotation_over_paragraphs_comes_in_pieces_one_a_paragraph():
    text = ('"It began in the spring. Nobody knew.\n\n'
            '"Then summer came, and still nobody knew.\n\n'
            '"And that is all," said the old man.\n\nHe slept.')
    assert said(text) == ["It began in the spring. Nobody knew.", "Then summer came, and still nobody knew.",
                          "And that is all,"]


def test_verse_lines_inside_a_paragraph_stay_in_one_quote():
    text = '"Twinkle, twinkle, little bat!\nHow I wonder what you\'re at!" sang the Hatter.'
    assert said(text) == ["Twinkle, twinkle, little bat!\nHow I wonder what you're at!"]


def test_a_stray_quote_stops_at_its_paragraph():
    text = ('The board was 12" wide and the nail was long.\n\n'
            'Nobody spoke for an hour; the rain went on.\n\n'
            '"Well?" she asked.')
    quotes = said(text)
    assert quotes[-1] == "Well?"
    assert not any("Nobody" in quote for quote in quotes)


def test_an_open_quote_runs_to_its_paragraph_end_when_nothing_continues_it():
    text = '"I will not go, he said, and that was all.\n\nThe next day was fine.'
    assert said(text) == ["I will not go, he said, and that was all."]


def test_a_letter_signed_yours_is_written_not_said():
    text = ('The letter ran thus:\n\n"Dear Ann, I shall come on Monday. Yours ever, Tom."\n\n'
            '"He will come!" cried Ann.')
    assert said(text) == ["He will come!"]


def test_a_name_or_term_quoted_inside_a_sentence_is_the_narrator_s():
    text = 'They went to see "The Tempest" and called it "a fine evening" afterwards. "Yes," said Tom.'
    assert said(text) == ["Yes,"]


def test_no_quotes_and_empty_text():
    assert find_quotes("") == []
    assert find_quotes("Plain narration, with an apostrophe's help.") == []
