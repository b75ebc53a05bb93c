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

import errno
import logging
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, from PyPI
    import tomli as tomllib

log = logging.getLogger(__name__)

USER_LEXICON = "lexicon.toml"
SIDECAR_SUFFIX = ".lexicon.toml"
SIDECAR_COPY = "book.lexicon.toml"
"""The book's sidecar lexicon, as kept in its job folder (the inbox copy may change or go)."""
MAX_ENTRY_CHARS = 100
US_PHONEMES = frozenset("AIOWYTbdfhijklmnpstuvwzæðŋɑɔəɛɜɡɪɹɾʃʊʌʒʤʧˈˌθᵊᵻʔ ")
GB_PHONEMES = frozenset("AIQWYabdfhijklmnpstuvwzðŋɑɒɔəɛɜɡɪɹʃʊʌʒʤʧˈˌːθᵊ ")
"""misaki's phoneme alphabets (misaki.en.US_VOCAB and GB_VOCAB; T, the US flap, which misaki writes too; the space)."""
RESPELLING = re.compile(r"^[^\W\d_]+(?:[ '\u2019-]+[^\W\d_]+)*$")


class LexiconError(ValueError):
    """A lexicon file that cannot be used; the message names the file, line and entry."""


@dataclass(frozen=True)
class Entry:
    """One word or phrase and how it is said."""

    word: str
    say: str
    """A respelling, or IPA phonemes between slashes ("/dˈɑɹsi/")."""
    source: str = ""
    """The file it comes from, for messages."""

    @property
    def phonemes(self) -> str | None:
        return self.say[1:-1] if self.say.startswith("/") and self.say.endswith("/") else None


@dataclass(frozen=True)
class Lexicon:
    """Entries by word; `apply` rewrites text with them."""

    entries: tuple[Entry, ...] = ()

    def merged(self, other: "Lexicon") -> "Lexicon":
        """Return this lexicon with other's entries on top (other wins word by word)."""
        words = {entry.word: entry for entry in self.entries}
        words.update({entry.word: entry for entry in other.entries})
        return Lexicon(tuple(words.values()))

    def to_json(self) -> dict[str, str]:
        """The entries as {word: how it is said}, sorted: what job.json records."""
        return {entry.word: entry.say for entry in sorted(self.entries, key=lambda e: e.word)}

    @classmethod
    def from_json(cls, data: dict[str, str] | None, source: str = "job.json") -> "Lexicon":
        return cls(tuple(Entry(word, say, source) for word, say in sorted((data or {}).items())))

    def apply(self, text: str, english: bool = True) -> tuple[str, dict[str, str]]:
        """Given text, return (it with every entry's word replaced, the entries used as {word: say}).

        English: an IPA entry becomes `[word](/phonemes/)`, a respelling `[respelling]()`
        (misaki reads the respelling, and later rules leave it alone): `marked_up`. Other
        languages: a respelling replaces the word; IPA entries are not used.
        """
        entries = [e for e in self.entries if english or e.phonemes is None]
        if not entries or not text:
            return text, {}
        any_case = {e.word.lower(): e for e in entries if e.word == e.word.lower()}
        as_written = {form: e for e in entries if e.word != e.word.lower() for form in (e.word, e.word.upper())}
        keys = sorted({e.word for e in entries}, key=lambda w: (-len(w), w))
        pattern = re.compile(r"(?<![\w\[])(?:" + "|".join(r"\s+".join(map(re.escape, k.split())) for k in keys)
                             + r")(?![\w\]])", re.IGNORECASE)
        used: dict[str, str] = {}

        def replace(match: re.Match[str]) -> str:
            found = match.group(0)
            spaced = " ".join(found.split())
            entry = as_written.get(spaced) or any_case.get(spaced.lower())
            if entry is None:
                return found
            used[entry.word] = entry.say
            if not english:
                return entry.say
            return marked_up(found, entry)

        return pattern.sub(replace, text), used


def marked_up(found: str, entry: Entry) -> str:
    """Given matched text and its entry, return misaki's markup for it, one word at a time.

    A phrase whose phonemes have as many words as the text gets one markup per word, so that
    no cut between words (a long sentence split for the model) ever falls inside markup; the
    text's own spaces and line breaks stay. A respelling `[word]()` is only protected from the
    later rules: misaki reads the respelling.
    """
    if entry.phonemes is None:
        return " ".join(f"[{word}]()" for word in entry.say.split())
    parts = re.split(r"(\s+)", found)
    groups = entry.phonemes.split()
    if len(groups) != len(parts[::2]):
        return f"[{' '.join(found.split())}](/{entry.phonemes}/)"
    parts[::2] = [f"[{word}](/{sound}/)" for word, sound in zip(parts[::2], groups)]
    return "".join(parts)


MARKUP = re.compile(r"\[([^\]\n]+)\]\(([^)\n]*)\)")
"""misaki's inline markup, `[word](/phonemes/)` or `[respelling]()`, as `marked_up` writes it."""


def without_markup(text: str) -> str:
    """Given text with misaki's markup, return the text it stands for: the words, not the phonemes."""
    return MARKUP.sub(lambda m: m.group(1), text)


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


def check_entry(word: str, say: str, where: str, british: bool = False) -> str:
    """Given an entry, return how it is said, tidied; raise LexiconError (prefixed with where) when bad."""
    say = say.strip()
    if not word.strip() or len(word) > MAX_ENTRY_CHARS or any(ch in word for ch in "[]()\n"):
        raise LexiconError(f"{where}: the word must be 1 to {MAX_ENTRY_CHARS} characters, without brackets")
    if not any(ch.isalnum() for ch in word):
        raise LexiconError(f"{where}: the word has no letter or digit to match")
    if say.startswith("/"):
        if len(say) < 3 or not say.endswith("/"):
            raise LexiconError(f"{where}: IPA must be written between two slashes, like \"/dˈɑɹsi/\", got {say!r}")
        alphabet = GB_PHONEMES if british else US_PHONEMES
        wrong = sorted({ch for ch in say[1:-1] if ch not in alphabet})
        if wrong:
            raise LexiconError(f"{where}: {''.join(wrong)!r} is not in misaki's phoneme alphabet "
                               f"({''.join(sorted(alphabet - {' '}))}); see docs/narration.md")
        return say
    if not RESPELLING.match(say) or len(say) > MAX_ENTRY_CHARS:
        raise LexiconError(f"{where}: a respelling is letters, with hyphens, spaces or apostrophes "
                           f"between syllables (\"her-my-oh-nee\"), got {say!r}")
    return say.lower()


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


def sidecar_path(book: Path) -> Path:
    """Given a book's path, return where its own lexicon would be: `<stem>.lexicon.toml` beside it."""
    return book.with_name(Path(book.name).stem + SIDECAR_SUFFIX)


def user_lexicon_path(config: Any) -> Path | None:
    """Given the Config, return the user lexicon's path: `tts.lexicon`, else None (no user lexicon)."""
    return getattr(config.tts, "lexicon", None)


# --------------------------------------------------------------------------- PLS


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


def book_lexicon(settings: dict[str, Any], sidecar: bytes | None, pls: tuple[tuple[str, str], ...] = (),
                 sidecar_name: str = "book" + SIDECAR_SUFFIX) -> Lexicon:
    """Given a job's settings, its sidecar's bytes and the book's PLS files, return the book's lexicon.

    The user entries come from the settings (recorded when the job was made, so a resumed
    job reads as it began). Raise LexiconError for a bad file, or the user lexicon's error.
    """
    from .pls import parse_pls  # pls.py builds on this module's Lexicon

    if settings.get("lexicon_error"):
        raise LexiconError(settings["lexicon_error"])
    british = settings.get("lang_code") == "b"
    lexicon = Lexicon.from_json(settings.get("lexicon"), "lexicon.toml")
    for name, xml_text in pls:  # what a PLS leaves out was said when the book was taken in (ingest.py)
        lexicon = lexicon.merged(parse_pls(xml_text, name, british)[0])
    if settings.get("book_lexicon_error"):
        raise LexiconError(settings["book_lexicon_error"])
    if "book_lexicon" in settings:  # the sidecar's entries, recorded in the settings (sidecar_settings)
        return lexicon.merged(Lexicon.from_json(settings["book_lexicon"], sidecar_name))
    if sidecar is not None:
        try:
            text = sidecar.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise LexiconError(f"{sidecar_name}: not UTF-8 text ({exc}); save it as UTF-8") from None
        lexicon = lexicon.merged(parse_toml_lexicon(text, sidecar_name, british))
    return lexicon


def sidecar_settings(book: Path, lang_code: str = "a") -> dict[str, Any]:
    """Given a book's path in the inbox, return its sidecar lexicon as job settings: {"book_lexicon":
    entries}, {"book_lexicon_error": why} for a bad file, or {} when it has none.

    For the ingest: with these among a job's settings, a changed sidecar makes a new job, and
    `book_lexicon` takes the entries from the settings instead of the kept copy.
    """
    path = sidecar_path(book)
    try:
        if not path.is_file():
            return {}
    except OSError:  # e.g. a book name so long that no sidecar name can exist beside it
        return {}
    try:
        return {"book_lexicon": read_toml_lexicon(path, lang_code == "b").to_json()}
    except LexiconError as exc:
        return {"book_lexicon_error": str(exc)}


def keep_sidecar(source: dict[str, Any], folder: Path) -> None:
    """Given a new job's source record and its folder, copy the book's sidecar lexicon into the folder.

    The copy is what the job reads, from its first chunk to its last; `source["lexicon_sidecar"]`
    names the file it came from. Nothing happens when the book has no sidecar.
    """
    from ..core.atomic import atomic_write

    inbox_path = source.get("inbox_path")
    if not inbox_path:
        return
    path = sidecar_path(Path(inbox_path))
    try:
        data = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        return
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:  # no sidecar can have such a name
            return
        log.warning("%s: cannot be read (%s); the book is read without it", path, exc)
        return
    atomic_write(folder / SIDECAR_COPY, data)
    source["lexicon_sidecar"] = path.name


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

    from ..core.config import DEFAULT_CONFIG_PATH, xdg_expand

    if config.tts.lexicon is not None:
        return config
    path = (xdg_expand(config_path or DEFAULT_CONFIG_PATH).parent / USER_LEXICON).absolute()
    return dataclasses.replace(config, tts=dataclasses.replace(config.tts, lexicon=path))
