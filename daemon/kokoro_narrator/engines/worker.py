"""One warm engine in a Ray actor: chunk text in, the chunk's WAV bytes, words, coverage and loudness out.

`EngineWorker` is a plain class; pool.py makes it a Ray actor with two concurrency groups of one
thread each: "work" runs `make` (one chunk at a time, so the engine is never shared between
threads) and "control" runs `cancel`, `progress` and `describe` while a chunk is being made. The
model is loaded once, in the constructor. Each model call is seeded inside the engine, right
before the call (synthesis/engine.py), so a chunk's bytes do not depend on which worker made it,
as long as the workers share a numeric path (`numeric_path`).

A chunk that fails for its own reasons comes back as `{"error": ...}`: the daemon counts it
against the chunk's retries. Only a dead worker raises (Ray's RayActorError).
"""

from __future__ import annotations

import dataclasses
import io
import logging
import os
import socket
import threading
import time
from typing import Any, Iterator

import numpy as np

from ..audio import chunk_wav_bytes, measure_wav
from ..core import KokoroConfig
from ..synthesis import KokoroEngine, numeric_path
from .assembly import add_segment, Made, segments

log = logging.getLogger(__name__)


class Cancelled(Exception):
    """The daemon asked this worker to leave the chunk it is making (stop, pause, cancel)."""


def worker_path(settings: KokoroConfig, device_label: str, threads: int) -> dict[str, Any]:
    """The numeric path of an engine: what, besides the job's settings, decides its samples."""
    import torch

    device = device_label
    if device_label != "cpu" and torch.cuda.is_available():
        device = f"{device_label}:{torch.cuda.get_device_name(0)}"
    return {"device": device, "torch": torch.__version__, "precision": numeric_path(settings),
            "backend": settings.backend, "threads": threads}


def local_path(provider: object) -> dict[str, Any] | None:
    """The numeric path of the daemon's own engine, to compare with a job's `engine_path`; None for a provider
    that is not a KokoroEngine (a test's)."""
    if not isinstance(provider, KokoroEngine):
        return None
    import torch

    return worker_path(provider.settings, provider.device_label, torch.get_num_threads())


class EngineWorker:
    """A warm engine for the pool.

    Responsibilities: load the model once, with an explicit thread count; make one chunk at a
    time through the shared assembly (assembly.py) into WAV bytes; leave it at the next
    utterance when cancelled; say where it runs and what it is making.
    """

    def __init__(self, settings: KokoroConfig, threads: int):
        import torch

        torch.set_num_threads(threads)  # Ray sets OMP_NUM_THREADS=1; the path names the count, so set it
        self.engine = KokoroEngine.load(dataclasses.replace(settings, threads=threads), warm_up=True)
        self.path = worker_path(settings, self.engine.device_label, torch.get_num_threads())
        self.host, self.pid = socket.gethostname(), os.getpid()
        self.cancelled = 0
        """Every chunk handed out in an epoch up to this one is to be left (the daemon's `cancel`)."""
        self.current: dict[str, Any] | None = None
        self.lock = threading.Lock()

    def describe(self) -> dict[str, Any]:
        """Where this engine runs (host, Ray node, process, device) and its numeric path."""
        import ray  # only ever called inside a Ray actor

        return {"host": self.host, "node": ray.get_runtime_context().get_node_id(), "pid": self.pid,
                "device": self.engine.device_label, "path": self.path}

    def cancel(self, epoch: int) -> None:
        """Leave every chunk of this epoch and before at its next utterance (a control call: it runs beside make)."""
        with self.lock:
            self.cancelled = max(self.cancelled, epoch)

    def progress(self) -> dict[str, Any] | None:
        """The chunk being made now: job, index, characters done, seconds so far (None: idle)."""
        with self.lock:
            return dict(self.current) if self.current else None

    def make(self, task: dict[str, Any]) -> dict[str, Any]:
        """Given a chunk task (pool.py: job, index, epoch, text, chars, args, paragraph_pause), make it whole.

        Return {"wav": bytes, "words", "coverage", "loudness", "calls", "seconds"}, {"interrupted": True}
        when cancelled, or {"error": "Type: message"} when the chunk failed for its own reasons.
        """
        started = time.perf_counter()
        made = Made()
        words: list[list[int]] = []
        with self.lock:
            self.current = {"job": task["job"], "index": task["index"], "chars": 0, "seconds": 0.0}
        try:
            wav = chunk_wav_bytes(self._pieces(task, made, words, started))
            loudness = measure_wav(io.BytesIO(wav)).to_json()
        except Cancelled:
            return {"interrupted": True}
        except Exception as exc:  # the chunk's own failure: the daemon retries it, here or elsewhere
            log.warning("chunk %d of %s failed: %s: %s", task["index"], task["job"], type(exc).__name__, exc)
            return {"error": f"{type(exc).__name__}: {exc}"}
        finally:
            with self.lock:
                self.current = None
        return {"wav": wav, "words": words, "coverage": made.coverage, "loudness": loudness, "calls": made.calls,
                "seconds": round(time.perf_counter() - started, 3)}

    def _pieces(self, task: dict[str, Any], made: Made, words: list[list[int]], started: float) -> Iterator[np.ndarray]:
        """The chunk's audio, piece by piece, as the local runner makes it; raise Cancelled between utterances."""
        offset = 0
        calls = segments(self.engine, task["text"], task["args"])
        while True:
            if task["epoch"] <= self.cancelled:
                raise Cancelled()
            segment = next(calls, None)
            if segment is None:
                return
            pieces, timed = add_segment(made, segment, offset, task["chars"], task["paragraph_pause"])
            words += timed
            offset += sum(len(piece) for piece in pieces)
            with self.lock:
                self.current = {"job": task["job"], "index": task["index"], "chars": made.chars,
                                "seconds": round(time.perf_counter() - started, 3)}
            yield from pieces

