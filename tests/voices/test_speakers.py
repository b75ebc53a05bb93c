"""voices/speakers.py: who says each quote, only where the text makes it clear."""

from __future__ import annotations

import pytest

from kokoro_narrator.voices.quotes import find_quotes
from kokoro_narrator.voices.speakers import attribute, attribute_why, Character, find_speakers, guess_gender

CAST = [Character("Sherlock Holmes", ("Holmes", "Mr. Holmes"), "M"),
        Character("Dr. Watson", ("Watson", "Dr. Watson"), "M"),
        Character("Mrs. Hudson", ("Mrs. Hudson",), "F"),
        Character("Mr. Weston", ("Mr. Weston", "Weston"), "M"),
        Character("The Old Man", ("the old man",), "M")]


def speakers(text: str, cast=CAST) -> list[str | None]:
    return attribute(text, find_quotes(text), cast)


@pytest.mark.parametrize("text", [
    '"Come at once," said Holmes.',
    '"Come at once," Holmes said.',
    '"Come at once," Holmes quietly said.',
    '"Come at once!" cried Holmes, rising.',
    'Holmes said, "Come at once."',
    'Holmes whispered to me: "Come at once."',
    '"Come at once," said Mr. Holmes.',
])
def test_a_speech_verb_next_to_the_quote_names_the_speaker(text):
    assert speakers(text) == ["Sherlock Holmes"]


def test_an_inverted_verb_before_the_quote_at_the_narration_s_start():
    assert speakers('Then said Mr. Weston, "We shall dine at six."') == ["Mr. Weston"]
    assert speakers('He turned and asked Watson, "Are you ready?"') == [None]  # Watson is spoken to


def test_a_description_counts_only_as_an_alias_written_in_the_cast():
    assert speakers('"It will rain," replied the old man.') == ["The Old Man"]
    assert speakers('"It will rain," replied the young man.') == [None]


def test_names_match_as_written_and_the_longest_first():
    cast = [Character("Frank Churchill", ("Frank", "Frank Churchill"), "M"),
            Character("Frank Knightley", ("Frank Knightley",), "M")]
    assert speakers('"Good day," said Frank Churchill.', cast) == ["Frank Churchill"]
    assert speakers('"Good day," said Frank Knightley.', cast) == ["Frank Knightley"]
    assert speakers('"Good day," said Frank.', cast) == [None]  # either of them
    assert speakers('"Good day," said holmes.') == [None]


def test_a_possessive_is_not_the_speaker():
    assert speakers('"Good day," said Holmes\'s brother.') == [None]


def test_a_name_two_characters_may_have_names_nobody():
    cast = [Character("Mr. Bennet", ("Mr. Bennet",), "M"), Character("Mrs. Bennet", ("Mrs. Bennet",), "F"),
            Character("Bennet", ("Bennet",), "U")]
    assert speakers('"Nonsense," said Bennet.', cast) == [None]
    assert speakers('"Nonsense," said Mrs. Bennet.', cast) == ["Mrs. Bennet"]


def test_a_pronoun_when_the_paragraph_opens_with_the_only_one_of_that_sex():
    assert speakers('Holmes laughed. "You see, but you do not observe," he said.') == ["Sherlock Holmes"]
    text = 'Mrs. Hudson came in with the tray. "Your breakfast," she said.'
    assert speakers(text) == ["Mrs. Hudson"]
    assert speakers('Mrs. Hudson looked at Holmes. "You see," she said.') == ["Mrs. Hudson"]


@pytest.mark.parametrize("text", [
    'Holmes looked at Watson. "You see," he said.',  # two men: ambiguous
    'The door opened. "You see," he said.',  # nobody named
    'Holmes looked at the door. "You see," she said.',  # a woman nobody named
    'Watson and Holmes came in. "You see," he said.',  # the paragraph opens with one of two men
    'Holmes went out.\n\n"You see," he said.',  # named in the paragraph before only
])
def test_an_ambiguous_pronoun_names_nobody(text):
    assert speakers(text) == [None]


def test_the_other_quotes_of_a_paragraph_take_its_speaker():
    text = '"I have it," said Holmes. "The man is left-handed. He limps."'
    assert attribute_why(text, find_quotes(text), CAST) == (["Sherlock Holmes"] * 2, ["verb", "paragraph"])


def test_a_quote_with_a_speech_verb_of_its_own_is_not_filled_in():
    text = '"I have it," said Holmes; and the stranger answered: "You have nothing."'
    assert speakers(text) == ["Sherlock Holmes", None]


def test_a_quotation_over_paragraphs_has_one_speaker():
    text = ('"It began in the spring," said Holmes. "Nobody knew.\n\n'
            '"Then summer came.\n\n"And that is all."')
    assert speakers(text) == ["Sherlock Holmes"] * 4


EXCHANGE = ('"Well?" said Holmes.\n\n"Nothing," said Watson.\n\n"Nothing at all?" asked Holmes.\n\n'
            '"Not a thing."\n\n"Then we wait."\n\n"For how long?"\n\n')


def test_turns_alternate_after_three_named_ones():
    text = EXCHANGE + 'Holmes shrugged.\n\n"Who knows?"'
    got = attribute_why(text, find_quotes(text), CAST)
    assert got[0] == ["Sherlock Holmes", "Dr. Watson", "Sherlock Holmes", "Dr. Watson", "Sherlock Holmes",
                      "Dr. Watson", None]  # narration ends the exchange
    assert got[1][3:6] == ["turns"] * 3


def test_turns_are_not_inferred_after_two_named_ones_only():
    text = '"Well?" said Holmes.\n\n"Nothing," said Watson.\n\n"Nothing at all?"'
    assert speakers(text) == ["Sherlock Holmes", "Dr. Watson", None]


def test_turns_stop_at_a_third_name_or_the_speaker_s_own():
    text = EXCHANGE.replace('"Then we wait."', '"Then we ask Mrs. Hudson."')
    assert speakers(text)[3:6] == ["Dr. Watson", None, None]
    text = EXCHANGE.replace('"Then we wait."', '"Then we wait, Holmes."')
    assert speakers(text)[3:6] == ["Dr. Watson", None, None]


def test_turns_are_capped():
    text = '"A," said Holmes.\n\n"B," said Watson.\n\n"C," said Holmes.\n\n' + '"More."\n\n' * 10
    assert speakers(text).count(None) == 10 - 6


def test_find_speakers_counts_names_next_to_speech_verbs():
    text = ('"Come," said Holmes.\n\n"Where?" asked Mr. Weston.\n\n"Here," Holmes said. "Now."\n\n'
            '"Why?" she asked.\n\n"Yes," said Ann Elliot.')
    found = find_speakers(text, find_quotes(text))
    assert found == {"Holmes": 2, "Mr. Weston": 1, "Ann Elliot": 1}


def test_guess_gender_from_titles_and_from_the_pronouns_after_a_name_s_lines():
    assert guess_gender("", "Mr. Weston") == "M"
    assert guess_gender("", "Lady Russell") == "F"
    text = '"Yes," said Tom. He smiled.\n\n"No," said Tom, and he left.\n\n"Wait," said Kit. She ran.\n\n'
    assert guess_gender(text, "Tom") == "M"
    assert guess_gender(text + '"Stop," Kit said, and she sat.', "Kit") == "F"
    assert guess_gender(text, "Kit") == "U"  # one line is not enough
    assert guess_gender("Miss Kit came. Later Miss Kit left.", "Kit") == "F"
