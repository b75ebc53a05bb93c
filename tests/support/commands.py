"""The command line as a user runs it: `python -m kokoro_narrator.cli ...` in a process of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def kokoro_narrator(*args: str, cwd: Path | None = None, **environ: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, HF_HUB_OFFLINE="1", **environ)
    return subprocess.run([sys.executable, "-m", "kokoro_narrator.cli", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=300)
