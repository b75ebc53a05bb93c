"""Pronunciation lexicons: the user's words, said the user's way, book-wide.

Three sources, a later one winning word by word:
1. the user lexicon, `lexicon.toml` next to the config file (or `tts.lexicon` in the config);
2. an EPUB's own PLS lexicon (EPUB 3 allows them; `SourceText.lexicons`);
3. the book's sidecar, `<book stem>.lexicon.toml` next to the book in the inbox.

A TOML lexicon maps a word or phrase to how it is said, one entry a line:

    Hermione = "her-my-oh-nee"            # a respelling: read as written
    Darcy = "/dˈɑɹsi/"                    # IPA in misaki's alphabet, between slashes
    "Mr Bingley" = "/mˈɪstəɹ bˈɪŋli/"

A key in lower case matches the word in any case; a key with capitals matches it as written
or in all capitals (`US` never matches "us"). In English books an IPA entry becomes misaki's
inline markup `[word](/phonemes/)`, which G2P takes as it is; a respelling replaces the
word's text. Other languages (espeak) take respellings only. A PLS file (pls.py)'s `<phoneme>` is
standard IPA, converted to misaki's alphabet (`ipa_to_misaki`); its `<alias>` is a
respelling.

A bad file raises LexiconError, whose message names the file, the line and the entry, and
says what to do; the caller fails that book with it and goes on with the others.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from ..core import tomllib
from .entries import check_entry, Entry, Lexicon, LexiconError

log = logging.getLogger(__name__)

USER_LEXICON = "lexicon.toml"
SIDECAR_COPY = "book.lexicon.toml"
"""The book's sidecar lexicon (inbox/sidecars.py), as kept in its job folder (the inbox copy may change or go)."""


# --------------------------------------------------------------------------- TOML


def parse_toml_lexicon(text: str, source: str, british: bool = False) -> Lexicon:
    """Given a TOML lexicon's text and its file name, return its Lexicon; raise LexiconError when bad."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LexiconError(f"{source}: not valid TOML: {exc}; write one entry a line: Word = \"respelling\" "
                           f"or Word = \"/phonemes/\"") from None
    entries = []
    for word, say in data.items():
        line = _line_of(text, word)
        where = f"{source}, line {line}, entry {word!r}"
        if not isinstance(say, str):
            raise LexiconError(f"{where}: must be a string (a respelling, or IPA between slashes), "
                               f"got {type(say).__name__} {say!r}")
        entries.append(Entry(word, check_entry(word, say, where, british), source))
    return Lexicon(tuple(entries))


def _line_of(text: str, word: str) -> int:
    """The line (1-based) where a TOML key is defined; 0 when it cannot be found."""
    key = re.compile(r"^\s*(?:" + re.escape(word) + r"|\"" + re.escape(word) + r"\"|'" + re.escape(word) + r"')\s*=")
    for number, line in enumerate(text.splitlines(), 1):
        if key.match(line):
            return number
    return 0


def read_toml_lexicon(path: Path, british: bool = False) -> Lexicon:
    """Given a lexicon file's path, return its Lexicon (empty when there is no such file).

    Raise LexiconError when the file cannot be read or an entry is wrong.
    """
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        return Lexicon()
    except (OSError, UnicodeDecodeError) as exc:
        raise LexiconError(f"{path}: cannot be read ({exc}); save it as UTF-8 text") from None
    return parse_toml_lexicon(text, path.name, british)


def user_lexicon_path(config: Any) -> Path | None:
    """Given the Config, return the user lexicon's path: `tts.lexicon`, else None (no user lexicon)."""
    return getattr(config.tts, "lexicon", None)


# --------------------------------------------------------------------------- a book's lexicon


def load_user_lexicon(config: Any) -> Lexicon:
    """Given the Config, return the user lexicon (empty when none); raise LexiconError when bad."""
    path = user_lexicon_path(config)
    return read_toml_lexicon(path, config.tts.kokoro.lang_code == "b") if path else Lexicon()


def lexicon_settings(config: Any) -> dict[str, Any]:
    """The user lexicon's part of a job's settings: its entries, or the error that makes the book fail."""
    try:
        return {"lexicon": load_user_lexicon(config).to_json()}
    except LexiconError as exc:
        log.error("%s", exc)
        return {"lexicon": {}, "lexicon_error": str(exc)}


def book_lexicon(settings: dict[str, Any], sidecar: bytes | None, pls: Lexicon = Lexicon(),
                 sidecar_name: str = SIDECAR_COPY) -> Lexicon:
    """Given a job's settings, its sidecar's bytes and the book's PLS entries (pls.parse_book_pls), return
    the book's lexicon.

    The user entries come from the settings (recorded when the job was made, so a resumed
    job reads as it began). Raise LexiconError for a bad file, or the user lexicon's error.
    """
    if settings.get("lexicon_error"):
        raise LexiconError(settings["lexicon_error"])
    british = settings.get("lang_code") == "b"
    lexicon = Lexicon.from_json(settings.get("lexicon"), "lexicon.toml")
    lexicon = lexicon.merged(pls)  # what a PLS leaves out was said when the book was taken in (ingest.py)
    if settings.get("book_lexicon_error"):
        raise LexiconError(settings["book_lexicon_error"])
    if "book_lexicon" in settings:  # the sidecar's entries, recorded in the settings (inbox/sidecars.py)
        return lexicon.merged(Lexicon.from_json(settings["book_lexicon"], sidecar_name))
    if sidecar is not None:
        try:
            text = sidecar.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise LexiconError(f"{sidecar_name}: not UTF-8 text ({exc}); save it as UTF-8") from None
        lexicon = lexicon.merged(parse_toml_lexicon(text, sidecar_name, british))
    return lexicon


def read_kept_sidecar(folder: Path) -> bytes | None:
    """Given a job folder, return its copy of the book's sidecar lexicon, or None when it has none."""
    try:
        return (folder / SIDECAR_COPY).read_bytes()
    except FileNotFoundError:
        return None


def with_default_lexicon(config: Any, config_path: Path | None) -> Any:
    """Given the Config and the config file's path (None: the default one), return the Config with
    `tts.lexicon` set: as configured, else `lexicon.toml` next to the config file."""
    import dataclasses

    from ..core import DEFAULT_CONFIG_PATH, xdg_expand

    if config.tts.lexicon is not None:
        return config
    path = (xdg_expand(config_path or DEFAULT_CONFIG_PATH).parent / USER_LEXICON).absolute()
    return dataclasses.replace(config, tts=dataclasses.replace(config.tts, lexicon=path))
