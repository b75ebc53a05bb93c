"""`epubcheck(path)`: validate an EPUB with Debian's epubcheck, the tool publishers use; tests skip without it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

needs_epubcheck = pytest.mark.skipif(shutil.which("epubcheck") is None or shutil.which("java") is None,
                                     reason="epubcheck is not installed (apt-get install epubcheck)")


def epubcheck(path: Path) -> None:
    """Assert that epubcheck reports no error and no warning for path."""
    tool = shutil.which("epubcheck")
    # Debian's is a bare jar; a big book overflows the default stack in its reading-order check
    command = ["java", "-Xss64m", "-jar", tool] if Path(tool).resolve().suffix == ".jar" else [tool]
    done = subprocess.run(command + [str(path)], capture_output=True, text=True, timeout=300)
    report = [line for line in (done.stdout + done.stderr).splitlines() if line.startswith(("ERROR", "FATAL", "WARN"))]
    assert done.returncode == 0 and not report, "\n".join(report) or done.stdout + done.stderr
