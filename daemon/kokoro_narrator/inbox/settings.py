"""Per-book settings: a book's own voice, speed, lang_code, title and author, and voice languages.

A book can carry settings of its own, from three places; a later one wins key by key:
1. the inbox subfolder it was dropped in, when that is named after a voice
   (`inbox/bf_emma/book.txt` is read by bf_emma);
2. markdown front matter at the top of a `.md` book (`---` YAML-style `key: value` lines, or
   `+++` TOML; frontmatter.py); keys other than BOOK_KEYS are left alone, as front matter
   holds other things;
3. a sidecar `<book stem>.toml` next to the book (`alice.toml` beside `alice.txt`), which the
   watcher waits for as it waits for the book; every key in it must be one of BOOK_KEYS.

The values are checked with the config's own rules. A bad value or an unknown voice raises
BookSettingsError, whose message names the file, the key and the value; the caller fails
that book with it and goes on with the others. A book's own lang_code is read with that
language's G2P (engine.py loads it at the book's first chunk; one not installed fails the
book with the package to install).

Voices come in families by language: the first letter of a voice's name is its lang_code
(`af_heart` US English, `bf_emma` UK English, `jf_alpha` Japanese). `language_warning`
says when a voice and a lang_code disagree, and `lang_code = "auto"` (config.py, or a
book's own) takes the language from the voice.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from pathlib import Path
from typing import Any

from ..core import KokoroConfig, LANG_CODES, LANGUAGE_NAMES, resolve_lang_code, tomllib
from ..voices import BlendError, canonical_voice, CastError, is_blend, parse_blend, sidecar_cast
from .sidecars import settings_sidecar

log = logging.getLogger(__name__)

BOOK_KEYS = ("voice", "speed", "lang_code", "title", "author", "dialogue", "cast")
AUDIO_KEYS = ("voice", "speed", "lang_code", "dialogue", "cast")
"""The keys that change the audio; title and author only label it."""
VOICE_NAME = re.compile(r"^[a-z]{2}_[a-z0-9]+$")
SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
FAMILIES = {"a": "English", "b": "English"}
"""Lang codes that speak one language (US and UK English); every other code is its own."""


class BookSettingsError(ValueError):
    """A per-book setting that cannot be used; the message says where, which key and why."""


def family(lang_code: str) -> str:
    return FAMILIES.get(lang_code, lang_code)


def voice_lang(voice: str) -> str | None:
    """Given a voice name, return the lang_code its first letter names, or None for a path or odd name."""
    return voice[0] if voice[:1] in LANG_CODES and not voice.endswith(".pt") else None


def language_warning(voice: str, lang_code: str) -> str | None:
    """Given a voice and a lang_code, return a warning when they are of different languages, else None."""
    spoken = voice_lang(voice)
    if spoken is None or family(spoken) == family(lang_code):
        return None
    language = LANGUAGE_NAMES.get(lang_code, lang_code)
    # Which fix is right depends on the book's language, which only the user knows: say both.
    return (f"voice {voice} is a {LANGUAGE_NAMES[spoken]} voice but lang_code is {lang_code!r} ({language}): "
            f"the text is pronounced as {language} in a foreign accent. For a {language} book, choose a "
            f"{language} voice (its name starts with '{lang_code}'); for a {LANGUAGE_NAMES[spoken]} book, set "
            f"lang_code = {spoken!r} or \"auto\"")


def warn_about_language(kokoro: KokoroConfig) -> str | None:
    """Given the daemon's Kokoro settings, log (and return) a warning when its voice and lang_code disagree."""
    warning = language_warning(kokoro.voice, kokoro.lang_code)
    if warning:
        log.warning("%s", warning)
    return warning


def front_matter(fields: dict[str, Any]) -> dict[str, Any]:
    """Given a markdown book's front-matter fields (parsed once with its text: `reader.decode_book`,
    `SourceText.front_matter`), return the BOOK_KEYS they set (as written).

    An empty key sets nothing. A number as title or author (TOML's `title = 1984`) is its text;
    a list (`author: [A, B]`) is left to markdown.py, which reads the same front matter for
    the book's tags, list and all.
    """
    found = {}
    for key, value in fields.items():
        if key not in BOOK_KEYS or value in ("", [], None):
            continue
        if key in ("title", "author") and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        elif key in ("title", "author") and not isinstance(value, str):
            continue
        found[key] = value
    return found


def _check(key: str, value: Any, where: str, kokoro: KokoroConfig) -> Any:
    """Given one setting, return its typed value; raise BookSettingsError when it is wrong."""
    problem = None
    if key == "cast":
        try:
            cast = sidecar_cast(value, where)
        except CastError as exc:
            raise BookSettingsError(str(exc)) from None
        for name, voice, _ in cast:
            if problem := voice_problem(voice, kokoro):
                raise BookSettingsError(f"{where}: cast.{name}: {problem}, got {voice!r}")
        return [[name, canonical_voice(voice), list(aliases)] for name, voice, aliases in cast]
    if key == "speed":
        try:
            value = float(value) if not isinstance(value, bool) else None
        except (TypeError, ValueError):
            value = None
        if value is None:
            raise BookSettingsError(f"{where}: speed: must be a number, got {value!r}")
    elif not isinstance(value, str) or not value.strip():
        raise BookSettingsError(f"{where}: {key}: must be a non-empty string, got {value!r}")
    if key in ("voice", "dialogue"):
        problem = voice_problem(value, kokoro)
    elif key in ("speed", "lang_code"):
        problem = {f.name: f for f in dataclasses.fields(KokoroConfig)}[key].metadata["check"](value)
    if problem:
        raise BookSettingsError(f"{where}: {key}: {problem}, got {value!r}")
    if key in ("voice", "dialogue") and is_blend(value):
        return parse_blend(value).canonical
    return value.strip() if isinstance(value, str) else value


def voice_problem(voice: str, kokoro: KokoroConfig) -> str | None:
    """Given a voice name, return why it cannot be used by this daemon, or None when it can.

    With a local voices_dir the voice must be one of its `<voice>.pt` files; from the hub it
    must be shaped like Kokoro's names (the hub is not asked: a name it lacks fails the job
    when its first chunk loads the voice).
    """
    if is_blend(voice):
        try:
            blend = parse_blend(voice)
        except BlendError as exc:
            return f"is not a voice blend: {exc}"
        problems = [f"{name} {problem}" for name in blend.names if (problem := voice_problem(name, kokoro))]
        return "; ".join(problems) or None
    if not SAFE_NAME.match(voice):
        return "is not a voice name (letters, digits, '_', '-' and '.', such as af_heart)"
    if kokoro.voices_dir is not None:
        if (kokoro.voices_dir / f"{voice}.pt").is_file():
            return None
        have = sorted(path.stem for path in kokoro.voices_dir.glob("*.pt"))[:12]
        return f"is not one of the voices in {kokoro.voices_dir} (there: {', '.join(have) or 'none'})"
    if not VOICE_NAME.match(voice) or voice[0] not in LANG_CODES:
        return ("is not a Kokoro voice name (two letters for language and gender, an underscore and a name, "
                "such as af_heart or bf_emma)")
    return None


def read_book_settings(book: Path, inbox: Path, fields: dict[str, Any] | None, kokoro: KokoroConfig,
                       sidecar: bytes | None = None) -> dict[str, Any]:
    """Given a book's inbox path, its front-matter fields (None when undecodable or not markdown) and its
    sidecar's bytes, return its settings.

    Returns only the keys the book sets, typed (lang_code "auto" stays so: `book_lang_code`).
    Raise BookSettingsError for a bad value or an unknown voice (a voice of
    another language than the book's is only warned about, see `language_warning`).
    """
    found: dict[str, tuple[Any, str]] = {}
    if book.parent != inbox and book.parent.parent == inbox:
        found["voice"] = (book.parent.name, f"inbox folder {book.parent.name}/")
    if fields is not None and book.suffix.lower() == ".md":
        for key, value in front_matter(fields).items():
            found[key] = (value, f"{book.name} front matter")
    if sidecar is not None:
        where = settings_sidecar(book).name
        try:
            table = tomllib.loads(sidecar.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise BookSettingsError(f"{where}: not valid TOML: {exc}") from None
        for key, value in table.items():
            if key not in BOOK_KEYS:
                raise BookSettingsError(f"{where}: {key}: unknown key (known: {', '.join(BOOK_KEYS)})")
            found[key] = (value, where)
    settings = {key: _check(key, value, where, kokoro) for key, (value, where) in found.items()}
    if settings.get("lang_code") == "auto":  # kept so: `book_lang_code` resolves it with the voice of the day
        voice = settings.get("voice", kokoro.voice)
        try:
            resolve_lang_code(dataclasses.replace(kokoro, voice=voice, lang_code="auto"))
        except ValueError as exc:
            raise BookSettingsError(f"{found['lang_code'][1]}: lang_code: {exc}") from None
    return settings


def book_lang_code(kokoro: KokoroConfig, book: dict[str, Any] | None) -> str:
    """Given the daemon's Kokoro settings and a book's own settings, return the lang_code the book is read in.

    The book's own; for "auto" its voice's (its own voice, else the daemon's); else the daemon's.
    """
    book = book or {}
    lang_code = book.get("lang_code", kokoro.lang_code)
    if lang_code != "auto":
        return lang_code
    # None when the daemon's voice became a .pt path since the book was taken in
    return voice_lang(book.get("voice", kokoro.voice)) or kokoro.lang_code
