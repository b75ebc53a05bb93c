"""entries.py: a lexicon's entries merged, applied as misaki's markup, checked, and the markup read back as words."""

from __future__ import annotations

import pytest

from kokoro_narrator.narration.entries import Entry, Lexicon, LexiconError, check_entry, marked_up, without_markup


def test_a_later_lexicon_wins_word_by_word_and_json_round_trips():
    base = Lexicon((Entry("Darcy", "/dˈɑɹsi/"), Entry("Emma", "em-ma")))
    merged = base.merged(Lexicon((Entry("Darcy", "dar-see"),)))
    assert merged.to_json() == {"Darcy": "dar-see", "Emma": "em-ma"}
    assert Lexicon.from_json(merged.to_json()).to_json() == merged.to_json()
    assert Entry("x", "/ks/").phonemes == "ks" and Entry("x", "ex").phonemes is None


def test_a_phrase_is_marked_up_word_by_word_keeping_the_texts_own_spacing():
    lexicon = Lexicon((Entry("Darcy", "/dˈɑɹsi/"), Entry("mr darcy", "/mˈɪstəɹ dˈɑɹsi/")))
    text, used = lexicon.apply("Mr  Darcy met Darcy.")
    assert text == "[Mr](/mˈɪstəɹ/)  [Darcy](/dˈɑɹsi/) met [Darcy](/dˈɑɹsi/)."
    assert used == {"mr darcy": "/mˈɪstəɹ dˈɑɹsi/", "Darcy": "/dˈɑɹsi/"}
    assert marked_up("Mr\nDarcy", Entry("Mr Darcy", "/a b c/")) == "[Mr Darcy](/a b c/)"  # 3 sounds, 2 words: one markup
    assert without_markup(text) == "Mr  Darcy met Darcy."
    assert without_markup("[her]() said") == "her said"


@pytest.mark.parametrize("word, say, british, message", [
    ("[x]", "ex", False, "without brackets"),
    ("...", "dots", False, "no letter or digit"),
    ("x", "/ks", False, "between two slashes"),
    ("x", "/ɒ/", False, "not in misaki's phoneme alphabet"),
    ("x", "ex2", False, "a respelling is letters"),
])
def test_a_bad_entry_is_refused_with_where_and_why(word, say, british, message):
    with pytest.raises(LexiconError, match=message) as error:
        check_entry(word, say, "my.toml, line 2", british)
    assert str(error.value).startswith("my.toml, line 2: ")


def test_a_good_entry_is_tidied_and_british_ipa_has_its_own_alphabet():
    assert check_entry("Darcy", " Dar-See ", "w") == "dar-see"
    assert check_entry("x", "/ɒ/", "w", british=True) == "/ɒ/"
