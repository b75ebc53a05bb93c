"""A book's metadata: title, authors, language and cover, as read and as kept in `job.json`.

The readers fill `SourceText.metadata` ("title": str or None, "authors": list of str,
"language": str or None, and for EPUB "cover": {"media_type", "data"} or None): epub.py from
the OPF, markdown.py from front matter, and `gutenberg_metadata` from a Project Gutenberg
header's `Title:`, `Author:` and `Language:` lines. `source_metadata` makes the JSON-safe
record `job.json` keeps as `source["metadata"]` (the cover named by its file in the job
folder), with a warning when the book's language is not its job's `lang_code`'s.
"""

from __future__ import annotations

import re
from typing import Any

EMPTY_METADATA: dict[str, Any] = {"title": None, "authors": [], "language": None}
LANGUAGES = {"a": "en", "b": "en", "e": "es", "f": "fr", "h": "hi", "i": "it", "p": "pt", "j": "ja", "z": "zh"}
"""kokoro's lang_code -> the ISO 639-1 language a book's metadata should name."""
COVER_NAMES = {"image/jpeg": "cover.jpg", "image/png": "cover.png", "image/gif": "cover.gif",
               "image/webp": "cover.webp", "image/svg+xml": "cover.svg"}
GUTENBERG_FIELD = re.compile(r"^(Title|Author|Language):[ \t]*(\S.*?)[ \t]*$", re.M)


def gutenberg_metadata(header: str) -> dict[str, Any]:
    """Given a Project Gutenberg header (the text before its START line), return its title, author and language."""
    found = {key.lower(): value for key, value in GUTENBERG_FIELD.findall(header)}
    language = {"english": "en", "french": "fr", "spanish": "es", "italian": "it", "portuguese": "pt",
                "japanese": "ja", "chinese": "zh", "hindi": "hi"}.get(found.get("language", "").lower())
    return {"title": found.get("title"), "authors": [found["author"]] if "author" in found else [],
            "language": language}


def source_metadata(book: Any, lang_code: str) -> tuple[dict[str, Any], list[str]]:
    """Given a read book (books.SourceText) and its job's lang_code, return (JSON-safe metadata for job.json, warnings).

    The cover is named by the file it gets in the job folder (ingest keeps it there);
    a language that is not lang_code's gives a warning.
    """
    metadata = book.metadata
    record = {"title": metadata.get("title"), "authors": list(metadata.get("authors") or []),
              "language": metadata.get("language"), "cover": cover_file(metadata)}
    warnings = []
    language = (record["language"] or "").lower().replace("_", "-")
    expected = LANGUAGES.get(lang_code)
    if language and expected and language.split("-")[0] != expected:
        code = "b" if language.startswith("en-gb") else next(
            (code for code, iso in LANGUAGES.items() if iso == language.split("-")[0]), None)
        fix = (f"to read it so, drop it again with lang_code = {code!r} in its own settings (a <book>.toml "
               f"beside it) and a voice of that language" if code else "Kokoro has no voice for that language")
        warnings.append(f"the book says its language is {record['language']!r}, but lang_code is {lang_code!r} "
                        f"({expected}): {fix}")
    return record, warnings


def cover_file(metadata: dict[str, Any]) -> str | None:
    """The file name a book's cover gets in its job folder (cover.jpg...), or None without a cover."""
    cover = metadata.get("cover")
    if not cover:
        return None
    subtype = re.sub(r"[^a-z0-9]", "", cover["media_type"].partition("/")[2].lower())[:8] or "img"
    return COVER_NAMES.get(cover["media_type"], f"cover.{subtype}")
