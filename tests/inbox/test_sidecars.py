"""sidecars.py: where a book's settings and lexicon sidecars are, and how the lexicon one is read."""

from pathlib import Path

from kokoro_narrator.inbox.sidecars import (lexicon_sidecar, lexicon_sidecar_settings, read_lexicon_sidecar,
                                            settings_sidecar)


def test_sidecar_names_come_from_the_books_stem():
    assert settings_sidecar(Path("in/Alice.epub")) == Path("in/Alice.toml")
    assert lexicon_sidecar(Path("in/Alice.epub")) == Path("in/Alice.lexicon.toml")
    assert lexicon_sidecar(Path("in/a.b.md")) == Path("in/a.b.lexicon.toml")


def test_a_lexicon_sidecar_gives_entries_or_its_error_and_none_gives_nothing(tmp_path):
    book = tmp_path / "alice.txt"
    assert lexicon_sidecar_settings(book) == {} and read_lexicon_sidecar(book) is None
    lexicon_sidecar(book).write_text('Darcy = "dar-see"\n')
    assert lexicon_sidecar_settings(book) == {"book_lexicon": {"Darcy": "dar-see"}}
    assert read_lexicon_sidecar(book) == b'Darcy = "dar-see"\n'
    lexicon_sidecar(book).write_text("Darcy = 5\n")
    assert "must be a string" in lexicon_sidecar_settings(book)["book_lexicon_error"]
