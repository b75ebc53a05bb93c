"""pls.py: an EPUB's PLS lexicons, IPA into misaki's alphabet, what is left out, several files merged and kept."""

from __future__ import annotations

from kokoro_narrator.narration.pls import ipa_to_misaki, parse_book_pls, parse_pls, pls_bytes, read_kept_pls, PLS_COPY

PLS = """<?xml version="1.0" encoding="UTF-8"?>
<lexicon version="1.0" xmlns="http://www.w3.org/2005/01/pronunciation-lexicon" alphabet="ipa" xml:lang="en">
  <lexeme><grapheme>Hermione</grapheme><phoneme>hɜːˈmaɪəni</phoneme></lexeme>
  <lexeme><grapheme>W3C</grapheme><alias>double-u three see</alias></lexeme>
</lexicon>
"""
"""The same PLS as test_lexicon.py's."""


def test_a_pls_lexicon_gives_ipa_in_misakis_alphabet_and_aliases_as_respellings():
    lexicon, left_out = parse_pls(PLS, "lexicon.pls")
    assert lexicon.to_json() == {"Hermione": "/hɜɹˈmIəni/", "W3C": "double-u three see"} and left_out == []
    assert ipa_to_misaki("ˈdʒɒnəθən ˈhɑːkə") == "ˈʤɑnəθən ˈhɑkə"


def test_what_a_pls_lexicon_cannot_give_is_left_out_naming_the_file_line_and_entry():
    """A publisher's lexicon is no file the user can fix: a bad entry or file used to fail the whole book."""
    bad = PLS.replace('alphabet="ipa"', 'alphabet="x-sampa"')
    lexicon, left_out = parse_pls(bad, "lexicon.pls")
    assert lexicon.to_json() == {"W3C": "double-u three see"}
    assert left_out == ['lexicon.pls, line 3, entry \'Hermione\': only the "ipa" alphabet is supported, got '
                        "'x-sampa': entry left out, the word is read as usual"]
    german = PLS.replace("</lexicon>", "<lexeme><grapheme>Jürgen</grapheme><phoneme>ˈjʏʁɡn̩</phoneme></lexeme></lexicon>")
    lexicon, left_out = parse_pls(german, "lexicon.pls")
    assert set(lexicon.to_json()) == {"Hermione", "W3C"}
    assert len(left_out) == 1 and "entry 'Jürgen'" in left_out[0] and "not in misaki's phoneme alphabet" in left_out[0]
    assert parse_pls("<lexicon>", "lexicon.pls")[1][0].startswith("lexicon.pls: not valid XML")


def test_british_ipa_keeps_its_own_vowels():
    assert ipa_to_misaki("ˈhəʊm") == "ˈhOm" and ipa_to_misaki("ˈhəʊm", british=True) == "ˈhQm"


def test_a_later_file_wins_word_by_word_and_the_kept_copy_reads_back_the_same(tmp_path):
    later = PLS.replace("<alias>double-u three see</alias>", "<alias>w three c</alias>")
    merged, left_out = parse_book_pls([("a.pls", PLS), ("b.pls", later)])
    assert merged.to_json()["W3C"] == "w three c" and left_out == [("a.pls", []), ("b.pls", [])]
    assert read_kept_pls(tmp_path) is None
    (tmp_path / PLS_COPY).write_bytes(pls_bytes(merged))
    assert read_kept_pls(tmp_path).to_json() == merged.to_json()
