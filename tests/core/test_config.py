import tomllib
from pathlib import Path

import pytest

from kokoro_narrator.core.config import ConfigError, default_config_text, load_config, parse_config, xdg_expand

REPO = Path(__file__).resolve().parents[2]


def test_the_example_config_loads_and_matches_the_defaults_it_documents():
    """Every key of config.example.toml, not a sample: the whole parsed Config equals the defaults."""
    assert load_config(REPO / "config.example.toml") == parse_config({})


def test_default_paths_honour_the_xdg_base_directories(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "conf"))
    (tmp_path / "conf" / "kokoro-tts").mkdir(parents=True)
    (tmp_path / "conf" / "kokoro-tts" / "config.toml").write_text('[paths]\ninbox = "books"\n')
    config = load_config()  # the default location, under $XDG_CONFIG_HOME
    assert config.paths.inbox == tmp_path / "conf" / "kokoro-tts" / "books"
    assert config.paths.jobs == tmp_path / "data" / "kokoro-tts" / "jobs"


def test_relative_or_unset_xdg_variables_fall_back_to_the_home_directory(monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", "relative/dir")  # the XDG spec says: ignore it
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    assert xdg_expand(Path("~/.local/share/kokoro-tts/jobs")) == Path.home() / ".local/share/kokoro-tts/jobs"
    assert xdg_expand(Path("~/.configuration")) == Path.home() / ".configuration"


def test_config_init_text_round_trips_to_the_defaults():
    assert parse_config(tomllib.loads(default_config_text())) == parse_config({})


def test_every_error_is_reported_at_once_with_its_key_path_and_value():
    with pytest.raises(ConfigError) as caught:
        parse_config({"tts": {"kokoro": {"speed": 7, "device": "gpu", "colour": "blue"}}, "jobs": {"retries": "two"}})
    errors = caught.value.errors
    assert "config.toml: tts.kokoro.speed: must be between 0.5 and 2.0, got 7" in errors
    assert "config.toml: tts.kokoro.device: must be one of 'auto', 'cpu', 'cuda', got 'gpu'" in errors
    assert "config.toml: tts.kokoro.colour: unknown key" in errors
    assert "config.toml: jobs.retries: must be of type int, got 'two'" in errors
    assert len(errors) == 4


def test_a_bad_split_pattern_is_rejected():
    with pytest.raises(ConfigError, match=r"tts.kokoro.split_pattern: is not a valid regular expression"):
        parse_config({"tts": {"kokoro": {"split_pattern": "(["}}})


def test_local_model_files_must_come_as_a_pair():
    with pytest.raises(ConfigError, match="tts.kokoro.model_weights"):
        parse_config({"tts": {"kokoro": {"model_config": "/x/config.json"}}})


def test_relative_paths_are_relative_to_the_config_file(tmp_path):
    (tmp_path / "config.toml").write_text('[paths]\ninbox = "in"\n[tts.kokoro]\nvoices_dir = "~/voices"\n')
    config = load_config(tmp_path / "config.toml")
    assert config.paths.inbox == tmp_path / "in"
    assert config.tts.kokoro.voices_dir == Path("~/voices").expanduser()


def test_a_missing_explicit_config_file_is_an_error_but_the_default_location_is_optional(tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "nope.toml")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert load_config(None) == parse_config({})


def test_invalid_toml_names_the_file(tmp_path):
    bad = tmp_path / "config.toml"
    bad.write_text("[tts\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)
