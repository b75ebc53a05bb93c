"""The files beside a published book's audio: its timings, its captions, its read-along EPUB (sync/).

Made after the audio, from what the join says of where each chunk landed:
- `<book>.timings.json`, always: every sentence and word with its time and its place in the
  book's clean text. It is a file of its own, not part of `<book>.json`, because a book has
  tens of thousands of words: the book's JSON stays small enough to read, and the players
  and the web page that want timings load them alone;
- `<book>.vtt` / `<book>.srt` and `<book>.chapters.vtt` when `output.captions` asks;
- `<book>.readalong.epub` when `output.formats` has "epub".
A companion that cannot be made is a warning, as a missing encoder is: the audio is published.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Sequence

from ..audio import ConcatResult, Piece, SAMPLE_RATE, Tags
from ..core import atomic_write
from ..sync import (book_timings, BookTimings, build_readalong, read_timings, ReadAlongError, TimedChunk,
                    timings_bytes, write_captions)
from .checkpoint import read_chunk_words, words_path
from .library import wav_beside
from .store import Job, JobStore
from .texts import BookTexts

log = logging.getLogger(__name__)

COMPANIONS = (".timings.json", ".vtt", ".srt", ".chapters.vtt", ".readalong.epub")
"""The suffixes of every companion file (a base name is free only when none of them is taken)."""


def file_record(fmt: str, path: Path) -> dict[str, Any]:
    return {"format": fmt, "path": str(path), "size": path.stat().st_size}


def job_timings(job: Job, folder: Path, texts: BookTexts, result: ConcatResult, pieces: Sequence[Piece],
                chapters: list[dict[str, Any]], wav_name: str, language: str | None) -> tuple[BookTimings, list[str]]:
    """Given a job whose chunks are joined (the join's result and the pieces it used), return the book's
    timings and warnings (chunks made before words were timed have none)."""
    chunks, untimed = [], []
    for position, chunk in enumerate(job.chunks):
        words = read_chunk_words(words_path(folder, chunk))
        if words is None:
            untimed.append(chunk.index)
        chunks.append(TimedChunk(chunk.chapter, texts.spoken[position], texts.clean[position], words or [],
                                 result.starts[position], pieces[position].start, result.ends[position]))
    warnings = [f"chunks {', '.join(map(str, untimed))} were made before words were timed: their sentences have "
                "no timings (make the book again for complete captions)"] if untimed else []
    timings = book_timings(chunks, texts.book.text, chapters, result.seconds, SAMPLE_RATE, wav_name, language)
    return timings, warnings


def make_companions(host: Any, job: Job, folder: Path, texts: BookTexts, wav_path: Path, result: ConcatResult,
                    pieces: Sequence[Piece], chapters: list[dict[str, Any]], tags: Tags,
                    base: Path | None = None) -> tuple[list[dict[str, Any]], list[str]]:
    """Given the book as the runner read it (texts), write its companions beside wav_path, named after base (`<book>.wav`, default wav_path: a library
    book's WAV may be hidden, `.<book>.wav`, its companions not); return (file records, warnings)."""
    output = host.config.output
    base = base or wav_path
    try:
        timings, warnings = job_timings(job, folder, texts, result, pieces, chapters, wav_path.name, tags.language)
    except (OSError, ValueError) as exc:
        log.warning("%s: no timings: %s", job.name, exc)
        return [], [f"timings not made: {exc}"]
    timings_path = base.with_suffix(".timings.json")
    host._durably(job, lambda: atomic_write(timings_path, timings_bytes(timings)))
    files = [file_record("timings", timings_path)]
    if not timings.sentences:  # a provider without durations: an ONNX export without them, a test's tone
        if output.captions or "epub" in output.formats:
            warnings.append("no sentence has a time (the engine gave no phoneme durations): no captions or "
                            "read-along EPUB")
        return files, warnings
    if output.captions:
        stem = base.with_suffix("")
        written = host._durably(job, lambda: write_captions(timings, stem, output.captions, output.captions_words,
                                                            texts.book.text))
        files += [file_record("chapters-vtt" if path.name.endswith(".chapters.vtt") else path.suffix[1:], path)
                  for path in written]
    if "epub" in output.formats:
        files_epub, more = readalong_epub(host, job, folder, wav_path, timings, tags, base)
        files += files_epub
        warnings += more
    log.info("%s: %d sentences timed; %s", job.name, len(timings.sentences),
             ", ".join(Path(f["path"]).name for f in files))
    return files, warnings


def readalong_epub(host: Any, job: Job, folder: Path, wav_path: Path, timings: BookTimings, tags: Tags,
                   base: Path | None = None) -> tuple[list[dict[str, Any]], list[str]]:
    """Make `<book>.readalong.epub` (named after base, default wav_path) from the job's source copy; return
    (file records, warnings)."""
    path = (base or wav_path).with_suffix(".readalong.epub")
    source = folder / job.source["copy"]
    try:
        notes = host._durably(job, lambda: build_readalong(path, timings, wav_path, job.name, source.read_bytes(),
                                                           tags.cover))
    except ReadAlongError as exc:
        log.warning("%s: read-along EPUB not made: %s", job.name, exc)
        return [], [f"epub not made: {exc}"]
    return [file_record("epub", path)], list(notes)


def export_readalong(json_path: Path, store: JobStore) -> tuple[list[dict[str, Any]], list[str]]:
    """Given a published book's JSON (its WAV and timings beside it, its job in store), make its read-along
    EPUB again without synthesizing; return (file records, warnings). Raise ValueError when it cannot be made."""
    meta = json.loads(json_path.read_text(encoding="utf-8"))
    wav_path = wav_beside(json_path, meta)
    timings_path = json_path.with_suffix(".timings.json")
    if not timings_path.is_file():
        raise ValueError(f"{timings_path.name} is missing: the book was published before timings were recorded; "
                         "drop the book in the inbox again to make it with timings")
    timings = read_timings(timings_path)
    job = store.find(str(meta.get("job_id")))
    if job is None:
        raise ValueError(f"the job {meta.get('job_id')} that made {json_path.name} is no longer in {store.root}: "
                         "its copy of the book is needed for the read-along EPUB")
    folder = store.folder(job)
    cover = (meta.get("tags") or {}).get("cover")
    cover_path = folder / Path(str(cover)).name if cover else None
    out = json_path.with_suffix(".readalong.epub")
    try:
        warnings = build_readalong(out, timings, wav_path, job.name, (folder / job.source["copy"]).read_bytes(),
                                   cover_path if cover_path and cover_path.is_file() else None)
    except ReadAlongError as exc:
        raise ValueError(f"read-along EPUB not made: {exc}") from None
    return [file_record("epub", out)], list(warnings)
