"""`build_config`: a daemon's Config in one folder, with the values a test asks for.

    build_config(root)                                          # root/inbox, root/outbox, root/jobs
    build_config(root, jobs={"max_chunk_chars": 300}, watch={"settle_seconds": 0.3})
    build_config(root, tts={"kokoro": engine.settings}, hooks=HooksConfig(on_done="..."))

Each keyword is a section of Config: a dict changes those fields of the test default (below),
a section object replaces it. `paths` may give other folder names, relative to root.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from kokoro_narrator.core.config import Config, JobsConfig, PathsConfig, WatchConfig

DEFAULTS = Config(jobs=JobsConfig(max_chunk_chars=20000), watch=WatchConfig(settle_seconds=0.2))
"""What a test gets unless it asks otherwise: the shipped defaults, but a short settle time."""


def build_config(root: Path, *, mkdir: bool = True, paths: dict[str, str | Path] | None = None,
                 **sections: Any) -> Config:
    """Return a Config whose inbox, outbox and jobs folders are in root (made, unless mkdir is False)."""
    names = {"inbox": "inbox", "outbox": "outbox", "jobs": "jobs", **(paths or {})}
    folders = PathsConfig(**{key: Path(root) / name for key, name in names.items()})
    if mkdir:
        for folder in (folders.inbox, folders.outbox, folders.jobs):
            folder.mkdir(parents=True, exist_ok=True)
    changed = {}
    for section, value in sections.items():
        default = getattr(DEFAULTS, section)  # AttributeError: no such section
        changed[section] = dataclasses.replace(default, **value) if isinstance(value, dict) else value
    return dataclasses.replace(DEFAULTS, paths=folders, **changed)
