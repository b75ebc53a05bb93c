"""Shared fixtures: the tiny real Kokoro model (built once per session) and its engine, a daemon's Config.

Tests mirror the package: tests/<subpackage>/test_<module>.py tests kokoro_narrator.<subpackage>.<module>;
tests/e2e/ runs the whole daemon (a process, or every stage in one); helpers are in tests/support/.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from kokoro_narrator.core.config import Config

from support.config import build_config
from support.tiny_model import VOICE, build_tiny_model

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


def _merge(sections: dict, more: dict) -> dict:
    """sections with more on top; a section given as a dict in both is merged field by field."""
    merged = dict(sections)
    for name, value in more.items():
        if isinstance(value, dict) and isinstance(merged.get(name), dict):
            value = {**merged[name], **value}
        merged[name] = value
    return merged


@pytest.fixture
def make_config(request, tmp_path):
    """Factory: make_config(root=tmp_path, **sections) -> a daemon's Config (support/config.py).

    Its defaults are the `config` marks on the test, its class and its module, nearest first;
    the sections given here go on top. For a test that needs more than one Config, or one made
    from another fixture's values (the tiny model's settings, say).
    """
    marked: dict = {}
    for mark in reversed(list(request.node.iter_markers("config"))):  # farthest first: the nearest wins
        marked = _merge(marked, mark.kwargs)

    def make(root: Path | None = None, **sections) -> Config:
        return build_config(tmp_path if root is None else root, **_merge(marked, sections))

    return make


@pytest.fixture
def config(make_config) -> Config:
    """The test's Config: inbox, outbox and jobs folders made in tmp_path, a short settle time.

    Its values come from `config` marks (support/config.py says what a section may be):

        pytestmark = pytest.mark.config(jobs={"max_chunk_chars": 300})   # the module's
        @pytest.mark.config(watch={"rescan_seconds": 2})                 # one test's, on top
    """
    return make_config()
