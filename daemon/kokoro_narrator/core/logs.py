"""Logging for the command line and for systemd's journal.

Under systemd (JOURNAL_STREAM set: stderr goes to the journal) each line starts with a
syslog priority prefix (`<3>` error, `<4>` warning, `<6>` info, `<7>` debug), which
journald reads and strips, so `journalctl -p warning` shows warnings and errors. The
journal stamps each line itself. In a terminal, lines carry a timestamp instead.

`shown(name)` escapes control characters in a file name, for one log or status line;
`escape_logged_names()` applies it to every str and path argument of every log call
(`log.info("queued %s", name)`), so that one event is one line wherever it is logged.
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


def shown(name: str) -> str:
    """Given a file name, return it fit for one log or status line: control characters escaped.

    `a\\nb.txt` (with a real newline) becomes `a\\\\nb.txt`; bytes that are not UTF-8
    (kept by Python as surrogates) are shown as `\\udcff`. Printable names come back as they are.
    """
    if name.isprintable():
        return name
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in name)


class EscapedArgs(logging.Filter):
    """Escapes control characters in a record's str and path arguments, so that one event is one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(shown(os.fspath(arg)) if isinstance(arg, (str, os.PathLike)) else arg
                                for arg in record.args)
        return True


def escape_logged_names() -> None:
    """Given logging set up (logs.setup_logging), escape names in every line its handlers write."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, EscapedArgs) for f in handler.filters):
            handler.addFilter(EscapedArgs())
