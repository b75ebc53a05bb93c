"""`kokoro-narrator chunk --text` and `--phonemes`: exactly what goes to G2P, before any synthesis."""

from __future__ import annotations

import re

from kokoro_narrator.cli.commands import main

BOOK = ("The opening line.\n\nCHAPTER IV.\n\nJONATHAN HARKER'S JOURNAL--continued. Mr Darcy came at 8:35.\n\n"
        "CHAPTER V.\n\nHenry VIII, I think, met Darcy.\n")
DARCY = "dˈɑɹsIz"


def run(tmp_path, capsys, *args: str) -> tuple[int, str, str]:
    config = tmp_path / "config.toml"
    if not config.exists():
        config.write_text("", encoding="utf-8")
    code = main(["chunk", *args, "--config", str(config)])
    out = capsys.readouterr()
    return code, out.out, out.err


def write_book(tmp_path, text: str = BOOK):
    book = tmp_path / "book.txt"
    book.write_text(text, encoding="utf-8")
    return book


def test_chunk_text_prints_the_normalized_text_with_chapter_titles_marked(tmp_path, capsys):
    code, out, _ = run(tmp_path, capsys, "--text", str(write_book(tmp_path)))
    assert code == 0
    assert "=== chapter 1: CHAPTER IV." in out and "=== chapter 2: CHAPTER V." in out
    spoken = [line for line in out.splitlines() if not line.startswith(("===", "---"))]
    assert "Chapter Four." in spoken and "Chapter Five." in spoken
    assert "Jonathan Harker's journal\u2014continued. Mr Darcy came at eight thirty-five." in spoken  # a shouted run in prose: sentence case
    assert "Henry the Eighth, I think, met Darcy." in spoken
    assert not any(re.search(r"\b(IV|VIII)\b|--", line) for line in spoken)


def test_chunk_text_of_a_corpus_book_has_no_roman_numeral_heading(tmp_path, capsys, corpus):
    code, out, _ = run(tmp_path, capsys, "--text", str(corpus / "pg11.txt"))
    assert code == 0
    first_lines = re.findall(r"^--- chunk \d+ .*\n(.*)$", out, re.MULTILINE)
    assert "Chapter Two. The Pool of Tears" in first_lines
    assert not any(re.search(r"\bCHAPTER\b|\b[IVX]+\.", line) for line in first_lines)


def test_the_user_lexicon_next_to_the_config_shows_in_the_preview(tmp_path, capsys):
    (tmp_path / "lexicon.toml").write_text(f'Darcy = "/{DARCY}/"\n', encoding="utf-8")
    code, out, _ = run(tmp_path, capsys, "--text", str(write_book(tmp_path)))
    assert code == 0
    assert f"lexicon: Darcy = /{DARCY}/" in out
    assert f"met [Darcy](/{DARCY}/)." in out


def test_chunk_phonemes_shows_the_phonemes_of_one_chapter_with_the_books_sidecar(tmp_path, capsys):
    book = write_book(tmp_path)
    (tmp_path / "book.lexicon.toml").write_text(f'Darcy = "/{DARCY}/"\n', encoding="utf-8")
    code, out, _ = run(tmp_path, capsys, "--phonemes", "--chapter", "2", str(book))
    assert code == 0
    assert "=== chapter 2: CHAPTER V." in out and "chapter 1" not in out
    assert "  Henry the Eighth, I think, met [Darcy](/dˈɑɹsIz/)." in out
    phoneme_lines = [line.strip() for line in out.splitlines() if line.startswith("    /")]
    assert any(DARCY in line and "ˈAθ" in line for line in phoneme_lines), phoneme_lines


def test_a_bad_lexicon_is_named_with_its_line_and_entry_and_exits_1(tmp_path, capsys):
    book = write_book(tmp_path)
    (tmp_path / "book.lexicon.toml").write_text('Darcy = "/dˈɑɹsi/"\nHarker = 3\n', encoding="utf-8")
    code, _, err = run(tmp_path, capsys, "--text", str(book))
    assert code == 1
    assert "book.lexicon.toml, line 2, entry 'Harker': must be a string" in err


def test_a_chapter_that_is_not_there_is_refused(tmp_path, capsys):
    code, out, _ = run(tmp_path, capsys, "--text", "--chapter", "9", str(write_book(tmp_path)))
    assert code == 2 and "there is no chapter 9; the book has chapters 0 to 2" in out


def test_the_preview_reads_a_book_in_its_own_language(tmp_path, capsys):
    """A book's own lang_code (its <stem>.toml) changes what the daemon reads: the preview shows the same."""
    book = write_book(tmp_path)
    (tmp_path / "book.toml").write_text('lang_code = "e"\n', encoding="utf-8")
    code, out, _ = run(tmp_path, capsys, "--text", str(book))
    assert code == 0 and "lang_code: e (the book's own settings)" in out
    assert "Henry VIII, I think, met Darcy." in out  # English readings (the Eighth) are for English books only
    code, out, _ = run(tmp_path, capsys, "--phonemes", "--chapter", "2", str(book))
    assert code == 0 and "ˈAθ" not in out  # Spanish G2P (espeak), not misaki's English
    try:
        import pyopenjtalk  # noqa: F401
    except ImportError:
        (tmp_path / "book.toml").write_text('lang_code = "j"\n', encoding="utf-8")
        code, _, err = run(tmp_path, capsys, "--phonemes", str(book))
        assert code == 1 and "pip install 'misaki[ja]'" in err


def test_a_book_in_a_voice_folder_with_auto_is_previewed_in_its_voices_language(tmp_path, capsys, monkeypatch):
    inbox = tmp_path / "inbox"
    (inbox / "bf_emma").mkdir(parents=True)
    (tmp_path / "config.toml").write_text(f'[paths]\ninbox = "{inbox}"\n', encoding="utf-8")
    (inbox / "bf_emma" / "b.txt").write_text("The colour of the water.\n", encoding="utf-8")
    (inbox / "bf_emma" / "b.toml").write_text('lang_code = "auto"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # a relative path, as a user types it
    code, out, _ = run(tmp_path, capsys, "--text", "inbox/bf_emma/b.txt")
    assert code == 0 and "lang_code: b (the book's own settings)" in out


def test_chunk_text_reads_every_line_of_a_heading_block_as_a_heading(tmp_path, capsys):
    story = "It was a cold morning in the second week of the year, and the fog lay thick on Baker Street. " * 3
    text = "".join(f"CHAPTER {n}.\n{second}\n\n{story}\n\n" for n, second in (
        ("IV", "ADVENTURE VI. THE MAN WITH THE TWISTED LIP"), ("V", "ADVENTURE VII. THE BLUE CARBUNCLE")))
    text += f"CHAPTER VI.\n\nADVENTURE VIII. THE SPECKLED BAND\n\n{story}\n"  # the second line a paragraph apart
    code, out, _ = run(tmp_path, capsys, "--text", str(write_book(tmp_path, text)))
    assert code == 0
    spoken = [line for line in out.splitlines() if not line.startswith(("===", "---"))]
    assert "Adventure Six. The Man with the Twisted Lip" in spoken
    assert "Adventure Seven. The Blue Carbuncle" in spoken and "Adventure Eight. The Speckled Band" in spoken
    assert not any(re.search(r"\b[IVX]{2,}\b", line) for line in spoken)


def test_a_three_line_heading_block_is_read_as_a_heading_in_a_book_with_only_one(tmp_path, capsys):
    """Review: `CHAPTER V.` / `ADVENTURE VII.` / `THE RED-HEADED LEAGUE` was no heading (two lines at most),
    so VII was read as letters and the title lowercased."""
    from kokoro_narrator.chapters.lines import is_heading

    story = "It was a cold morning in the second week of the year, and the fog lay thick on Baker Street. " * 3
    text = f"CHAPTER V.\nADVENTURE VII.\nTHE RED-HEADED LEAGUE\n\n{story}\n"
    code, out, _ = run(tmp_path, capsys, "--text", str(write_book(tmp_path, text)))
    spoken = [line for line in out.splitlines() if not line.startswith(("===", "---"))]
    assert code == 0 and [line for line in spoken if line][:3] == ["Chapter Five.", "Adventure Seven.",
                                                                   "The Red-Headed League"]
    assert not is_heading("CHAPTER V.\nADVENTURE VII.\nit was a dark and stormy night, and we sat by the fire")
