"""Shared fixtures: the tiny real Kokoro model (built once per session) and its engine."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from tiny_model import VOICE, build_tiny_model  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(__file__).parent / "data" / "corpus"
"""Excerpts of the public-domain corpus (tests/data/corpus/README.md); the whole books are in ../shared."""


@pytest.fixture(autouse=True)
def restore_root_logging():
    """Tests that run `cli.main` in-process get the CLI's stderr handler, bound to that test's captured
    stderr: remove it afterwards, or later tests' log lines hit a closed file ("--- Logging error ---")."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers, root.level = handlers, level


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny-model"))


@pytest.fixture(scope="session")
def tiny_settings(tiny_model_dir: Path):
    from kokoro_narrator.core.config import KokoroConfig

    return KokoroConfig(
        voice=VOICE,
        device="cpu",
        model_config=tiny_model_dir / "config.json",
        model_weights=tiny_model_dir / "tiny.pth",
        voices_dir=tiny_model_dir / "voices",
    )


@pytest.fixture(scope="session")
def tiny_engine(tiny_settings):
    from kokoro_narrator.synthesis.engine import KokoroEngine

    return KokoroEngine.load(tiny_settings)


@pytest.fixture
def corpus() -> Path:
    return CORPUS


@pytest.fixture
def config(tmp_path):
    """A daemon's Config in tmp_path: inbox, outbox and jobs folders made, a short settle time."""
    from kokoro_narrator.core.config import Config, JobsConfig, PathsConfig, WatchConfig

    paths = PathsConfig(inbox=tmp_path / "inbox", outbox=tmp_path / "outbox", jobs=tmp_path / "jobs")
    for path in (paths.inbox, paths.outbox, paths.jobs):
        path.mkdir()
    return Config(paths=paths, jobs=JobsConfig(max_chunk_chars=20000), watch=WatchConfig(settle_seconds=0.2))
