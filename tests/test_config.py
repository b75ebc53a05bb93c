import tomllib
from pathlib import Path

import pytest

from kokoro_tts.config import ConfigError, default_config_text, load_config, parse_config

REPO = Path(__file__).resolve().parents[1]


def test_the_example_config_loads_and_matches_the_defaults_it_documents():
    config = load_config(REPO / "config.example.toml")
    assert config.tts.provider == "kokoro"
    assert config.jobs.max_chunk_chars == 20000
    assert config.jobs.retries == 2
    assert config.paths.inbox == Path("~/tts/inbox").expanduser()


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
