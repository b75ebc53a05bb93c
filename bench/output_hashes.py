"""SHA-256 of the outbox files the real daemon makes for two books on the tiny model.

    python bench/output_hashes.py            # prints one `sha256  name` line per outbox file

A reorganisation of the code must not change a byte of the audio: run this before and after,
on the same machine (torch's kernels differ between CPUs), and compare. The books: a markdown
book (front matter, headings, a list, a code block) and the EPUB 3 sample kept in tests/data.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from support.tiny_model import build_tiny_model, tiny_config_toml  # noqa: E402

MARKDOWN = """---
title: The Lamplighter
author: A. Writer
---

# Chapter I. The Gate

The lamp was lit at dusk, and the road beyond the gate went on into the hills. Mr. Brown
counted *three* lamps, then stopped.

- the first lamp
- the second lamp

```
code is not read
```

# Chapter II. The Hills

"Fire! Fire!" cried the keeper, in the year MDCCCXII, and went in. It was 4:30 p.m.
"""


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        model = build_tiny_model(root / "model")
        dirs = {name: root / name for name in ("inbox", "outbox", "jobs")}
        config = root / "config.toml"
        config.write_text(tiny_config_toml(model, **dirs) + '[output]\nformats = ["wav", "m4b"]\n'
                          "[watch]\nsettle_seconds = 0.5\n")
        dirs["inbox"].mkdir()
        (dirs["inbox"] / "lamplighter.md").write_text(MARKDOWN, encoding="utf-8")
        (dirs["inbox"] / "wasteland.epub").write_bytes((HERE.parent / "tests/data/epub/wasteland.epub").read_bytes())
        daemon = subprocess.Popen([sys.executable, "-m", "kokoro_narrator.cli", "run", "--config", str(config)],
                                  env=dict(os.environ, HF_HUB_OFFLINE="1"), stderr=subprocess.DEVNULL)
        try:
            wanted = [dirs["outbox"] / name for name in ("lamplighter.json", "wasteland.json")]
            deadline = time.monotonic() + 900
            while not all(path.exists() for path in wanted):
                if time.monotonic() > deadline or daemon.poll() is not None:
                    print("the daemon did not publish both books", file=sys.stderr)
                    return 1
                time.sleep(0.5)
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=120)
        for path in sorted(dirs["outbox"].iterdir()):
            if path.suffix in (".wav", ".m4b"):
                print(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
