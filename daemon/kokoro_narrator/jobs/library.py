"""The outbox as an Audiobookshelf library: `[output] layout = "library"` (docs/output.md, "Audiobookshelf").

A book is published into `outbox/<Author>/<Title>/`, or `outbox/<Author>/<Series>/<Title>/` when its
metadata names a series, with Audiobookshelf's own files beside the audio: `metadata.json`, `cover.<ext>`,
`desc.txt` and `reader.txt`. The rules come from Audiobookshelf's scanner (advplyr/audiobookshelf 2.36,
`server/utils/scandir.js`, `server/utils/fileUtils.js`, `server/scanner/BookScanner.js`,
`server/utils/generators/abmetadataGenerator.js`, `server/utils/globals.js`):
- a book is a folder; `Author/Series/Title` or `Author/Title`, the top three folders naming it
  (`getBookDataFromDir`). A title folder named like a disc (`CD 1`, `Disc 2`) is taken as a disc of its
  parent's book (`groupFileItemsIntoLibraryItemDirs`), so such a title gets " (book)" after it;
- every audio file in the folder (wav, m4b, mp3, opus, ... `SupportedAudioTypes`) is one track of the
  book: a book made as WAV and M4B would play twice. Names starting with "." are skipped
  (`shouldIgnoreFile`), so only one audio file is visible, the first of LISTEN_ORDER that is made
  (`<Title>.m4b`); the others keep the book's name behind a dot (`.<Title>.wav`);
- `metadata.json` is read last in the default precedence (folder names, audio tags, .nfo, desc.txt and
  reader.txt, .opf, metadata.json), so it wins; it is a flat object: title, subtitle, authors [..],
  narrators [..], series ["Name #1"], genres, publishedYear, publisher, description, isbn, asin,
  language, explicit, abridged, tags, chapters [{id, start, end, title}] (seconds); a null value or an
  empty list leaves what the other sources said; one chapter without a title drops them all;
- `desc.txt` gives the description, the first line of `reader.txt` the narrators;
- the cover is the image named `cover.*` (jpg, jpeg, png, webp), else the first image, else the one
  embedded in the audio.
Folder names are safe on Linux, macOS and Windows (and SMB shares of them): no `/ \\ < > : " | ? *`,
no control characters, no reserved device names (`CON`, `LPT1`...), no leading dots (Audiobookshelf
skips them) nor trailing dots or spaces, at most FOLDER_MAX bytes of UTF-8; a folder that another
book holds gives `Title (2)`.
"""

from __future__ import annotations

import json
import logging
import os
import re
import unicodedata
from pathlib import Path
from typing import Any, Iterable

from ..audio import check_encoder, EncodeError, Tags
from ..core import atomic_write, atomic_write_json, numbered_names, shorten_to_bytes
from .store import Job

log = logging.getLogger(__name__)

LISTEN_ORDER = ("m4b", "mp3", "opus", "wav")
"""The one audio file Audiobookshelf plays: the first of these that is made (M4B: one file, chapters, cover)."""
FOLDER_MAX = 200
"""Bytes (UTF-8) of a folder name; its files add at most len(".<name>.readalong.epub")."""
NUMBER_ROOM = len(" (9999)")
UNKNOWN_AUTHOR = "Unknown Author"
REFUSED = frozenset('<>:"/\\|?*')
"""Characters Windows refuses in a name (and "/" everywhere)."""
RESERVED = frozenset({"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
                      *(f"{port}{n}" for port in ("COM", "LPT") for n in "123456789¹²³")})
"""Windows device names: refused as a name, with or without an extension."""
DISC_FOLDER = re.compile(r"^(cd|dis[ck])\s*\d{1,3}$", re.I)
"""Audiobookshelf's test for a disc sub-folder of a book (scandir.js)."""
COVER_TYPES = (".jpg", ".jpeg", ".png", ".webp")
"""The images Audiobookshelf takes as a cover (globals.js SupportedImageTypes)."""


def safe_name(text: str, fallback: str, limit: int = FOLDER_MAX) -> str:
    """Given a title, author or series, return a folder name safe on every file system (fallback when
    nothing is left), of at most limit bytes."""
    text = unicodedata.normalize("NFC", str(text)).replace(":", " - ")
    kept = []
    for ch in text:
        if ch.isspace():
            kept.append(" ")
        elif ch in REFUSED or unicodedata.category(ch)[0] == "C":  # control, format, surrogate, unassigned
            kept.append("_")
        else:
            kept.append(ch)
    name = " ".join("".join(kept).split()).replace("@eaDir", "_eaDir")  # Audiobookshelf skips @eaDir paths
    name = shorten_to_bytes(name.lstrip(". "), limit).rstrip(". ")
    if not name:
        return fallback
    first, dot, rest = name.partition(".")
    if first.rstrip(" ").upper() in RESERVED:
        name = shorten_to_bytes(f"{first}_{dot}{rest}", limit).rstrip(". ")
    return name


def title_name(title: str) -> str:
    """The title folder's name, with room for " (9999)"."""
    name = safe_name(title, "Untitled", FOLDER_MAX - NUMBER_ROOM - len(" (book)"))
    return f"{name} (book)" if DISC_FOLDER.match(name) else name


def author_name(authors: Iterable[str]) -> str:
    """The author folder's name: up to three authors joined by " & ", "Unknown Author" without one."""
    authors = [a.strip() for a in authors if a and a.strip()]
    text = " & ".join(authors[:3]) + (" et al." if len(authors) > 3 else "")
    return safe_name(text, UNKNOWN_AUTHOR)


def series_of(metadata: dict[str, Any]) -> list[tuple[str, str | None]]:
    """The series a book's metadata names, as (name, sequence): `series` as a string (with
    `series_index`), a list of strings, or a list of {"name", "sequence" or "index"}."""
    found = metadata.get("series")
    if isinstance(found, str):
        found = [{"name": found, "sequence": metadata.get("series_index")}]
    series = []
    for item in found if isinstance(found, list) else []:
        name, sequence = (item.get("name"), item.get("sequence", item.get("index"))) if isinstance(item, dict) \
            else (item, None)
        if not isinstance(name, str) or not name.strip():
            continue
        if isinstance(sequence, float) and sequence.is_integer():
            sequence = int(sequence)
        sequence = str(sequence).strip() if sequence is not None else None
        series.append((" ".join(name.split()), sequence if sequence and re.fullmatch(r"[^#\s]+", sequence) else None))
    return series


def narrators(job: Job) -> list[str]:
    """Who reads the book: the narrator's voice, the dialogue voice, the cast's voices, each once."""
    voices = [job.settings.get("voice"), job.settings.get("dialogue_voice")]
    voices += [member.get("voice") for member in job.source.get("cast") or [] if isinstance(member, dict)]
    return list(dict.fromkeys(str(v) for v in voices if v))


def output_owner(json_path: Path) -> str | None:
    """Given an output JSON path, return the id of the job that wrote it, None when absent, else "unknown"."""
    try:
        return json.loads(json_path.read_text(encoding="utf-8")).get("job_id")
    except FileNotFoundError:
        return None
    except (OSError, ValueError, AttributeError):
        return "unknown"


def _is_free_book_folder(path: Path, job_id: str) -> bool:
    """A title folder is this job's when it is absent, empty, or holds this job's `<name>.json`."""
    if not os.path.lexists(path):
        return True
    if path.is_symlink() or not path.is_dir():
        return False
    return not any(path.iterdir()) or output_owner(path / f"{path.name}.json") == job_id


def _is_series_folder(path: Path) -> bool:
    """A series folder holds book folders only: absent, or a folder without visible files of its own."""
    if not os.path.lexists(path):
        return True
    if path.is_symlink() or not path.is_dir():
        return False
    return not any(entry.is_file() and not entry.name.startswith(".") for entry in path.iterdir())


def book_folder(job: Job, outbox: Path, title: str, authors: Iterable[str]) -> Path:
    """Given a job and its book's title and authors, return (and make) its folder in the outbox:
    `<Author>/[<Series>/]<Title>`, numbered when another book holds that name."""
    parent = outbox / author_name(authors)
    series = series_of(job.source.get("metadata") or {})
    if series:
        stem = safe_name(series[0][0], "Series", FOLDER_MAX - NUMBER_ROOM)
        parent = next((c for c in numbered_names(parent, stem, "") if _is_series_folder(c)), None)
        if parent is None:
            raise RuntimeError(f"no free series folder for {job.name} in {outbox}")
    for candidate in numbered_names(parent, title_name(title), ""):
        if _is_free_book_folder(candidate, job.id):
            candidate.mkdir(parents=True, exist_ok=True)
            return candidate
    raise RuntimeError(f"no free book folder for {job.name} in {parent}; remove old books from it")


def listening_format(formats: Iterable[str]) -> str:
    """The format Audiobookshelf will play: the first of LISTEN_ORDER wanted whose encoder is installed."""
    formats = set(formats)
    for fmt in LISTEN_ORDER:
        if fmt in formats:
            try:
                if fmt != "wav":
                    check_encoder(fmt)
                return fmt
            except EncodeError:
                continue
    return "wav"


def output_record(job: Job, outbox: Path, formats: Iterable[str], tags: Tags) -> dict[str, Any]:
    """The first `job.output` of a library book: its folder, the format played, the WAV's path."""
    folder = book_folder(job, outbox, tags.title, tags.authors)
    listen = listening_format(formats)
    return {"wav": str(audio_path(name_path(folder), "wav", listen)), "folder": str(folder), "listen": listen}


def name_path(folder: Path) -> Path:
    """`<folder>/<folder name>.wav`: the name every file of the book takes its suffix on."""
    return folder / f"{folder.name}.wav"


def audio_path(name: Path, fmt: str, listen: str) -> Path:
    """The path of an audio format: `<Title>.<fmt>` for the one played, `.<Title>.<fmt>` for the others."""
    path = name.with_suffix(f".{fmt}")
    return path if fmt == listen else path.with_name(f".{path.name}")


def settle_listening(files: list[dict[str, Any]], name: Path, listen: str) -> str:
    """After encoding: when the format meant to be played was not made, show the best one that was
    (rename `.<Title>.wav` to `<Title>.wav`) and fix its record; return the format played."""
    made = {record["format"]: record for record in files}
    if listen in made:
        return listen
    best = next(fmt for fmt in LISTEN_ORDER if fmt in made)  # the WAV always is
    visible = audio_path(name, best, best)
    os.replace(made[best]["path"], visible)
    made[best]["path"] = str(visible)
    log.warning("%s: %s was not made; Audiobookshelf will play %s", name.stem, listen, visible.name)
    return best


def wav_beside(json_path: Path, meta: dict[str, Any]) -> Path:
    """The WAV of a published book from its JSON: `<book>.wav`, or in a library folder the file its
    record names, beside the JSON wherever the folder now is."""
    if meta.get("layout") == "library":
        for record in meta.get("files") or []:
            if isinstance(record, dict) and record.get("format") == "wav" and record.get("path"):
                return json_path.parent / Path(str(record["path"])).name
    return json_path.with_suffix(".wav")


def abs_metadata(job: Job, tags: Tags, chapters: list[dict[str, Any]]) -> dict[str, Any]:
    """Audiobookshelf's `metadata.json` for a book (abmetadataGenerator.js's keys; null: unknown)."""
    metadata = job.source.get("metadata") or {}

    def text(*keys: str) -> str | None:
        value = next((metadata[k] for k in keys if isinstance(metadata.get(k), (str, int)) and str(metadata[k])), None)
        return str(value).strip() or None if value is not None else None

    year = text("published_year", "year", "date", "published")
    genres = metadata.get("genres") or metadata.get("subjects") or []
    return {
        "title": tags.title,
        "subtitle": text("subtitle"),
        "authors": list(tags.authors),
        "narrators": list(tags.narrators),
        "series": [f"{name} #{sequence}" if sequence else name for name, sequence in series_of(metadata)],
        "genres": [str(g) for g in genres if isinstance(g, str) and g.strip()] if isinstance(genres, list) else [],
        "publishedYear": year[:4] if year and re.match(r"\d{4}", year) else None,
        "publisher": text("publisher"),
        "description": text("description"),
        "isbn": text("isbn"),
        "asin": None,
        "language": tags.language,
        "explicit": None,
        "abridged": False,  # every word of the book is read
        "tags": [],
        "chapters": [{"id": number, "start": c["start_seconds"], "end": c["end_seconds"],
                      "title": str(c.get("title") or "").strip() or f"Chapter {number + 1}"}
                     for number, c in enumerate(chapters)],
    }


def _record(fmt: str, path: Path) -> dict[str, Any]:
    return {"format": fmt, "path": str(path), "size": path.stat().st_size}


def write_library_files(host: Any, job: Job, folder: Path, tags: Tags,
                        chapters: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """Write metadata.json, the cover, desc.txt and reader.txt into the book's folder (each atomic);
    return (file records, warnings)."""
    data = abs_metadata(job, tags, chapters)
    files, warnings = [], []
    path = folder / "metadata.json"
    host._durably(job, lambda: atomic_write_json(path, data))
    files.append(_record("abs-metadata", path))
    if tags.cover is not None:
        suffix = tags.cover.suffix.lower()
        if suffix in COVER_TYPES:
            cover, image = folder / f"cover{suffix}", tags.cover.read_bytes()
            host._durably(job, lambda: atomic_write(cover, image))
            files.append(_record("abs-cover", cover))
        else:
            warnings.append(f"cover {tags.cover.name} not copied: Audiobookshelf takes jpg, png or webp covers")
    texts = (("abs-desc", "desc.txt", data["description"]), ("abs-reader", "reader.txt", "; ".join(data["narrators"])))
    for fmt, name, value in texts:
        if value:
            target, content = folder / name, (value.strip() + "\n").encode("utf-8", "backslashreplace")
            host._durably(job, lambda: atomic_write(target, content))
            files.append(_record(fmt, target))
    return files, warnings
