"""lexicon.py: the user lexicon, the book's sidecar and an EPUB's PLS change what G2P reads."""

from __future__ import annotations

import dataclasses
import io
import zipfile

import pytest

from kokoro_narrator.core.config import Config
from kokoro_narrator.synthesis.g2p import G2P, Utterance, letters
from kokoro_narrator.jobs.store import JobStore
from kokoro_narrator.jobs.texts import chunk_texts
from kokoro_narrator.inbox.sidecars import lexicon_sidecar, lexicon_sidecar_settings
from kokoro_narrator.narration.lexicon import (Lexicon, LexiconError, book_lexicon, parse_toml_lexicon,
                                     with_default_lexicon)
from kokoro_narrator.narration.speakable import speakable_texts
from kokoro_narrator.narration.pls import parse_book_pls
from kokoro_narrator.jobs.runner import JobRunner
from kokoro_narrator.books.reader import read_book
from support.providers import ToneProvider
from support.jobs import add_book

BOOK = ("CHAPTER I.\n\nHermione met Mr Darcy in the garden.\n\n"
        "Darcy said nothing at all, and Hermione went home.\n").encode()
DARCY = "/dˈɑɹsIz/"  # not how misaki says Darcy: a test can tell the lexicon was used


def phonemes(engine, text: str) -> str:
    g2p = G2P(engine.pipeline)
    return " ".join(call.phonemes for call in g2p(Utterance(text, True)))


pytestmark = pytest.mark.config(jobs={"max_chunk_chars": 1000})


# ----------------------------------------------------------------------------- files


def test_a_toml_lexicon_maps_words_to_respellings_and_ipa():
    lexicon = parse_toml_lexicon('Hermione = "her-MY-oh-nee"\nDarcy = "/dˈɑɹsi/"\n"Mr Bingley" = "/mˈɪstəɹ bˈɪŋli/"\n',
                                 "lexicon.toml")
    assert lexicon.to_json() == {"Darcy": "/dˈɑɹsi/", "Hermione": "her-my-oh-nee", "Mr Bingley": "/mˈɪstəɹ bˈɪŋli/"}


@pytest.mark.parametrize("text, expected", [
    ('Hermione = "her-my-oh-nee"\nDarcy = 5\n', "lexicon.toml, line 2, entry 'Darcy': must be a string"),
    ('Darcy = "/dˈɑɹsi/"\n\nBingley = "/bɪŋlé/"\n', "lexicon.toml, line 3, entry 'Bingley': 'é' is not in misaki's"),
    ('Darcy = "dar$cy"\n', "lexicon.toml, line 1, entry 'Darcy': a respelling is letters"),
    ('Darcy = "/dˈɑɹsi"\n', "lexicon.toml, line 1, entry 'Darcy': IPA must be written between two slashes"),
    ('Darcy = \n', "lexicon.toml: not valid TOML: Invalid value (at line 1, column 9)"),
])
def test_a_bad_entry_is_an_error_naming_the_file_the_line_and_the_entry(text, expected):
    with pytest.raises(LexiconError) as error:
        parse_toml_lexicon(text, "lexicon.toml")
    assert str(error.value).startswith(expected)


def test_a_lower_case_key_matches_any_case_and_a_capitalized_one_matches_as_written():
    lexicon = parse_toml_lexicon('tomato = "/təmˈɑTO/"\nUS = "united states"\n', "lexicon.toml")
    text, used = lexicon.apply("Tomato, TOMATO, tomato; the US and us.")
    assert text == ("[Tomato](/təmˈɑTO/), [TOMATO](/təmˈɑTO/), [tomato](/təmˈɑTO/); "
                    "the [united]() [states]() and us.")
    assert used == {"tomato": "/təmˈɑTO/", "US": "united states"}


def test_a_phrase_matches_across_a_line_break_and_longer_entries_win():
    lexicon = parse_toml_lexicon('Darcy = "/dˈɑɹsi/"\n"Mr Darcy" = "/mˈɪstəɹ dˈɑɹsi/"\n', "x.toml")
    assert lexicon.apply("Mr\nDarcy and Darcy")[0] == "[Mr](/mˈɪstəɹ/)\n[Darcy](/dˈɑɹsi/) and [Darcy](/dˈɑɹsi/)"


def test_other_languages_take_respellings_only():
    lexicon = parse_toml_lexicon('Darcy = "/dˈɑɹsi/"\nParis = "pa-ree"\n', "x.toml")
    assert lexicon.apply("Darcy à Paris", english=False) == ("Darcy à pa-ree", {"Paris": "pa-ree"})


PLS = """<?xml version="1.0" encoding="UTF-8"?>
<lexicon version="1.0" xmlns="http://www.w3.org/2005/01/pronunciation-lexicon" alphabet="ipa" xml:lang="en">
  <lexeme><grapheme>Hermione</grapheme><phoneme>hɜːˈmaɪəni</phoneme></lexeme>
  <lexeme><grapheme>W3C</grapheme><alias>double-u three see</alias></lexeme>
</lexicon>
"""


def test_an_epub_whose_pls_has_an_unusable_entry_is_made_with_the_rest_and_a_warning(make_config, tmp_path):
    german = PLS.replace("</lexicon>", "<lexeme><grapheme>Darcy</grapheme><phoneme>ˈdɑʁsi</phoneme></lexeme></lexicon>")
    config = make_config()
    job, _ = add_book(JobStore(config.paths.jobs), "book.epub", epub_with_pls(german), config)
    assert job.status == "queued"
    assert any("entry 'Darcy'" in warning and "left out" in warning for warning in job.source["warnings"])
    many = PLS.replace("</lexicon>", "".join(f"<lexeme><grapheme>Name{n}</grapheme><phoneme>ʁ</phoneme></lexeme>"
                                             for n in range(40)) + "</lexicon>")
    other, _ = add_book(JobStore(config.paths.jobs), "many.epub", epub_with_pls(many), config)
    said = [warning for warning in other.source["warnings"] if "names.pls" in warning]
    assert len(said) == 1 and said[0].startswith("names.pls: 40 left out: ") and said[0].endswith("(and 37 more)")
    texts = chunk_texts(JobStore(config.paths.jobs), job)  # as they go to G2P
    assert texts == ["Chapter One\n\n[Hermione](/hɜɹˈmIəni/) met Mr Darcy in the garden."]  # Darcy as G2P reads it


def test_the_sidecar_wins_over_the_pls_which_wins_over_the_user_lexicon():
    settings = {"lexicon": {"Hermione": "hermy", "Darcy": "darsy"}}
    lexicon = book_lexicon(settings, 'Darcy = "dar-see"\n'.encode(), parse_book_pls((("l.pls", PLS),))[0])
    assert lexicon.to_json() == {"Darcy": "dar-see", "Hermione": "/hɜɹˈmIəni/", "W3C": "double-u three see"}


def test_sidecar_settings_carry_the_books_entries_or_its_error_into_the_job_settings(tmp_path):
    (tmp_path / "alice.lexicon.toml").write_text('Darcy = "dar-see"\n', encoding="utf-8")
    settings = {"lexicon": {"Darcy": "darsy"}, **lexicon_sidecar_settings(tmp_path / "alice.txt")}
    assert settings["book_lexicon"] == {"Darcy": "dar-see"}
    assert book_lexicon(settings, None).to_json() == {"Darcy": "dar-see"}
    (tmp_path / "alice.lexicon.toml").write_text('Darcy = 1\n', encoding="utf-8")
    broken = lexicon_sidecar_settings(tmp_path / "alice.txt")
    assert broken["book_lexicon_error"].startswith("alice.lexicon.toml, line 1, entry 'Darcy'")
    with pytest.raises(LexiconError, match="alice.lexicon.toml, line 1"):
        book_lexicon(broken, None)
    assert lexicon_sidecar_settings(tmp_path / "bob.txt") == {}


def test_the_default_user_lexicon_is_next_to_the_config_file(tmp_path):
    config = with_default_lexicon(Config(), tmp_path / "config.toml")
    assert config.tts.lexicon == tmp_path / "lexicon.toml"
    assert with_default_lexicon(config, tmp_path / "elsewhere" / "c.toml") == config  # a set path stays
    assert lexicon_sidecar(tmp_path / "alice.txt") == tmp_path / "alice.lexicon.toml"


# ----------------------------------------------------------------------------- through jobs and G2P


def test_the_user_lexicon_changes_the_phonemes_and_is_recorded_in_the_job(make_config, tmp_path, tiny_engine):
    user = tmp_path / "lexicon.toml"
    user.write_text(f'Darcy = "{DARCY}"\n', encoding="utf-8")
    store = JobStore(tmp_path / "jobs")
    job, _ = add_book(store, "book.txt", BOOK, make_config(tts={"lexicon": user}))
    assert job.settings["lexicon"] == {"Darcy": DARCY} and "normalizer_version" in job.settings
    texts = chunk_texts(store, job)
    assert job.source["lexicon_used"] == {"Darcy": DARCY}
    plain, _ = add_book(store, "book.txt", BOOK, make_config())
    assert DARCY.strip("/") in phonemes(tiny_engine, texts[0])
    assert DARCY.strip("/") not in phonemes(tiny_engine, chunk_texts(store, plain)[0])


def test_a_changed_user_lexicon_makes_a_new_job(make_config, tmp_path):
    user = tmp_path / "lexicon.toml"
    user.write_text('Darcy = "dar-see"\n', encoding="utf-8")
    store = JobStore(tmp_path / "jobs")
    first, _ = add_book(store, "book.txt", BOOK, make_config(tts={"lexicon": user}))
    user.write_text('Darcy = "dar-sy"\n', encoding="utf-8")
    second, created = add_book(store, "book.txt", BOOK, make_config(tts={"lexicon": user}))
    assert created and second.id != first.id


def test_the_books_sidecar_lexicon_changes_the_phonemes(make_config, tmp_path, tiny_engine):
    config = make_config()
    inbox = config.paths.inbox
    (inbox / "book.txt").write_bytes(BOOK)
    (inbox / "book.lexicon.toml").write_text(f'Darcy = "{DARCY}"\n', encoding="utf-8")
    store = JobStore(config.paths.jobs)
    job, _ = add_book(store, "book.txt", BOOK, config)
    (inbox / "book.lexicon.toml").unlink()  # the job keeps its own copy
    texts = chunk_texts(store, job)
    assert job.source["lexicon_sidecar"] == "book.lexicon.toml"
    assert job.source["lexicon_used"] == {"Darcy": DARCY}
    assert DARCY.strip("/") in phonemes(tiny_engine, texts[0])


def epub_with_pls(pls: str) -> bytes:
    """A minimal EPUB 3 with one chapter and a PLS lexicon in its manifest."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as book:
        book.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        book.writestr("META-INF/container.xml", '<?xml version="1.0"?><container version="1.0" '
                      'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile '
                      'full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>')
        book.writestr("OEBPS/content.opf", '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" '
                      'version="3.0" unique-identifier="id"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
                      '<dc:identifier id="id">x</dc:identifier><dc:title>T</dc:title><dc:language>en</dc:language>'
                      '</metadata><manifest><item id="c1" href="c1.xhtml" media-type="application/xhtml+xml"/>'
                      '<item id="lex" href="names.pls" media-type="application/pls+xml"/></manifest>'
                      '<spine><itemref idref="c1"/></spine></package>')
        book.writestr("OEBPS/c1.xhtml", '<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body>'
                      '<h1>Chapter I</h1><p>Hermione met Mr Darcy in the garden.</p></body></html>')
        book.writestr("OEBPS/names.pls", pls)
    return buffer.getvalue()


def test_an_epubs_pls_lexicon_changes_the_phonemes(tiny_engine):
    book = read_book(epub_with_pls(PLS.replace("hɜːˈmaɪəni", "hɜːˈmaɪənaɪ")), "book.epub")
    assert [name for name, _ in book.lexicons] == ["names.pls"]
    settings = {"lang_code": "a", "normalizer_version": 1, "lexicon": {}}
    with_pls = speakable_texts([book.text], settings, book.headings, pls=parse_book_pls(book.lexicons)[0])
    without = speakable_texts([book.text], settings, book.headings)
    assert with_pls.lexicon_used == {"Hermione": "/hɜɹˈmIənI/"}
    assert "hɜɹˈmIənI" in phonemes(tiny_engine, with_pls.texts[0])
    assert "hɜɹˈmIənI" not in phonemes(tiny_engine, without.texts[0])


# ----------------------------------------------------------------------------- bad files


def test_a_bad_sidecar_fails_its_book_with_file_line_and_entry_and_the_next_book_is_made(make_config, tmp_path):
    config = make_config()
    (config.paths.inbox / "bad.lexicon.toml").write_text('Hermione = "her-my-oh-nee"\nDarcy = ["x"]\n', encoding="utf-8")
    store = JobStore(config.paths.jobs)
    bad, _ = add_book(store, "bad.txt", BOOK, config)
    good, _ = add_book(store, "good.txt", BOOK, config)
    runner = JobRunner(store, config, ToneProvider(), space_wait_seconds=0.01, space_margin=0)
    bad, good = runner.run(bad), runner.run(good)
    assert bad.status == "failed"
    assert "bad.lexicon.toml, line 2, entry 'Darcy': must be a string" in bad.error
    assert good.status == "done"


def test_a_bad_user_lexicon_fails_the_book_with_its_error_instead_of_stopping_the_daemon(make_config, tmp_path):
    user = tmp_path / "lexicon.toml"
    user.write_text('Darcy = "/dˈɑɹsi/"\nBingley = "/bɪŋ!/"\n', encoding="utf-8")
    config = make_config(tts={"lexicon": user})
    store = JobStore(config.paths.jobs)
    job, _ = add_book(store, "book.txt", BOOK, config)
    assert "lexicon.toml, line 2, entry 'Bingley'" in job.settings["lexicon_error"]
    job = JobRunner(store, config, ToneProvider(), space_wait_seconds=0.01, space_margin=0).run(job)
    assert job.status == "failed" and "line 2, entry 'Bingley'" in job.error


def test_an_empty_lexicon_changes_nothing():
    assert Lexicon().apply("Darcy") == ("Darcy", {})
    assert dataclasses.replace(Lexicon()).to_json() == {}


def test_lexicon_markup_counts_the_words_letters_not_the_phonemes_and_loses_no_coverage(tiny_engine):
    text = "[Darcy](/dˈɑɹsi/) met [Mr](/mˈɪstəɹ/) [Bingley](/bˈɪŋɡli/) and [her-my-oh-nee]()."
    calls = G2P(tiny_engine.pipeline)(Utterance(text, True))
    coverage = calls[-1].coverage
    assert coverage.sent == letters("Darcy met Mr Bingley and her-my-oh-nee.") == coverage.spoken
    assert not coverage.dropped
    assert " ".join(call.phonemes for call in calls).startswith("dˈɑɹsi mˈɛt mˈɪstəɹ bˈɪŋɡli ænd")
