"""Ingest: from a complete-looking inbox file to its job, in one step.

`take_in(path, ...)` is what the daemon's ingest thread does with each file the watcher
reports:
1. read it (regular files only, never following a link, never blocking on a FIFO) and its
   sidecar `<stem>.toml`, if any; a refused file gets one log line and no job;
2. work out its per-book settings (settings.py) and its sidecar lexicon
   `<stem>.lexicon.toml` (lexicon.py); the job's settings are the daemon's audio settings with
   the book's own on top, and they are part of the job's identity;
3. decide: a new book becomes a job (waiting first, outside any job, while the disk is too
   full to hold its copy); a book seen before is
   - **left alone** when the same file was left in the inbox after its job ended (`after =
     "keep"`, or an inbox the daemon could not move it out of): it is not taken again;
   - **tried again** when its job failed before;
   - **made again** when its job is done but the output is gone;
   - otherwise left as it is ("already queued", "already done").

`create_job` is the decode-and-chunk half: the book is decoded and cleaned (books/reader.py), cut
into chunks (chunker.py), and each chunk's text that is not speech is found (nonspeech.py),
recorded per chunk and summed up in a job warning. A book that cannot become speech (binary,
empty, nothing but noise, a bad per-book setting) still gets a job, `failed` with the
reason, so that `status` and `inbox/failed/` show it; so does one whose reader fails in a way
it did not foresee (any exception but OSError, which a full disk raises: its traceback is
logged), instead of being read again, and failing again, at each rescan. `JobStore` only
stores what this module decides.

`core.atomic.wait_for_space` is the one wait for disk space, used here and by the job runner.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from pathlib import Path
from typing import Any

from ..books import decode_book, Decoded, read_book, source_metadata, source_suffix, TextError
from ..chapters import plan_book
from ..core import Config, DISK_FULL, shown, wait_for_space
from ..jobs import audio_settings, ChunkState, Job, job_id, JobStatus, JobStore, requeue
from ..narration import parse_book_pls, pls_bytes, PLS_COPY, SIDECAR_COPY, strip_nonspeech, summarize
from ..voices import available_voices, make_cast
from .settings import AUDIO_KEYS, BOOK_KEYS, book_lang_code, BookSettingsError, language_warning, read_book_settings
from .sidecars import lexicon_sidecar, lexicon_sidecar_settings, read_lexicon_sidecar, settings_sidecar
from .watcher import MAX_BOOK_BYTES, read_regular_file, RefusedFile

log = logging.getLogger(__name__)

MAX_SIDECAR_BYTES = 64 * 1024
IDENTITY_KEYS = AUDIO_KEYS + ("book_lexicon", "book_lexicon_error")
"""A book's own settings that change its audio: voice, speed, lang_code, and its sidecar lexicon (lexicon.py)."""
LEFT_IN_INBOX = ("kept", "left")
"""`source.inbox_after.action` values that mean the file stayed where it was dropped."""


def job_settings(config: Config, book: dict[str, Any] | None) -> dict[str, Any]:
    """Given the config and a book's own settings, return the settings its job is made with.

    Only the book's keys that change the audio count (IDENTITY_KEYS): title and author label it.
    """
    own = {key: value for key, value in (book or {}).items() if key in IDENTITY_KEYS}
    if "dialogue" in own:
        own["dialogue_voice"] = own.pop("dialogue")
    settings = {**audio_settings(config), **own}
    if "dialogue_voice" in settings or "cast" in settings:  # voices are on: for the config or for this book
        settings = {"dialogue_voice": "", "cast": "off", "cast_size": config.voices.cast_size, **settings}
    return {**settings, "lang_code": book_lang_code(config.tts.kokoro, book)}


def take_in(path: Path, store: JobStore, config: Config, stop: threading.Event,
            space_wait_seconds: float = 30.0, space_margin: int = 0) -> Job | None:
    """Given a complete-looking inbox file, return its job (new or found), or None when refused.

    Waits (outside any job) while the jobs folder is too full to take the book in; returns
    None when stop is set meanwhile.
    """
    try:
        data, info = read_regular_file(path, MAX_BOOK_BYTES)
    except RefusedFile as exc:
        log.warning("refused %s: %s", shown(path.name), exc.reason)
        return None
    except FileNotFoundError:
        log.info("%s went away before it was read", shown(path.name))
        return None
    decoded = None  # front matter is markdown's: only a .md book is decoded here, once (read_book reuses it)
    if path.suffix.lower() == ".md":
        try:
            decoded = decode_book(data, path.name)
        except TextError:
            pass  # create_job fails the book with the reason
    book, problem = _book_settings(path, decoded, config)
    signature = [info.st_size, info.st_mtime_ns]
    while True:  # a full disk waits here, before the job exists
        if not wait_for_space(config.paths.jobs, 2 * len(data), space_margin,
                              lambda reason: _wait(reason, path, stop, space_wait_seconds)):
            return None
        try:
            job, created = create_job(store, path.name, str(path), data, config, book, problem, signature, decoded)
            break
        except OSError as exc:
            if exc.errno not in DISK_FULL:
                raise
            if _wait(f"disk full ({exc.strerror})", path, stop, space_wait_seconds):
                return None
    if created:
        return job
    return _seen_before(store, job, path, signature)


def _wait(reason: str, path: Path, stop: threading.Event, seconds: float) -> bool:
    log.warning("%s; %s is taken in once there is space", reason, shown(path.name))
    return stop.wait(seconds)


def _book_settings(path: Path, decoded: Decoded | None, config: Config) -> tuple[dict[str, Any], str | None]:
    """Given a book's path and, for markdown, its decoded text, return (its own settings, or what is
    wrong with them)."""
    sidecar = None
    try:
        sidecar = read_regular_file(settings_sidecar(path), MAX_SIDECAR_BYTES)[0]
    except FileNotFoundError:
        pass
    except RefusedFile as exc:
        return {}, f"{settings_sidecar(path).name}: {exc.reason}"
    fields = decoded.front_matter if decoded is not None else None
    try:
        book = read_book_settings(path, config.paths.inbox, fields, config.tts.kokoro, sidecar)
    except BookSettingsError as exc:
        return {}, str(exc)
    return {**book, **lexicon_sidecar_settings(path, book_lang_code(config.tts.kokoro, book))}, None


def _seen_before(store: JobStore, job: Job, path: Path, signature: list[int]) -> Job:
    """Apply the decisions for a book that already has a job; return the job."""
    name = shown(path.name)
    after = job.source.get("inbox_after") or {}
    if after.get("action") in LEFT_IN_INBOX and job.source.get("inbox_signature") == signature:
        log.info("%s stayed in the inbox after its job was %s; it is not taken again (change or re-copy it to redo it)",
                 name, job.status)
        return job
    job.source.update(inbox_path=str(path), inbox_signature=signature, inbox_after=None)
    if job.status == "failed" and job.chunks:
        log.info("%s failed before (%s); trying again", name, job.error)
        requeue(store, job)
    elif job.status == "done" and not Path((job.output or {}).get("wav", "")).exists():
        log.info("%s was done but its output is gone; making it again", name)
        requeue(store, job)
    else:  # never saved here: the worker may be writing this job's job.json right now
        log.info("%s is already %s (job %s)", name, job.status, job.id)
    return job


def book_cast(text: str, settings: dict[str, Any], config: Config) -> list[dict[str, Any]]:
    """The book's cast, as its job records it: the sidecar's characters, or the most frequent speakers with
    `cast = "auto"`, each with its voice (voices/cast.py); empty with `cast = "off"`."""
    given = settings["cast"] if isinstance(settings["cast"], list) else ()
    if settings["cast"] == "off":
        return []
    roles = make_cast(text, settings.get("cast_size", config.voices.cast_size), available_voices(config.tts.kokoro),
                      settings["lang_code"], settings["voice"], settings.get("dialogue_voice", ""),
                      [(name, voice, tuple(aliases)) for name, voice, aliases in given])
    for role in roles:
        log.info("cast: %s (%s, %d lines) reads in %s", role.name, role.gender, role.lines, role.voice)
    return [role.to_json() for role in roles]


def create_job(store: JobStore, name: str, inbox_path: str, data: bytes, config: Config,
               book: dict[str, Any] | None = None, problem: str | None = None,
               signature: list[int] | None = None, decoded: Decoded | None = None) -> tuple[Job, bool]:
    """Given a book's name, bytes and own settings, return (its job, created?).

    decoded: what `reader.decode_book` made of the bytes already (a markdown book's settings need it).

    An existing job with the same identity is returned as it is. A book that cannot become
    speech, or whose settings (problem) are wrong, gets a `failed` job with the reason.
    """
    sha = hashlib.sha256(data).hexdigest()
    settings = job_settings(config, book)
    if problem:
        settings["book_settings_error"] = problem  # a fixed sidecar is another job
    identity = job_id(name, sha, settings)
    existing = store.find(identity)
    if existing is not None:
        return existing, False
    suffix = source_suffix(name)  # .epub, .md or .txt
    source = {"name": name, "inbox_path": inbox_path, "size": len(data), "sha256": sha, "encoding": None,
              "warnings": [], "copy": f"source{suffix}", "book_settings": dict(book or {}),
              "inbox_signature": signature, "inbox_after": None}
    job = Job(identity, "queued", source, settings, [], [])
    keep: dict[str, bytes] = {}  # files the job folder keeps beside the source copy
    try:
        if problem:
            raise BookSettingsError(problem)
        _plan(job, data, config, keep, decoded)
    except (TextError, BookSettingsError, ValueError) as exc:
        job.move(JobStatus.FAILED, f"bad input: {exc}")
        log.error("book %s refused: %s", shown(name), exc)
    except OSError:
        raise  # a full disk: take_in waits for space and tries again
    except Exception as exc:  # a reader's bug (RecursionError, KeyError, MemoryError...): this book fails, said so
        job.move(JobStatus.FAILED, f"could not read the book: {type(exc).__name__}: {exc} (a bug in kokoro-narrator's "
                                   "reader for this format, the log has its traceback: please report it; converting "
                                   "the book to EPUB or text may get it read)")
        log.exception("book %s could not be read", shown(name))
    if inbox_path and (sidecar := read_lexicon_sidecar(Path(inbox_path))) is not None:
        keep[SIDECAR_COPY] = sidecar  # the job reads its own copy, from its first chunk to its last
        source["lexicon_sidecar"] = lexicon_sidecar(Path(inbox_path)).name
    store.add(job, data, keep)
    if job.status != "failed":  # a refused book was logged as an error above
        log.info("queued %s as job %s (%d chunks)", shown(name), job.id, len(job.chunks))
    return job, True


def _plan(job: Job, data: bytes, config: Config, keep: dict[str, bytes], decoded: Decoded | None = None) -> None:
    """Decode, clean and chunk the book into job, and put the files its folder keeps in keep (the
    cover read_book found: the EPUB is not unzipped again); raise TextError when nothing can be spoken."""
    text = read_book(data, job.name, decoded)
    plan = plan_book(text, job.settings["max_chunk_chars"])
    job.source["metadata"], language = source_metadata(text, job.settings["lang_code"])  # title, authors, cover
    if cover := job.source["metadata"]["cover"]:  # its file name in the job folder (metadata.cover_file)
        keep[cover] = text.metadata["cover"]["data"]
    warnings = list(text.warnings) + language
    pls, left_outs = parse_book_pls(text.lexicons, job.settings["lang_code"] == "b")  # an EPUB's PLS
    if text.lexicons:  # parsed once: the run reads the entries kept here (speakable.speakable_job)
        keep[PLS_COPY] = pls_bytes(pls)
    for name, left_out in left_outs:  # entries it cannot use are left out, and said
        if left_out:
            more = f" (and {len(left_out) - 3} more)" if len(left_out) > 3 else ""
            warnings.append(f"{name}: {len(left_out)} left out: " + "; ".join(left_out[:3]) + more)
    titles = {chapter.index: chapter.title for chapter in plan.chapters}
    chunks, not_speech, speakable = [], [], False
    for c in plan.chunks:
        kept, dropped = strip_nonspeech(c.text)
        speakable = speakable or any(ch.isalnum() for ch in kept)
        not_speech += dropped
        chunks.append(ChunkState(c.index + 1, c.chapter, titles[c.chapter], len(c.text), c.sha256,
                                 not_speech=dropped or None))
    if not_speech:
        if not speakable:
            first = not_speech[0]
            raise TextError(f"nothing in it is speech, only {summarize(not_speech)}, such as {first['text']!r} "
                            f"({first['reason']}); put the book's text in it")
        warnings.append(f"not read as speech: {summarize(not_speech)} (listed in each chunk's not_speech in job.json)")
    job.chapters = [{"index": c.index, "title": c.title, "level": c.level, "parent": c.parent} for c in plan.chapters]
    job.chunks = chunks
    if mismatch := language_warning(job.settings["voice"], job.settings["lang_code"]):
        warnings.append(mismatch)
    if "cast" in job.settings:
        job.source["cast"] = book_cast(text.text, job.settings, config)
    job.source.update(encoding=text.encoding, warnings=warnings)
    for warning in warnings:
        log.warning("book %s: %s", shown(job.name), warning)
    if book := {key: value for key, value in job.source["book_settings"].items() if key in BOOK_KEYS}:
        log.info("book %s: its own settings: %s", shown(job.name), book)
        labels = {"title": book.get("title"), "authors": [book["author"]] if book.get("author") else None}
        if any(labels.values()):  # the book's own title and author win over what its file says (publish.book_tags)
            job.source["metadata"] = {**(job.source.get("metadata") or {}), **{k: v for k, v in labels.items() if v}}
