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

On resume the file is cut back to the recorded length, its pieces are replayed, in the same
order and as the same arrays, into the new chunk WAV, and the engine starts at model call
`calls` with the same seeds (`synthesize_chunk(..., start=calls)`): the WAV comes out byte for
byte as an uninterrupted run makes it. A file shorter than its checkpoint (damage) makes the
chunk start afresh, with a warning.
"""

from __future__ import annotations

import logging
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Iterator

import numpy as np

from ..audio import AudioError, SAMPLE_RATE, wav_info
from ..core import fsync_directory
from .store import ChunkState, Job

log = logging.getLogger(__name__)

HEADER = np.dtype("<u8")
SAMPLE = np.dtype("<f4")


def partial_path(folder: Path, chunk: ChunkState) -> Path:
    return folder / f"chunk_{chunk.index:04d}.partial"


@dataclass
class Checkpoint:
    """How far a chunk got; stored as ChunkState.checkpoint."""

    calls: int = 0
    bytes: int = 0
    chars: int = 0
    seconds: float = 0.0
    pending_pause: bool = False
    coverage: dict[str, Any] = field(default_factory=lambda: {"sent": 0, "spoken": 0, "dropped": []})

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> "Checkpoint":
        if not data:
            return cls()
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**known)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["seconds"] = round(self.seconds, 3)
        return data


class PartialAudio:
    """The `.partial` file of one chunk, open for appending, with the checkpoint it resumes from."""

    def __init__(self, path: Path, checkpoint: Checkpoint, f: BinaryIO):
        self.path = path
        self.checkpoint = checkpoint
        """Where the chunk resumes from; the caller advances it as it appends."""
        self.resumed_from = checkpoint.calls
        self.f = f
        self.committed = False

    @classmethod
    def open(cls, folder: Path, chunk: ChunkState) -> "PartialAudio":
        """Given a chunk, open its partial file at the recorded checkpoint, or afresh when it has none."""
        path = partial_path(folder, chunk)
        checkpoint = Checkpoint.from_json(chunk.checkpoint)
        size = path.stat().st_size if path.exists() else -1
        if checkpoint.calls and size < checkpoint.bytes:
            log.warning("%s holds %d bytes, less than its checkpoint's %d; the chunk starts afresh",
                        path.name, max(size, 0), checkpoint.bytes)
            checkpoint = Checkpoint()
        if checkpoint.calls and size >= 0:
            f = open(path, "r+b")
            f.truncate(checkpoint.bytes)
            f.seek(checkpoint.bytes)
        else:
            checkpoint = checkpoint if checkpoint.calls else Checkpoint()
            f = open(path, "wb")
        return cls(path, checkpoint, f)

    def replay(self) -> Iterator[np.ndarray]:
        """Yield the pieces kept by the checkpoint, as they were appended."""
        with open(self.path, "rb") as f:
            while f.tell() < self.checkpoint.bytes:
                frames = int(np.frombuffer(f.read(HEADER.itemsize), HEADER)[0])
                data = f.read(frames * SAMPLE.itemsize)
                if len(data) != frames * SAMPLE.itemsize:
                    raise ValueError(f"{self.path.name} is cut short inside a record")
                yield np.frombuffer(data, SAMPLE).copy()

    def append(self, audio: np.ndarray) -> None:
        samples = np.ascontiguousarray(np.asarray(audio, dtype=SAMPLE).reshape(-1))
        self.f.write(np.array([len(samples)], HEADER).tobytes())
        self.f.write(samples.tobytes())

    def commit(self) -> dict[str, Any]:
        """Make what was appended durable; return the checkpoint to record in job.json."""
        self.f.flush()
        os.fsync(self.f.fileno())
        if not self.committed:
            fsync_directory(self.path.parent)  # the file's name survives a power cut too
            self.committed = True
        self.checkpoint.bytes = self.f.tell()
        return self.checkpoint.to_json()

    def close(self) -> None:
        self.f.close()


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
