"""A book's sidecars in the inbox: `<stem>.toml` (its own settings) and `<stem>.lexicon.toml` (its lexicon).

Their names are made here and only here: the watcher waits for both as it waits for the book,
ingest reads both, `afterwards` moves both with their book, and `chunk --text` reads them as
the daemon does. Reading a lexicon sidecar lives here too, so that narration/ gets bytes and
settings, never a path into the inbox.
"""

from __future__ import annotations

import errno
import logging
from pathlib import Path
from typing import Any

from ..books import BOOK_SUFFIXES
from ..narration import LexiconError, read_toml_lexicon

log = logging.getLogger(__name__)

SETTINGS_SUFFIX = ".toml"
LEXICON_SUFFIX = ".lexicon.toml"
SIDECAR_SUFFIXES = (LEXICON_SUFFIX, SETTINGS_SUFFIX)
"""Longest first: `alice.lexicon.toml` is alice's lexicon, not the settings of a book named `alice.lexicon`."""


def settings_sidecar(book: Path) -> Path:
    """Given a book's path, return where its own settings would be: `<stem>.toml` beside it (settings.py)."""
    return book.with_suffix(SETTINGS_SUFFIX)


def lexicon_sidecar(book: Path) -> Path:
    """Given a book's path, return where its own lexicon would be: `<stem>.lexicon.toml` beside it (lexicon.py)."""
    return book.with_name(Path(book.name).stem + LEXICON_SUFFIX)


def sidecars_of(book: Path) -> list[Path]:
    """Given a book's path, return where both its sidecars would be (they may not exist)."""
    return [lexicon_sidecar(book), settings_sidecar(book)]


def books_of_sidecar(sidecar: Path) -> list[Path] | None:
    """Given a file's path, return the books it would be a sidecar of (one per book suffix, existing or not),
    or None when its name is no sidecar's."""
    name = sidecar.name
    suffix = next((s for s in SIDECAR_SUFFIXES if name.lower().endswith(s)), None)
    if suffix is None or name.startswith("."):
        return None
    base = name[:-len(suffix)]
    books = [sidecar.with_name(base + book_suffix) for book_suffix in BOOK_SUFFIXES]
    for book_suffix in BOOK_SUFFIXES:  # a book's sidecars drop its last suffix only: `x.fb2.zip` has `x.fb2.toml`
        inner, _, last = book_suffix.rpartition(".")
        if inner and base.lower().endswith(inner):
            books.append(sidecar.with_name(f"{base}.{last}"))
    return books


def lexicon_sidecar_settings(book: Path, lang_code: str = "a") -> dict[str, Any]:
    """Given a book's path in the inbox, return its sidecar lexicon as job settings: {"book_lexicon":
    entries}, {"book_lexicon_error": why} for a bad file, or {} when it has none.

    For the ingest: with these among a job's settings, a changed sidecar makes a new job, and
    `lexicon.book_lexicon` takes the entries from the settings instead of the kept copy.
    """
    path = lexicon_sidecar(book)
    try:
        if not path.is_file():
            return {}
    except OSError:  # e.g. a book name so long that no sidecar name can exist beside it
        return {}
    try:
        return {"book_lexicon": read_toml_lexicon(path, lang_code == "b").to_json()}
    except LexiconError as exc:
        return {"book_lexicon_error": str(exc)}


def read_lexicon_sidecar(book: Path) -> bytes | None:
    """Given a book's path in the inbox, return its sidecar lexicon's bytes, or None when it has none.

    What a new job keeps in its folder (`lexicon.SIDECAR_COPY`), read from its first chunk to its
    last: the inbox copy may change or go. A sidecar that cannot be read is warned about.
    """
    path = lexicon_sidecar(book)
    try:
        return path.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        return None
    except OSError as exc:
        if exc.errno != errno.ENAMETOOLONG:  # no sidecar can have such a name
            log.warning("%s: cannot be read (%s); the book is read without it", path, exc)
        return None
