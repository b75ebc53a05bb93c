"""Logging for the command line and for systemd's journal.

Under systemd (JOURNAL_STREAM set: stderr goes to the journal) each line starts with a
syslog priority prefix (`<3>` error, `<4>` warning, `<6>` info, `<7>` debug), which
journald reads and strips, so `journalctl -p warning` shows warnings and errors. The
journal stamps each line itself. In a terminal, lines carry a timestamp instead.
"""

from __future__ import annotations

import logging
import os
import sys

PRIORITIES = {logging.CRITICAL: 2, logging.ERROR: 3, logging.WARNING: 4, logging.INFO: 6, logging.DEBUG: 7}


def under_journald() -> bool:
    """Whether stderr is the journal: systemd sets JOURNAL_STREAM to its device:inode."""
    stream = os.environ.get("JOURNAL_STREAM", "")
    if ":" not in stream:
        return False
    try:
        status = os.fstat(sys.stderr.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return stream == f"{status.st_dev}:{status.st_ino}"


class JournalFormatter(logging.Formatter):
    """`<priority>level name: message`, one journal entry per line of a multi-line message."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        prefix = f"<{PRIORITIES.get(record.levelno, 6)}>"
        return "\n".join(prefix + line for line in text.split("\n"))


def setup_logging(verbose: bool = False) -> None:
    """Log one line per event to stderr; quiet kokoro's own debug output (loguru)."""
    handler = logging.StreamHandler(sys.stderr)
    if under_journald():
        handler.setFormatter(JournalFormatter("%(levelname)s %(name)s: %(message)s"))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s",
                                               datefmt="%Y-%m-%d %H:%M:%S"))
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if not getattr(h, "kokoro_narrator", False)]
    handler.kokoro_narrator = True  # type: ignore[attr-defined]  # ours, replaced on a second call
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    try:
        from loguru import logger as loguru_logger

        loguru_logger.remove()
        loguru_logger.add(sys.stderr, level="DEBUG" if verbose else "WARNING")
    except ImportError:
        pass
