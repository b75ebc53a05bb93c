"""Per-book settings (voice folder, front matter, sidecar) and voice languages."""

import dataclasses
import json
import logging
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from kokoro_narrator.inbox.settings import (BookSettingsError, book_lang_code, front_matter, language_warning,
                                         read_book_settings)
from kokoro_narrator.core.config import Config, KokoroConfig
from kokoro_narrator.service.daemon import Daemon
from kokoro_narrator.books.frontmatter import split_front_matter
from kokoro_narrator.books.reader import read_book

from support.providers import ToneProvider

BOOK = "CHAPTER I\n\n" + "A sentence of the book, spoken as a tone.\n\n" * 3


@pytest.fixture
def kokoro(tmp_path) -> KokoroConfig:
    voices = tmp_path / "voices"
    voices.mkdir()
    for name in ("af_heart", "bf_emma", "jf_alpha"):
        (voices / f"{name}.pt").write_bytes(b"")
    return KokoroConfig(voices_dir=voices)


@pytest.fixture
def voices_config(make_config, kokoro) -> Config:
    """The test config (conftest.py), with a voices folder that has af_heart, bf_emma and jf_alpha."""
    return make_config(tts={"kokoro": kokoro}, jobs={"max_chunk_chars": 300})


def settings(inbox: Path, relative: str, text: str | None, kokoro, sidecar: str | None = None):
    fields = split_front_matter(text)[1] if text is not None else None
    return read_book_settings(inbox / relative, inbox, fields, kokoro, sidecar.encode() if sidecar else None)


def keys_of(text: str) -> dict:
    """The per-book settings a markdown text's front matter sets."""
    return front_matter(split_front_matter(text)[1])


# ----------------------------------------------------------------------------- where settings come from


def test_yaml_and_toml_front_matter_give_the_known_keys_and_leave_the_others():
    yaml = '---\ntitle: "Emma: A Novel"\nauthor: Jane Austen  # the author\nvoice: bf_emma\ndate: 1815\n---\n# Emma\n'
    assert keys_of(yaml) == {"title": "Emma: A Novel", "author": "Jane Austen", "voice": "bf_emma"}
    toml = '+++\ntitle = "Emma"\nspeed = 1.1\ntags = ["x"]\n+++\nText.\n'
    assert keys_of(toml) == {"title": "Emma", "speed": 1.1}
    assert keys_of("---\n\nJust a rule and prose.\n") == {}


def test_a_voice_folder_then_front_matter_then_a_sidecar_each_win_key_by_key(tmp_path, kokoro):
    inbox = tmp_path / "inbox"
    text = "---\nvoice: af_heart\nspeed: 0.9\ntitle: From the front matter\n---\nText."
    assert settings(inbox, "bf_emma/b.txt", "Text.", kokoro) == {"voice": "bf_emma"}
    assert settings(inbox, "bf_emma/b.md", text, kokoro) == {"voice": "af_heart", "speed": 0.9,
                                                             "title": "From the front matter"}
    assert settings(inbox, "bf_emma/b.md", text, kokoro, 'speed = 1.25\nauthor = "Me"') == {
        "voice": "af_heart", "speed": 1.25, "title": "From the front matter", "author": "Me"}
    assert settings(inbox, "b.txt", "---\nvoice: bf_emma\n---\n", kokoro) == {}  # front matter is markdown's
    blend = "---\nvoice: af_heart * 0.7 + bf_emma*0.3\n---\nText."  # a blend wherever a voice is named
    assert settings(inbox, "b.md", blend, kokoro) == {"voice": "af_heart*0.7+bf_emma*0.3"}
    assert settings(inbox, "af_heart+bf_emma/b.txt", "Text.", kokoro) == {"voice": "af_heart+bf_emma"}


@pytest.mark.parametrize("relative, sidecar, message", [
    ("xx_nobody/b.txt", None, "inbox folder xx_nobody/: voice: is not one of the voices in"),
    ("b.txt", 'voice = "../../etc/passwd"', "b.toml: voice: is not a voice name"),
    ("b.txt", "speed = 7", "b.toml: speed: must be between 0.5 and 2.0, got 7.0"),
    ("b.txt", 'speed = "fast"', "b.toml: speed: must be a number"),
    ("b.txt", 'colour = "blue"', "b.toml: colour: unknown key"),
    ("b.txt", "title = ", "b.toml: not valid TOML"),
    ("b.txt", 'lang_code = "x"', "b.toml: lang_code: must be one of"),
    ("b.txt", 'voice = "af_heart*0.5 + xx_nobody"', "b.toml: voice: xx_nobody is not one of the voices in"),
    ("b.txt", 'voice = "af_heart*0 + bf_emma"', "b.toml: voice: is not a voice blend: af_heart: weight 0 must be"),
    ("af_heart+xx/b.txt", None, "xx/: voice: xx is not one of the voices in"),
])
def test_a_bad_setting_is_an_error_naming_where_which_key_and_why(tmp_path, kokoro, relative, sidecar, message):
    with pytest.raises(BookSettingsError, match=message.replace("(", r"\(").replace(".", r"\.")):
        settings(tmp_path / "inbox", relative, "Text.", kokoro, sidecar)


def test_a_book_has_its_own_language_and_auto_takes_its_voices(tmp_path, kokoro):
    inbox = tmp_path / "inbox"
    assert settings(inbox, "b.txt", "x", kokoro, 'lang_code = "j"') == {"lang_code": "j"}
    emma = settings(inbox, "bf_emma/b.txt", "x", kokoro, 'lang_code = "auto"')
    assert emma == {"voice": "bf_emma", "lang_code": "auto"} and book_lang_code(kokoro, emma) == "b"
    mine = settings(inbox, "b.txt", "x", kokoro, 'lang_code = "auto"')
    assert book_lang_code(kokoro, mine) == "a"  # the daemon's af_heart
    assert book_lang_code(dataclasses.replace(kokoro, voice="jf_alpha"), mine) == "j"  # the daemon's voice of the day
    assert book_lang_code(kokoro, {}) == book_lang_code(kokoro, None) == "a"
    with pytest.raises(BookSettingsError, match="lang_code: \"auto\" takes the language from the voice"):
        settings(inbox, "b.txt", "x", dataclasses.replace(kokoro, voice=str(tmp_path / "mine.pt")), 'lang_code = "auto"')


def test_a_uk_books_sidecar_lexicon_is_checked_against_the_uk_alphabet(voices_config):
    """The sidecar lexicon was checked with the daemon's US alphabet, failing a UK book's ː."""
    (voices_config.paths.inbox / "emma.txt").write_text(BOOK)
    (voices_config.paths.inbox / "emma.toml").write_text('lang_code = "b"\n')
    (voices_config.paths.inbox / "emma.lexicon.toml").write_text('Darcy = "/dˈɑːsi/"\n')
    daemon = Daemon(voices_config, ToneProvider(), space_wait_seconds=0.01)
    job = daemon.ingest(voices_config.paths.inbox / "emma.txt")
    assert job.status == "queued" and job.settings["lang_code"] == "b"
    assert job.settings["book_lexicon"] == {"Darcy": "/dˈɑːsi/"}


def test_front_matter_lists_and_empty_keys_never_fail_the_book_and_lists_become_author_tags(tmp_path):
    """`author: [A, B]` failed the book ("must be a non-empty string"); markdown.py reads it as two authors."""
    assert keys_of("---\nauthor: [Ann, Bo]\ntitle:\nvoice: bf_emma\n---\nT") == {"voice": "bf_emma"}
    assert keys_of("---\ntitle: Emma\nauthor:\n  - Jane Austen\n---\nT") == {"title": "Emma"}
    assert keys_of('+++\nauthor = ["Ann", "Bo"]\n+++\nT') == {}
    assert read_book(b"---\nauthor: [Ann, Bo]\n---\nT", "b.md").metadata["authors"] == ["Ann", "Bo"]


def test_without_local_voices_a_voice_must_look_like_a_kokoro_voice(tmp_path):
    hub = KokoroConfig()
    assert settings(tmp_path, "b.txt", "x", hub, 'voice = "zm_yunxi"') == {"voice": "zm_yunxi"}
    with pytest.raises(BookSettingsError, match="not a Kokoro voice name"):
        settings(tmp_path, "b.txt", "x", hub, 'voice = "Heart"')


def test_a_voice_of_another_language_is_warned_about_and_english_voices_go_together():
    assert language_warning("bf_emma", "a") is None
    assert language_warning("tiny_voice", "a") is None
    assert language_warning("/voices/jf_alpha.pt", "a") is None  # a path names no language
    warning = language_warning("jf_alpha", "a")
    assert "Japanese voice" in warning and "US English" in warning and "'j'" in warning
    # an English book read by the (Japanese-only) offline voices needs an English voice, not lang_code 'j'
    assert "For a US English book, choose a US English voice (its name starts with 'a')" in warning


# ----------------------------------------------------------------------------- through the daemon


def test_a_sidecar_sets_the_jobs_voice_and_speed_and_moves_with_its_book(voices_config):
    daemon = Daemon(voices_config, ToneProvider(), space_wait_seconds=0.01)
    daemon.runner.space_margin = 0
    (voices_config.paths.inbox / "emma.txt").write_text(BOOK)
    (voices_config.paths.inbox / "emma.toml").write_text('voice = "bf_emma"\nspeed = 1.2\ntitle = "Emma"\n')
    (voices_config.paths.inbox / "emma.lexicon.toml").write_text('Emma = "EM-uh"\n')
    job = daemon.ingest(voices_config.paths.inbox / "emma.txt")
    assert (job.settings["voice"], job.settings["speed"]) == ("bf_emma", 1.2)
    assert job.source["book_settings"]["title"] == "Emma"
    assert job.source["metadata"]["title"] == "Emma"  # the output's tags (publish.book_tags)
    plain = daemon.ingest(_drop(voices_config, "other.txt"))
    assert plain.settings["voice"] == "af_heart" and plain.id != job.id
    daemon._supersede_changed_jobs()  # per-book settings are not "changed settings"
    assert daemon.store.find(job.id).status == "queued"
    from kokoro_narrator.inbox.afterwards import book_ended

    job = daemon.runner.run(job)
    book_ended(voices_config, daemon.store, job)
    assert sorted(p.name for p in (voices_config.paths.inbox / "done").iterdir()) == ["emma.lexicon.toml", "emma.toml", "emma.txt"]
    assert json.loads(Path(job.output["json"]).read_text())["tags"]["title"] == "Emma"


def test_a_book_with_an_unknown_voice_fails_with_a_clear_error_and_the_next_book_is_made(voices_config, caplog):
    daemon = Daemon(voices_config, ToneProvider(), space_wait_seconds=0.01)
    daemon.runner.space_margin = 0
    (voices_config.paths.inbox / "nobody").mkdir()
    with caplog.at_level(logging.ERROR):
        bad = daemon.ingest(_drop(voices_config, "nobody/book.txt"))
    assert bad.status == "failed" and "voice: is not one of the voices" in bad.error
    assert "nobody" in caplog.text
    assert "voice: is not one" in (voices_config.paths.inbox / "failed" / "nobody" / "book.txt.log").read_text()
    good = daemon.runner.run(daemon.ingest(_drop(voices_config, "good.txt")))
    assert good.status == "done"


def test_a_fixed_sidecar_makes_a_new_job_for_the_same_book(voices_config):
    daemon = Daemon(voices_config, ToneProvider(), space_wait_seconds=0.01)
    (voices_config.paths.inbox / "b.toml").write_text("speed = 9\n")
    bad = daemon.ingest(_drop(voices_config, "b.txt"))
    assert bad.status == "failed"
    _drop(voices_config, "b.txt")
    (voices_config.paths.inbox / "b.toml").write_text("speed = 1.5\n")
    fixed = daemon.ingest(voices_config.paths.inbox / "b.txt")
    assert fixed.id != bad.id and fixed.status == "queued" and fixed.settings["speed"] == 1.5


def test_a_book_in_a_voice_folder_is_spoken_by_that_voice_on_the_tiny_model(make_config, tiny_settings, tiny_engine):
    config = make_config(tts={"kokoro": dataclasses.replace(tiny_settings, voice="af_heart")},
                         jobs={"max_chunk_chars": 300})
    paths = config.paths
    voice = tiny_settings.voice
    (paths.inbox / voice).mkdir(parents=True)
    (paths.inbox / voice / "short.txt").write_text("Hello there.")
    daemon = Daemon(config, tiny_engine, space_wait_seconds=0.01)
    job = daemon.runner.run(daemon.ingest(paths.inbox / voice / "short.txt"))
    assert job.status == "done" and job.settings["voice"] == voice
    assert sf.info(job.output["wav"]).frames > 0
    assert json.loads(Path(job.output["json"]).read_text())["settings"]["voice"] == voice


def test_books_in_other_languages_are_read_with_their_own_g2p_on_the_tiny_model(make_config, tiny_settings, tiny_engine):
    """One daemon, one model: a UK English book beside US ones; a language whose G2P is not installed fails alone."""
    config = make_config(tts={"kokoro": tiny_settings}, jobs={"max_chunk_chars": 300})
    paths = config.paths
    text = "The tomato was on the schedule, said the lieutenant."
    for name, sidecar in (("us.txt", None), ("uk.txt", 'lang_code = "b"'), ("ja.txt", 'lang_code = "j"')):
        (paths.inbox / name).write_text(text)
        if sidecar:
            (paths.inbox / name).with_suffix(".toml").write_text(sidecar + "\n")
    daemon = Daemon(config, tiny_engine, space_wait_seconds=0.01)
    daemon.runner.retry_wait_seconds = 0.01
    us, uk = (daemon.runner.run(daemon.ingest(paths.inbox / name)) for name in ("us.txt", "uk.txt"))
    assert us.status == uk.status == "done" and uk.settings["lang_code"] == "b"
    assert tiny_engine.pipelines["b"].lang_code == "b" and tiny_engine.pipelines["a"] is tiny_engine.pipeline
    assert not np.array_equal(sf.read(us.output["wav"])[0], sf.read(uk.output["wav"])[0])  # other phonemes
    try:
        import pyopenjtalk  # noqa: F401
    except ImportError:
        japanese = daemon.runner.run(daemon.ingest(paths.inbox / "ja.txt"))
        assert japanese.status == "failed"
        assert "lang_code 'j' (Japanese) needs G2P that is not installed" in japanese.error
        assert "pip install 'misaki[ja]'" in japanese.error


def _drop(config, relative: str) -> Path:
    path = config.paths.inbox / relative
    path.write_text(BOOK + relative + "\n")
    return path


# ----------------------------------------------------------------------------- the daemon's own language


def test_lang_code_auto_takes_the_language_from_the_voice():
    from kokoro_narrator.core.config import ConfigError, parse_config

    assert parse_config({"tts": {"kokoro": {"voice": "bf_emma", "lang_code": "auto"}}}).tts.kokoro.lang_code == "b"
    assert parse_config({"tts": {"kokoro": {"lang_code": "auto"}}}).tts.kokoro.lang_code == "a"  # af_heart
    with pytest.raises(ConfigError, match="tts.kokoro.lang_code: .* voice '/v/mine.pt' has none"):
        parse_config({"tts": {"kokoro": {"voice": "/v/mine.pt", "lang_code": "auto"}}})


def test_a_foreign_voice_is_warned_about_when_synth_starts(tmp_path):
    from support.commands import kokoro_narrator

    config = tmp_path / "config.toml"  # a model that is not there: synth stops right after the warning
    config.write_text(f'[tts.kokoro]\nmodel_config = "{tmp_path}/none.json"\nmodel_weights = "{tmp_path}/none.pth"\n')
    (tmp_path / "t.txt").write_text("Hello.")
    result = kokoro_narrator("synth", "--config", str(config), "--text-file", str(tmp_path / "t.txt"),
                        "--out-wav", str(tmp_path / "o.wav"), "--voice", "jf_alpha", "--lang-code", "a")
    assert "voice jf_alpha is a Japanese voice but lang_code is 'a'" in result.stderr
    assert result.returncode == 1 and "Traceback" not in result.stderr


def test_a_changed_lexicon_sidecar_makes_a_new_job_and_settings_stay_put_at_restart(voices_config):
    daemon = Daemon(voices_config, ToneProvider(), space_wait_seconds=0.01)
    path = _drop(voices_config, "lex.txt")
    (voices_config.paths.inbox / "lex.lexicon.toml").write_text('Emma = "EM-uh"\n')
    first = daemon.ingest(path)
    assert "book_lexicon" in first.settings
    daemon._supersede_changed_jobs()
    assert daemon.store.find(first.id).status == "queued", "a book's own lexicon counted as changed settings"
    (voices_config.paths.inbox / "lex.lexicon.toml").write_text('Emma = "EM-ah"\n')
    assert daemon.ingest(path).id != first.id


def test_a_sidecar_names_the_books_dialogue_voice_and_cast(tmp_path, kokoro):
    sidecar = ('dialogue = "bf_emma"\n[cast]\n"Sherlock Holmes" = "af_heart*0.5 + jf_alpha*0.5"\n'
               '"Dr. Watson" = { voice = "jf_alpha", aliases = ["Watson", "Doctor"] }\n')
    assert settings(tmp_path / "inbox", "b.txt", "Text.", kokoro, sidecar) == {
        "dialogue": "bf_emma",
        "cast": [["Sherlock Holmes", "af_heart+jf_alpha", []], ["Dr. Watson", "jf_alpha", ["Watson", "Doctor"]]]}


@pytest.mark.parametrize("sidecar, message", [
    ('[cast]\n"Holmes" = "xx_nobody"', "b.toml: cast.Holmes: is not one of the voices in"),
    ('[cast]\n"Holmes" = { voice = "bf_emma", aliases = "Sherlock" }', "b.toml: cast.Holmes: aliases must be a list"),
    ('[cast]\n"Holmes" = 3', "b.toml: cast.Holmes: must be a voice, or"),
    ('cast = "everyone"', "b.toml: cast: must be a table of character = voice"),
    ('dialogue = "xx_nobody"', "b.toml: dialogue: is not one of the voices in"),
])
def test_a_bad_cast_is_an_error_naming_the_character(tmp_path, kokoro, sidecar, message):
    with pytest.raises(BookSettingsError, match=message.replace("(", r"\(").replace(".", r"\.")):
        settings(tmp_path / "inbox", "b.txt", "Text.", kokoro, sidecar)
