"""With the page off (the default) the web stack costs nothing: starlette, uvicorn and kokoro_narrator.web are
never imported, by the CLI nor by a daemon that runs. Checked in a fresh interpreter; with the page on, the
same script sees them loaded, so the check can fail."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
SCRIPT = """
import json, sys, threading, time
sys.path.insert(0, {tests!r})
from pathlib import Path
import kokoro_narrator.cli  # the command's own imports
from kokoro_narrator.service import Daemon
from support.config import build_config
from support.providers import ToneProvider
from support.web import free_port
root = Path({root!r})
config = build_config(root, web={{"enabled": {enabled}, "listen": f"127.0.0.1:{{free_port()}}", "state_dir": root / "state"}})
daemon = Daemon(config, ToneProvider())
thread = threading.Thread(target=daemon.run, daemon=True)
thread.start()
deadline = time.monotonic() + 20
while daemon.watcher is None and time.monotonic() < deadline:
    time.sleep(0.02)
(config.paths.inbox / "book.txt").write_text("A book, made while the check runs.")
while not any(job.status == "done" for job in daemon.store.all()) and time.monotonic() < deadline:
    time.sleep(0.05)
done = any(job.status == "done" for job in daemon.store.all())
daemon.stop.set(); daemon.wake.set(); thread.join(20)
print(json.dumps({{"done": done, "loaded": sorted(name for name in sys.modules
    if name.split(".")[0] in ("starlette", "uvicorn", "multipart", "python_multipart")
    or name.startswith("kokoro_narrator.web"))}}))
"""


@pytest.mark.parametrize("enabled", [False, True])
def test_the_web_stack_is_imported_only_when_the_page_is_on(tmp_path, enabled):
    script = SCRIPT.format(tests=str(TESTS), root=str(tmp_path), enabled=enabled)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    loaded = report["loaded"]
    assert report["done"], "the daemon made no book: the check proves nothing"
    if enabled:
        assert {"starlette", "uvicorn", "kokoro_narrator.web"} <= set(loaded)
    else:
        assert loaded == []
