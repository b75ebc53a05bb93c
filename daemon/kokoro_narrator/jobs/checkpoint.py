"""Work kept for a resume: finished chunks checked, and the audio made so far inside a chunk.

A chunk recorded done must still have its WAV, whole (`chunk_problem`); else it is made again.

While a chunk is made, every piece of audio handed to the chunk's WAV (model output and the
pauses between paragraphs) is also appended to `chunk_NNNN.partial`, one record per piece:
an 8-byte little-endian frame count, then the float32 samples. Every `jobs.checkpoint_seconds`
(and whenever the worker stops, pauses or cancels), the file is fsynced and only then is
the checkpoint recorded in the chunk's entry in `job.json`:

    {"calls": model calls done, "bytes": durable length of the .partial file,
     "chars": characters of the chunk spoken, "seconds": synthesis seconds spent on them,
     "pending_pause": a paragraph pause is owed before the next audio,
     "coverage": {"sent", "spoken", "dropped"} so far}

The words' timings go beside it, in `chunk_NNNN.words.partial`: one JSON line per model call,
`[[text start, text end, first sample, sample after], ...]` in the chunk's text and audio,
fsynced with the audio and recorded as `words_bytes`. When the chunk is done they become
`chunk_NNNN.words.json` (`write_chunk_words`), which publishing turns into the book's timings.

On resume both files are cut back to the recorded lengths, the audio's pieces are replayed, in
the same order and as the same arrays, into the new chunk WAV, the words are read back, and
the engine starts at model call `calls` with the same seeds (`synthesize_chunk(...,
start=calls)`): the WAV and the words come out byte for byte as an uninterrupted run makes
them. A file shorter than its checkpoint (damage), or a checkpoint made before words were
kept, makes the chunk start afresh, with a warning.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Iterator

import numpy as np

from ..audio import AudioError, SAMPLE_RATE, wav_info
from ..core import atomic_write, fsync_directory
from .store import ChunkState, Job

log = logging.getLogger(__name__)

HEADER = np.dtype("<u8")
SAMPLE = np.dtype("<f4")


def partial_path(folder: Path, chunk: ChunkState) -> Path:
    return folder / f"chunk_{chunk.index:04d}.partial"


def partial_words_path(folder: Path, chunk: ChunkState) -> Path:
    return folder / f"chunk_{chunk.index:04d}.words.partial"


def words_path(folder: Path, chunk: ChunkState) -> Path:
    return folder / f"chunk_{chunk.index:04d}.words.json"


@dataclass
class Checkpoint:
    """How far a chunk got; stored as ChunkState.checkpoint."""

    calls: int = 0
    bytes: int = 0
    chars: int = 0
    seconds: float = 0.0
    pending_pause: bool = False
    coverage: dict[str, Any] = field(default_factory=lambda: {"sent": 0, "spoken": 0, "dropped": []})
    words_bytes: int | None = 0
    """Durable length of the words file; None in a checkpoint made before words were kept."""

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> "Checkpoint":
        if not data:
            return cls()
        if "words_bytes" not in data:
            data = {**data, "words_bytes": None}
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**known)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["seconds"] = round(self.seconds, 3)
        return data


class PartialAudio:
    """The `.partial` file of one chunk, open for appending, with the checkpoint it resumes from."""

    def __init__(self, path: Path, checkpoint: Checkpoint, f: BinaryIO, words_file: BinaryIO):
        self.path = path
        self.checkpoint = checkpoint
        """Where the chunk resumes from; the caller advances it as it appends."""
        self.resumed_from = checkpoint.calls
        self.f = f
        self.words_file = words_file
        self.words: list[list[int]] = []
        """Every word timed so far: [text start, text end, first sample, sample after] in the chunk."""
        self.committed = False

    @classmethod
    def open(cls, folder: Path, chunk: ChunkState) -> "PartialAudio":
        """Given a chunk, open its partial files at the recorded checkpoint, or afresh when it has none."""
        path, words = partial_path(folder, chunk), partial_words_path(folder, chunk)
        checkpoint = Checkpoint.from_json(chunk.checkpoint)
        size = path.stat().st_size if path.exists() else -1
        words_size = words.stat().st_size if words.exists() else -1
        if checkpoint.calls and size < checkpoint.bytes:
            log.warning("%s holds %d bytes, less than its checkpoint's %d; the chunk starts afresh",
                        path.name, max(size, 0), checkpoint.bytes)
            checkpoint = Checkpoint()
        elif checkpoint.calls and (checkpoint.words_bytes is None or words_size < checkpoint.words_bytes):
            log.warning("%s does not hold the words' timings of its checkpoint; the chunk starts afresh", words.name)
            checkpoint = Checkpoint()
        if checkpoint.calls and size >= 0:
            f, words_file = open(path, "r+b"), open(words, "r+b" if words.exists() else "w+b")
            for handle, length in ((f, checkpoint.bytes), (words_file, checkpoint.words_bytes)):
                handle.truncate(length)
                handle.seek(length)
        else:
            checkpoint = Checkpoint()
            f, words_file = open(path, "wb"), open(words, "wb")
        return cls(path, checkpoint, f, words_file)

    def replay(self) -> Iterator[np.ndarray]:
        """Yield the pieces kept by the checkpoint, as they were appended."""
        with open(self.path, "rb") as f:
            while f.tell() < self.checkpoint.bytes:
                frames = int(np.frombuffer(f.read(HEADER.itemsize), HEADER)[0])
                data = f.read(frames * SAMPLE.itemsize)
                if len(data) != frames * SAMPLE.itemsize:
                    raise ValueError(f"{self.path.name} is cut short inside a record")
                yield np.frombuffer(data, SAMPLE).copy()
        with open(self.words_file.name, "rb") as f:
            for line in f.read(self.checkpoint.words_bytes or 0).splitlines():
                self.words += json.loads(line)

    def append_words(self, words: list[list[int]]) -> None:
        """Keep one model call's timed words (chunk text and chunk samples), as a line of the words file."""
        self.words += words
        self.words_file.write(json.dumps(words, separators=(",", ":")).encode("ascii") + b"\n")

    def append(self, audio: np.ndarray) -> None:
        samples = np.ascontiguousarray(np.asarray(audio, dtype=SAMPLE).reshape(-1))
        self.f.write(np.array([len(samples)], HEADER).tobytes())
        self.f.write(samples.tobytes())

    def commit(self) -> dict[str, Any]:
        """Make what was appended durable; return the checkpoint to record in job.json."""
        for handle in (self.f, self.words_file):
            handle.flush()
            os.fsync(handle.fileno())
        if not self.committed:
            fsync_directory(self.path.parent)  # the files' names survive a power cut too
            self.committed = True
        self.checkpoint.bytes = self.f.tell()
        self.checkpoint.words_bytes = self.words_file.tell()
        return self.checkpoint.to_json()

    def close(self) -> None:
        self.f.close()
        self.words_file.close()

    def remove(self) -> None:
        """The chunk is recorded done: its partial files are no longer needed."""
        self.path.unlink(missing_ok=True)
        Path(self.words_file.name).unlink(missing_ok=True)


def write_chunk_words(path: Path, words: list[list[int]], samplerate: int) -> None:
    """Write a finished chunk's timed words (atomically), one compact line, the same bytes for the same words."""
    data = json.dumps({"version": 1, "samplerate": samplerate, "words": words}, separators=(",", ":"))
    atomic_write(path, lambda f: f.write(data.encode("ascii")))


def read_chunk_words(path: Path) -> list[list[int]] | None:
    """The timed words of a finished chunk; None when it has no readable words file."""
    try:
        return json.loads(path.read_text(encoding="ascii"))["words"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def chunk_problem(folder: Path, chunk: ChunkState) -> str | None:
    """Given a chunk recorded done, return what is wrong with its WAV (None when it is whole)."""
    path = folder / chunk.wav_name
    if not path.exists():
        return f"{path.name} is missing"
    try:
        info = wav_info(path)
    except AudioError as exc:
        return str(exc)
    if (info.samplerate, info.channels) != (SAMPLE_RATE, 1) or info.frames != chunk.frames:
        return (f"{path.name} is {info.samplerate} Hz, {info.channels} ch, {info.frames} frames; "
                f"expected {SAMPLE_RATE} Hz mono, {chunk.frames} frames")
    if chunk.words is not None and read_chunk_words(words_path(folder, chunk)) is None:
        return f"{words_path(folder, chunk).name} (its words' timings) is missing or unreadable"
    return None


def reset_damaged_chunks(job: Job, folder: Path) -> bool:
    """Given a job about to resume, make again each chunk recorded done whose WAV is not whole; return whether any was.

    Also removes `.partial` files a kill left behind after their chunk was recorded done.
    """
    changed = False
    for chunk in job.chunks:
        if chunk.status != "done":
            continue
        partial_path(folder, chunk).unlink(missing_ok=True)
        partial_words_path(folder, chunk).unlink(missing_ok=True)
        problem = chunk_problem(folder, chunk)
        if problem:
            log.warning("job %s: chunk %d will be made again: %s", job.id, chunk.index, problem)
            chunk.status, chunk.error = "pending", problem
            changed = True
    return changed


def discard(folder: Path, chunk: ChunkState) -> None:
    """Forget the work kept inside chunk (its checkpoint and partial file)."""
    chunk.checkpoint = None
    partial_path(folder, chunk).unlink(missing_ok=True)
    partial_words_path(folder, chunk).unlink(missing_ok=True)
