"""Publish a finished job: the outbox WAV, the compressed formats, the JSON; record the job done.

Order of durable steps (a crash at any point loses nothing, and publishing again is safe):
1. the output name is chosen once and recorded in `job.json` before anything is written;
   every format shares its base name (`<book>.wav`, `<book>.m4b`, ...);
2. the book's one loudness gain is worked out from the chunks' loudness records (made as
   each chunk was synthesized, `measure_chunk`), capped by the true-peak limit;
3. the chunks are joined into `<book>.wav` (atomic) with that gain, the model's edge
   silence at the book's start and end trimmed to `output.lead_silence`/`tail_silence`, and
   the result measured as it is written;
4. each other format in `output.formats` is encoded from that WAV (encode.py, atomic); a
   format whose encoder is missing or fails is a warning in job.json and the JSON, and the
   others are still made;
5. `<book>.json` is written (atomic), then the job is recorded `done`, and only then are the
   chunk WAVs removed (unless `jobs.keep_chunks`).

A full disk is not a failure: every write goes through the runner's `durably`, which marks
the job `waiting` until space comes back.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from pathlib import Path
from typing import Any, Callable, Protocol

from .. import __version__
from ..audio import (book_gain, Chapter, CODECS, combine, concat_wavs, ConcatResult, encode_book, EncodeError, Gain,
                     integrated, Limiter, measure_wav, Measurement, Meter, Piece, probe_seconds, SAMPLE_RATE,
                     sound_bounds, Tags, wav_info)
from ..books import LANGUAGES
from ..core import atomic_write_json, Config, NAME_MAX, numbered_names, shorten_to_bytes
from .checkpoint import words_path
from .companions import COMPANIONS, export_readalong, make_companions
from . import library
from .store import ChunkState, Job, JobStatus, JobStore, now
from .texts import BookTexts

log = logging.getLogger(__name__)

SUFFIXES = (".wav", ".json", *(f".{fmt}" for fmt in CODECS), *COMPANIONS)
"""Every file a book can have in the outbox; a base name is free only when none of them is taken."""
EDGE_THRESHOLD = 10 ** (-50 / 20)
"""Below -50 dBFS, the model's output at the book's edges counts as silence."""
KEEP_BEFORE, KEEP_AFTER = 0.02, 0.08
"""Seconds kept before the first sound and after the last one (the attack and the decay)."""


class Host(Protocol):
    """What publishing needs from the job runner: its config, store, provider and disk-full waits."""

    config: Config
    store: JobStore
    provider: Any

    def _durably(self, job: Job, action: Callable) -> Any: ...

    def _wait_for_space(self, job: Job, where: Path, needed: int) -> None: ...


def measure_chunk(chunk: ChunkState, folder: Path) -> Measurement:
    """Given a chunk whose WAV is in folder, record its loudness on it (chunk.loudness) and return it."""
    measurement = measure_wav(folder / chunk.wav_name)
    chunk.loudness = measurement.to_json()
    return measurement


def chunk_measurements(job: Job, folder: Path) -> list[Measurement]:
    """Given a job whose chunks are done, return their loudness records, measuring the chunks that have none
    (made before loudness was measured) or a damaged one."""
    measurements = []
    for chunk in job.chunks:
        try:
            measurements.append(Measurement.from_json(chunk.loudness) if chunk.loudness else None)
        except ValueError as exc:
            log.warning("job %s: chunk %d: %s; measuring it again", job.id, chunk.index, exc)
            measurements.append(None)
        if measurements[-1] is None:
            measurements[-1] = measure_chunk(chunk, folder)
    return measurements


def chunk_pieces(job: Job, folder: Path) -> list[Piece]:
    """Given a job whose chunks are done, return its chunk WAVs with the pause after each."""
    pieces = []
    for position, chunk in enumerate(job.chunks):
        following = job.chunks[position + 1] if position + 1 < len(job.chunks) else None
        if following is None:
            pause = 0.0
        elif following.chapter != chunk.chapter:
            pause = job.settings["chapter_pause"]
        else:
            pause = job.settings["paragraph_pause"]
        pieces.append(Piece(folder / chunk.wav_name, pause))
    return pieces


def trim_edges(pieces: list[Piece], tail_silence: float) -> list[Piece]:
    """Given the book's pieces, return them with the first one's leading and the last one's trailing
    silence cut (keeping the attack and decay), and `tail_silence` after the last one."""
    first_sound, _ = sound_bounds(pieces[0].path, EDGE_THRESHOLD)
    _, last_sound = sound_bounds(pieces[-1].path, EDGE_THRESHOLD)
    trimmed = list(pieces)
    trimmed[0] = dataclasses.replace(trimmed[0], start=max(0, first_sound - round(KEEP_BEFORE * SAMPLE_RATE)))
    if last_sound:  # a last chunk that is all silence is kept whole: nothing is cut that might be speech
        frames = wav_info(pieces[-1].path).frames
        end = min(frames, last_sound + round(KEEP_AFTER * SAMPLE_RATE))
        trimmed[-1] = dataclasses.replace(trimmed[-1], end=max(end, trimmed[-1].start))
    trimmed[-1] = dataclasses.replace(trimmed[-1], pause_after=tail_silence)
    return trimmed


def book_tags(job: Job, folder: Path) -> Tags:
    """Given a job, return the tags of its book: job.source["metadata"] when the reader found some
    (title, authors, language, cover: a file in the job folder), else the file name and the voice's language."""
    metadata = job.source.get("metadata") or {}
    title = str(metadata.get("title") or "").strip() or Path(job.name).stem
    authors = tuple(str(a) for a in metadata.get("authors") or () if str(a).strip())
    language = metadata.get("language") or LANGUAGES.get(job.settings.get("lang_code", ""))
    cover = folder / Path(str(metadata["cover"])).name if metadata.get("cover") else None  # never outside the folder
    if cover is not None and not cover.is_file():
        log.warning("job %s: cover %s is not in the job folder; the book has no cover", job.id, cover.name)
        cover = None
    model = Path(str(job.settings.get("model", ""))).name  # a repo id's name, or a weights file's, not its path
    comment = f"Read by Kokoro-82M ({model}), voice {job.settings.get('voice')}; made by kokoro-narrator {__version__}"
    return Tags(title, authors, language, comment, cover, tuple(library.narrators(job)))


def tags_json(tags: Tags) -> dict[str, Any]:
    return {"title": tags.title, "authors": list(tags.authors), "album": tags.title, "genre": "Audiobook",
            "language": tags.language, "comment": tags.comment, "cover": str(tags.cover) if tags.cover else None,
            "narrators": list(tags.narrators)}


def tags_from_json(data: dict[str, Any]) -> Tags:
    """Given what tags_json wrote (in a book's JSON), return the Tags; a cover no longer there is left out."""
    cover = Path(data["cover"]) if data.get("cover") and Path(data["cover"]).is_file() else None
    return Tags(data.get("title") or "book", tuple(data.get("authors") or ()), data.get("language"),
                data.get("comment") or "", cover, tuple(data.get("narrators") or ()))


def encode_formats(host: Host | None, job: Job | None, wav_path: Path, formats: list[str], tags: Tags,
                   chapters: list[dict[str, Any]], loudness: dict[str, Any],
                   target: Callable[[str], Path] | None = None) -> tuple[list[dict[str, Any]], list[str]]:
    """Given a published WAV, make each format beside it (at target(format) when given); return (file records,
    warnings).

    With a host (the daemon), disk-full errors wait through it; without one (`export`) they raise.
    """
    marks = [Chapter(c["title"], c["start_seconds"], c["end_seconds"]) for c in chapters]
    seconds = wav_info(wav_path).frames / SAMPLE_RATE
    files, warnings = [], []
    for fmt in formats:
        path = target(fmt) if target else wav_path.with_suffix(f".{fmt}")
        started = time.perf_counter()
        try:
            if host is not None and job is not None:
                needed = int(seconds * CODECS[fmt].bit_rate / 8 * 1.2) + (tags.cover.stat().st_size if tags.cover else 0)
                host._wait_for_space(job, wav_path.parent, needed)
                notes = host._durably(job, lambda: encode_book(wav_path, path, fmt, tags, marks))
            else:
                notes = encode_book(wav_path, path, fmt, tags, marks)
        except EncodeError as exc:
            warnings.append(f"{fmt} not made: {exc}")
            log.warning("%s: %s not made: %s", wav_path.stem, fmt, exc)
            continue
        warnings += notes
        files.append({"format": fmt, "path": str(path), "size": path.stat().st_size,
                      "duration_seconds": round(probe_seconds(path) or seconds, 3),
                      "encode_seconds": round(time.perf_counter() - started, 2),
                      "bit_rate": CODECS[fmt].bit_rate, **loudness})
        log.info("%s: %s made (%d bytes in %.1f s)", wav_path.stem, path.name, files[-1]["size"],
                 files[-1]["encode_seconds"])
    return files, warnings


def publish(host: Host, job: Job, folder: Path, texts: BookTexts) -> None:
    """Given a job whose chunks are all done and its book as the runner read it, publish it to the outbox and
    record it done."""
    started = time.perf_counter()
    output = host.config.output
    outbox = host.config.paths.outbox
    outbox.mkdir(parents=True, exist_ok=True)
    pieces = trim_edges(chunk_pieces(job, folder), output.tail_silence)
    needed = sum(piece.path.stat().st_size for piece in pieces)
    tags = book_tags(job, folder)
    if job.output is None:
        job.output = (host._durably(job, lambda: library.output_record(job, outbox, output.formats, tags))
                      if output.layout == "library" else {"wav": str(free_output_name(job, outbox))})
        host._durably(job, lambda: host.store.save(job))
    wav_path = Path(job.output["wav"])
    book_folder = Path(job.output["folder"]) if job.output.get("folder") else None  # a library book's
    if book_folder is not None:
        host._durably(job, lambda: book_folder.mkdir(parents=True, exist_ok=True))
    name = library.name_path(book_folder) if book_folder else wav_path  # every file's name but hidden audio's
    json_path = name.with_suffix(".json")
    before = combine(chunk_measurements(job, folder))
    gain = book_gain(before, None if output.loudness is False else float(output.loudness), output.peak,
                     output.limiter_db)
    limiter = Limiter.for_peak(output.peak) if gain.limiting_db > 0 else None
    host._wait_for_space(job, outbox, needed)
    result = host._durably(job, lambda: concat_wavs(pieces, wav_path, lead=output.lead_silence, gain=gain.factor,
                                                    meter=Meter(SAMPLE_RATE), limiter=limiter))
    loudness = file_loudness(result.measurement, gain)
    chapters = chapter_times(job, result)
    files = [{"format": "wav", "path": str(wav_path), "size": wav_path.stat().st_size,
              "duration_seconds": round(result.seconds, 3), **loudness}]
    wanted = [fmt for fmt in output.formats if fmt != "wav"]
    listen = job.output.get("listen")
    target = (lambda fmt: library.audio_path(name, fmt, listen)) if book_folder else None
    encoded, warnings = encode_formats(host, job, wav_path, [fmt for fmt in wanted if fmt in CODECS], tags, chapters,
                                       loudness, target)
    files += encoded
    if book_folder is not None:
        listen = job.output["listen"] = host._durably(job, lambda: library.settle_listening(files, name, listen))
        wav_path = Path(files[0]["path"])
        job.output["wav"] = str(wav_path)
    companions, more = make_companions(host, job, folder, texts, wav_path, result, pieces, chapters, tags, base=name)
    files += companions
    warnings += more
    if book_folder is not None:
        shelf, more = library.write_library_files(host, job, book_folder, tags, chapters)
        files += shelf
        warnings += more
    publish_seconds = time.perf_counter() - started
    metadata = book_json(job, host.provider, result, publish_seconds)
    metadata.update(chapters=chapters, files=files, tags=tags_json(tags), warnings=warnings, layout=output.layout,
                    folder=str(json_path.parent), **({"listen_format": listen} if book_folder else {}),
                    loudness={**gain.to_json(), "target_lufs": None if output.loudness is False else output.loudness,
                              "peak_limit_dbtp": output.peak, "after_lufs": loudness["loudness_lufs"],
                              "true_peak_after_dbtp": loudness["true_peak_dbtp"]})
    host._durably(job, lambda: atomic_write_json(json_path, metadata))
    job.output.update(json=str(json_path), audio_seconds=round(result.seconds, 3),
                      files={f["format"]: f["path"] for f in files}, warnings=warnings)
    job.move(JobStatus.DONE)  # through the state machine: clears a stale error, sets finished_at
    host._durably(job, lambda: host.store.save(job))
    if not host.config.jobs.keep_chunks:
        for chunk in job.chunks:
            (folder / chunk.wav_name).unlink(missing_ok=True)
            words_path(folder, chunk).unlink(missing_ok=True)
    log.info("job done: %s -> %s (%.1f s of audio, %.2fx real time; %s; gain %+.1f dB to %s LUFS)", job.name,
             wav_path, result.seconds, metadata["real_time_factor"], ", ".join(f["format"] for f in files),
             gain.gain_db, loudness["loudness_lufs"])


def file_loudness(measured: Measurement | None, gain: Gain) -> dict[str, Any]:
    """The loudness fields of a file record: as measured on the joined WAV, and the gain it got."""
    level = integrated(measured) if measured else float("-inf")
    peak = measured.true_peak if measured else float("-inf")
    return {"loudness_lufs": round(level, 2) if level > float("-inf") else None,
            "true_peak_dbtp": round(peak, 2) if peak > float("-inf") else None, "gain_db": gain.gain_db}


def free_output_name(job: Job, outbox: Path) -> Path:
    """Given a job, return `<book>.wav` in outbox, or `<book> (2).wav` ... when another book owns that name."""
    stem = "".join(ch if ch.isprintable() else "_" for ch in Path(job.name).stem) or "book"
    longest = max(len(suffix.encode()) for suffix in SUFFIXES)  # ".readalong.epub"
    stem = shorten_to_bytes(stem, NAME_MAX - len(" (9999)") - longest)
    for candidate in numbered_names(outbox, stem, ".wav"):
        owner = library.output_owner(candidate.with_suffix(".json"))
        if owner == job.id or (owner is None and not any(candidate.with_suffix(s).exists() for s in SUFFIXES)):
            return candidate
    raise RuntimeError(f"no free output name for {job.name} in {outbox}; remove old books from it")


def chapter_times(job: Job, result: ConcatResult) -> list[dict[str, Any]]:
    """Given a job and its join, return each chapter's index, title, level, parent, start and end (seconds).

    A job made before the chapter tree (chunker version 3) has every chapter at level 1, without a parent."""
    chapters = []
    for chapter in job.chapters:
        positions = [i for i, chunk in enumerate(job.chunks) if chunk.chapter == chapter["index"]]
        if not positions:
            continue
        first, last = positions[0], positions[-1]
        start = 0.0 if first == 0 else result.starts[first]  # the lead silence belongs to the first chapter
        end = result.seconds if last == len(job.chunks) - 1 else result.ends[last]  # and the tail to the last
        chapters.append({"index": chapter["index"], "title": chapter["title"], "level": chapter.get("level", 1),
                         "parent": chapter.get("parent"), "start_seconds": round(start, 3), "end_seconds": round(end, 3)})
    return chapters


def voices_record(job: Job) -> dict[str, Any]:
    """Who reads the book: the narrator, the dialogue voice (None: the narrator) and the cast, with their lines."""
    return {"narrator": job.settings.get("voice"), "dialogue": job.settings.get("dialogue_voice") or None,
            "cast": list(job.source.get("cast") or [])}


def book_json(job: Job, provider: Any, result: ConcatResult, concat_seconds: float) -> dict[str, Any]:
    """Given a published job, its provider and its join, return the content of `<book>.json`."""
    wall = job.synth_seconds + concat_seconds
    coverage_sent = sum((c.coverage or {}).get("sent", 0) for c in job.chunks)
    coverage_spoken = sum((c.coverage or {}).get("spoken", 0) for c in job.chunks)
    return {
        "job_id": job.id,
        "source": {key: job.source[key] for key in ("name", "size", "sha256", "encoding", "warnings")},
        "settings": job.settings,
        "model": job.settings["model"],
        "provider": provider.provider_name(),
        "device": getattr(provider, "device_label", "unknown"),
        "audio_seconds": round(result.seconds, 3),
        "wall_seconds": round(wall, 3),
        "real_time_factor": round(result.seconds / wall, 3) if wall else None,
        "characters": sum(chunk.chars for chunk in job.chunks),
        "letters_sent": coverage_sent,
        "letters_spoken": coverage_spoken,
        "chapters": chapter_times(job, result),
        "voices": voices_record(job),
        "chunks": len(job.chunks),
        "format": {"samplerate": SAMPLE_RATE, "channels": 1, "container": result.format},
        "versions": {"kokoro_narrator": __version__, "schema": job.schema_version, "chunker": job.chunker_version},
        "created_at": job.created_at,
        "finished_at": now(),
    }


def export_book(json_path: Path, formats: list[str],
                store: JobStore | None = None) -> tuple[list[dict[str, Any]], list[str]]:
    """Given a published book's JSON (its WAV beside it), make each format again from the WAV, without
    synthesizing; update the JSON's file list; return (new file records, warnings). "epub" (the read-along
    EPUB) also needs the timings beside the WAV and the job's copy of the book, in store.

    Raise ValueError when the JSON or the WAV is missing or unreadable.
    """
    try:
        meta = json.loads(json_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{json_path}: not a readable book JSON ({exc}); give the .json kokoro-narrator wrote "
                         "beside the book's WAV") from None
    records = {f.get("format"): f for f in meta.get("files") or [] if isinstance(f, dict)}
    wav_path = library.wav_beside(json_path, meta)
    if not wav_path.is_file():
        raise ValueError(f"{wav_path}: the book's WAV is missing; export makes the other formats from it")
    if "wav" in records:
        loudness = {key: records["wav"].get(key) for key in ("loudness_lufs", "true_peak_dbtp", "gain_db")}
    else:  # a book published before loudness was measured
        loudness = file_loudness(measure_wav(wav_path), Gain(0.0, None, None, None, False))
    tags = tags_from_json(meta.get("tags") or {"title": wav_path.stem})
    wanted = [fmt for fmt in dict.fromkeys(formats) if fmt in CODECS]
    listen = meta.get("listen_format") if meta.get("layout") == "library" else None
    target = (lambda fmt: library.audio_path(json_path.with_suffix(".wav"), fmt, listen)) if listen else None
    files, warnings = encode_formats(None, None, wav_path, wanted, tags, meta.get("chapters") or [], loudness, target)
    if "epub" in formats:
        if store is None:
            raise ValueError("the read-along EPUB needs the job store that made the book")
        more_files, more = export_readalong(json_path, store)
        files += more_files
        warnings += more
    for record in files:
        records[record["format"]] = record
    meta["files"] = list(records.values())
    meta["warnings"] = list(meta.get("warnings") or []) + warnings
    atomic_write_json(json_path, meta)
    return files, warnings
