"""The pool: warm engines as Ray actors, and the dispatch of one book's chunks over them.

The daemon stays the only writer of the job store. A `Dispatch` hands out the pending chunks of
the book at the head of the queue, at most IN_FLIGHT per worker, and gives back each chunk's
outcome, in the order they finish: `Done` (the chunk's WAV bytes, words, coverage, loudness) or
`Failed` (the chunk's own error). The runner (jobs/runner.py) writes chunk_NNNN.wav and job.json.

Faults. A worker that dies (OOM kill, lost node, ray.kill) loses only its chunks in flight: they
go back to the front of the queue and to the next free worker. Ray restarts a dead worker in
place up to MAX_RESTARTS times (the model loads again in its constructor); a worker dead for good
is replaced by a new actor after REPLACE_SECONDS. A chunk whose worker died under it 1 + retries
times fails as if it had failed itself, so a chunk that kills every engine cannot loop.

Same bytes. Every worker reports its numeric path (worker.py). A dispatch gives the job's chunks
only to workers whose precision and backend are the job's settings and whose whole path is the
job's (`engine_path`, fixed by the first worker that makes one of its chunks); the others wait.
When no worker can ever take the job, `Refused` says why.

Every wait is bounded: `next` waits at most its timeout, `close` at most CLOSE_SECONDS.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core import atomic_write_json, Config
from .worker import EngineWorker

log = logging.getLogger(__name__)

MAX_RESTARTS = 2
"""Ray restarts a dead worker in place this many times: enough for an OOM kill or a lost node, few
enough that a host that kills every engine does not reload the model in a loop (it is replaced,
slowly, instead)."""
IN_FLIGHT = 2
"""Chunks handed to one worker at a time: one being made, one waiting there, so it never waits for the daemon."""
RETRY_SECONDS = 1.0
"""How long after a failed call a worker that may be restarting is asked again whether it is back."""
REPLACE_SECONDS = 10.0
"""How long a worker dead for good stays gone before a new actor takes its place."""
CLOSE_SECONDS = 30.0
"""Most time `close` waits for the workers to leave their chunks (each leaves at its next utterance)."""
PROGRESS_SECONDS = 2.0
"""How often the workers are asked what they are making, and the status file written."""
ENGINES_FILE = "engines.json"
"""The pool's state in the jobs folder, for `kokoro-narrator status`; written only by the daemon."""


class Refused(RuntimeError):
    """No worker of the pool can make this job's chunks with the job's numeric path."""


@dataclass
class Task:
    """One chunk to make."""

    index: int
    text: str
    chars: int
    args: dict[str, Any]
    """synthesize_chunk's keyword arguments (assembly.synthesis_args): voice, speed, lang_code, voices."""
    losses: int = 0
    """How many workers died while making it."""


@dataclass(frozen=True)
class Done:
    """A chunk made whole: its WAV's bytes (chunk_NNNN.wav as write_chunk_wav writes it) and records."""

    index: int
    wav: bytes
    words: list[list[int]]
    coverage: dict[str, Any]
    loudness: dict[str, Any]
    calls: int
    seconds: float
    worker: str
    path: dict[str, Any]


@dataclass(frozen=True)
class Failed:
    """A chunk that failed for its own reasons (or whose workers kept dying under it)."""

    index: int
    error: str
    worker: str
    final: bool = False
    """Its workers died under it too often: it is not tried again."""


@dataclass(eq=False)
class Worker:
    """The pool's record of one actor."""

    number: int
    handle: Any
    state: str = "starting"
    """starting (loading, or restarting), ready, or lost (probed again, or replaced when dead for good)."""
    info: dict[str, Any] | None = None
    """describe(): host, pid, device, path."""
    tasks: dict[Any, Task] = field(default_factory=dict)
    """Its chunks in flight, by their ObjectRef."""
    live: dict[str, Any] | None = None
    """progress(): the chunk it is making now."""
    made: int = 0
    since: float = 0.0
    """When it was lost."""
    dead: bool = False
    """Lost for good (Ray will not restart it): replaced after REPLACE_SECONDS."""

    @property
    def label(self) -> str:
        where = f"{self.info['host']}/{self.info['device']}" if self.info else "?"
        return f"engine {self.number} ({where})"


class EnginePool:
    """Warm engines as Ray actors. Build it with `start_pool(config)`.

    Responsibilities: start the actors, know which are ready and where they run, replace the
    dead, hand out one job's chunks at a time (`dispatch`), write the status file, shut down.
    """

    def __init__(self, ray: Any, config: Config, count: int, gpus: float, owns_ray: bool,
                 status_path: Path | None = None):
        threads = config.engines.threads_per_worker
        self.ray = ray
        self.config = config
        self.owns_ray = owns_ray
        self.status_path = status_path
        self.actor = ray.remote(
            num_cpus=threads, num_gpus=gpus, max_restarts=MAX_RESTARTS, max_task_retries=0,
            max_concurrency=1, concurrency_groups={"control": 1},  # one make() at a time (one engine, one
            # torch RNG); cancel, progress and describe run beside it in their own thread
            runtime_env={"env_vars": {"OMP_NUM_THREADS": str(threads)}},  # Ray's default is 1
        )(EngineWorker)
        self.owner: dict[Any, tuple[Worker, str, int]] = {}
        """Every ObjectRef awaited: its worker, what it is (probe, make, watch) and its dispatch's epoch."""
        self.workers = [self._spawn(number) for number in range(1, count + 1)]
        self.epoch = 0
        self.current: Dispatch | None = None
        self.job: dict[str, Any] | None = None
        self.written = float("-inf")
        self.shape: list[tuple[str, int | None]] = []
        """The workers' states and chunks when the status file was last written."""
        self.watched = float("-inf")

    # ------------------------------------------------------------------ workers

    def _spawn(self, number: int) -> Worker:
        worker = Worker(number, self.actor.remote(self.config.tts.kokoro, self.config.engines.threads_per_worker))
        self._probe(worker)
        return worker

    def _control(self, worker: Worker, method: str, *args: Any) -> Any:
        return getattr(worker.handle, method).options(concurrency_group="control").remote(*args)

    def _probe(self, worker: Worker) -> None:
        """Ask a starting (or restarting) worker to describe itself; it is ready when it answers."""
        worker.state, worker.info = "starting", None
        self.owner[self._control(worker, "describe")] = (worker, "probe", 0)

    def _lost(self, worker: Worker, error: BaseException, dispatch: "Dispatch | None") -> None:
        """A call to worker failed: its chunks in flight go back to the queue; find out if it comes back."""
        for ref in [ref for ref, (owner, _, _) in self.owner.items() if owner is worker]:
            del self.owner[ref]
        lost, worker.tasks, worker.live = list(worker.tasks.values()), {}, None
        log.warning("%s lost (%s); %d chunk(s) in flight go to the other engines", worker.label,
                    first_line(error), len(lost))
        if dispatch is not None:
            for task in reversed(lost):
                dispatch.put_back(task, worker.label)
        worker.state, worker.since = "lost", time.monotonic()
        worker.dead = type(error).__name__ == "ActorDiedError"  # restarts used up, or killed for good

    def heal(self) -> None:
        """Probe again, a second later, a worker that may be restarting (it answers once its constructor has
        loaded the model again); replace a worker dead for good by a new actor after REPLACE_SECONDS."""
        for position, worker in enumerate(self.workers):
            waited = time.monotonic() - worker.since
            if worker.state != "lost":
                continue
            if not worker.dead and waited >= RETRY_SECONDS:
                self._probe(worker)
            elif worker.dead and waited >= REPLACE_SECONDS:
                self._kill(worker)
                self.workers[position] = self._spawn(worker.number)
                log.info("engine %d: a new actor takes the place of the lost one", worker.number)

    def _kill(self, worker: Worker) -> None:
        try:
            self.ray.kill(worker.handle, no_restart=True)
        except Exception as exc:  # already gone: nothing to free
            log.debug("engine %d: kill: %s", worker.number, exc)

    def settle(self, ref: Any) -> None:
        """Take the answer of one awaited call that is ready."""
        worker, kind, epoch = self.owner.pop(ref)
        dispatch = self.current if self.current is not None and self.current.epoch == epoch else None
        try:
            value = self.ray.get(ref, timeout=PROGRESS_SECONDS)
        except self.ray.exceptions.GetTimeoutError:
            self.owner[ref] = (worker, kind, epoch)  # not ready after all: wait for it again
            return
        except self.ray.exceptions.RayActorError as exc:
            self._lost(worker, exc, self.current)
            return
        except self.ray.exceptions.RayError as exc:  # the call itself was lost (object lost, system error)
            task = worker.tasks.pop(ref, None)
            log.warning("%s: a call was lost (%s)", worker.label, first_line(exc))
            if task is not None and dispatch is not None:
                dispatch.put_back(task, worker.label)
            return
        if kind == "probe":
            worker.state, worker.info = "ready", value
            log.info("%s ready: %s", worker.label, value["path"])
        elif kind == "watch":
            worker.live = value
        else:
            task = worker.tasks.pop(ref, None)
            if task is not None and dispatch is not None:
                dispatch.receive(task, worker, value)

    def awaited(self) -> list[Any]:
        return list(self.owner)

    def watch(self) -> None:
        """Every PROGRESS_SECONDS, ask each busy worker what it is making (the answer comes with the others)."""
        if time.monotonic() - self.watched < PROGRESS_SECONDS:
            return
        self.watched = time.monotonic()
        watching = {owner for owner, kind, _ in self.owner.values() if kind == "watch"}
        for worker in self.workers:
            if worker.state == "ready" and worker.tasks and worker not in watching:
                self.owner[self._control(worker, "progress")] = (worker, "watch", 0)
            elif not worker.tasks:
                worker.live = None

    # ------------------------------------------------------------------ jobs

    def dispatch(self, job_id: str, expect: dict[str, Any], path: dict[str, Any] | None,
                 losses_allowed: int) -> "Dispatch":
        """Given a job's id, its settings' precision and backend (expect), its recorded engine path and how
        many worker deaths a chunk may cost, return the dispatch of its chunks (one at a time)."""
        if self.current is not None:
            self.current.close()
        self.epoch += 1
        self.current = Dispatch(self, self.epoch, job_id, expect, path, losses_allowed)
        return self.current

    # ------------------------------------------------------------------ status

    def provider_name(self) -> str:
        return "kokoro"

    @property
    def device_label(self) -> str:
        """`ray: 2 x cpu`, for book.json: the devices of the engines ready now."""
        devices = sorted((worker.info or {}).get("device", "?") for worker in self.workers if worker.info)
        return "ray: " + ", ".join(f"{devices.count(device)} x {device}" for device in sorted(set(devices)))

    def snapshot(self) -> list[dict[str, Any]]:
        """Each worker: number, state, host, device, numeric path, the chunk it is making, chunks made."""
        workers = []
        for worker in self.workers:
            info = worker.info or {}
            making = None
            if worker.tasks:
                task = next(iter(worker.tasks.values()))
                live = worker.live if worker.live and worker.live.get("index") == task.index else {}
                making = {"index": task.index, "chars": live.get("chars", 0), "of": task.chars}
            workers.append({"number": worker.number, "state": worker.state, "host": info.get("host"),
                            "node": info.get("node"), "pid": info.get("pid"), "device": info.get("device"), "path": info.get("path"), "making": making,
                            "made": worker.made})
        return workers

    def summary(self) -> str:
        """`engines: 1 host-a/cpu chunk 3, 2 host-b/cpu idle` for the STATUS= line."""
        parts = []
        for worker in self.snapshot():
            where = f"{worker['host']}/{worker['device']}" if worker["host"] else worker["state"]
            doing = f"chunk {worker['making']['index']}" if worker["making"] else (
                "idle" if worker["state"] == "ready" else worker["state"])
            parts.append(f"{worker['number']} {where} {doing}")
        return "engines: " + ", ".join(parts)

    def write_status(self, job: dict[str, Any] | None = None, force: bool = False) -> None:
        """Write the status file when a worker's state or chunk changed, else at most every PROGRESS_SECONDS
        (or when forced); a failed write is only logged."""
        if job is not None:
            self.job = job
        workers = self.snapshot()
        shape = [(worker["state"], (worker["making"] or {}).get("index")) for worker in workers]
        if self.status_path is None or (not force and shape == self.shape
                                        and time.monotonic() - self.written < PROGRESS_SECONDS):
            return
        self.written, self.shape = time.monotonic(), shape
        data = {"backend": "ray", "address": self.config.engines.address or "local", "pid": os.getpid(),
                "updated_at": round(time.time(), 3), "workers": workers, "job": self.job}
        try:
            atomic_write_json(self.status_path, data)
        except OSError as exc:  # status only: never stop a book for it
            log.debug("could not write %s: %s", self.status_path, exc)

    def shutdown(self) -> None:
        """Stop the workers (and the Ray runtime this pool started); remove the status file."""
        if self.current is not None:
            self.current.close()
        for worker in self.workers:
            self._kill(worker)
        self.owner.clear()
        if self.status_path is not None:
            self.status_path.unlink(missing_ok=True)
        if self.owns_ray:
            self.ray.shutdown()
        log.info("engine pool stopped")


class Dispatch:
    """One job's chunks over the pool: submit tasks, take outcomes with `next`, `close` at the end."""

    def __init__(self, pool: EnginePool, epoch: int, job_id: str, expect: dict[str, Any],
                 path: dict[str, Any] | None, losses_allowed: int):
        self.pool, self.epoch, self.job_id = pool, epoch, job_id
        self.expect = expect
        self.path = path
        """The job's engine path: the first fitting worker's when the job has none yet."""
        self.losses_allowed = losses_allowed
        self.paragraph_pause = pool.config.jobs.paragraph_pause
        self.queue: deque[Task] = deque()
        self.outcomes: deque[Done | Failed] = deque()
        self.refused: set[int] = set()
        self.closed = False

    def submit(self, task: Task) -> None:
        self.queue.append(task)

    def put_back(self, task: Task, who: str) -> None:
        """A task whose worker died goes first in the queue, or fails when its workers died too often."""
        task.losses += 1
        if task.losses >= self.losses_allowed:
            self.outcomes.append(Failed(task.index, f"its engine died {task.losses} times while making it "
                                                    f"(last: {who})", who, final=True))
        else:
            self.queue.appendleft(task)

    def receive(self, task: Task, worker: Worker, value: dict[str, Any]) -> None:
        if value.get("interrupted"):
            return  # left at a stop: the chunk stays pending in job.json
        if "error" in value:
            self.outcomes.append(Failed(task.index, value["error"], worker.label))
            return
        worker.made += 1
        self.outcomes.append(Done(task.index, value["wav"], value["words"], value["coverage"], value["loudness"],
                                  value["calls"], value["seconds"], worker.label, (worker.info or {})["path"]))

    @property
    def pending(self) -> int:
        """Chunks not yet given back: queued, in flight, or waiting in outcomes."""
        flying = sum(1 for _, kind, epoch in self.pool.owner.values() if kind == "make" and epoch == self.epoch)
        return len(self.queue) + flying + len(self.outcomes)

    def in_flight(self) -> list[tuple[int, int]]:
        """(chunk index, characters made so far) of each chunk being made."""
        made = []
        for worker in self.pool.workers:
            for task in worker.tasks.values():
                live = worker.live or {}
                made.append((task.index, live.get("chars", 0) if live.get("index") == task.index else 0))
        return made

    def next(self, timeout: float) -> Done | Failed | None:
        """Return the next outcome, waiting at most timeout seconds (None: none yet); raise Refused."""
        if not self.outcomes:
            self._step(timeout)
        return self.outcomes.popleft() if self.outcomes else None

    def _step(self, timeout: float) -> None:
        pool = self.pool
        pool.heal()
        self._check_paths()
        self._fill()
        pool.watch()
        refs = pool.awaited()
        if not refs:
            time.sleep(timeout)  # every engine gone: wait for a replacement
            return
        ready, _ = pool.ray.wait(refs, num_returns=1, timeout=timeout)
        if ready:  # take every answer that is in, not only the first
            ready, _ = pool.ray.wait(refs, num_returns=len(refs), timeout=0)
        for ref in ready:
            if ref in pool.owner:
                pool.settle(ref)
        self._fill()

    def _fits(self, worker: Worker) -> bool:
        """Whether worker may make this job's chunks: same precision and backend as the job, same whole path."""
        path = (worker.info or {}).get("path") or {}
        if any(path.get(key) != value for key, value in self.expect.items()) or (self.path and path != self.path):
            if worker.number not in self.refused:
                self.refused.add(worker.number)
                log.warning("%s does not make chunks of job %s: its numeric path %s is not the job's (%s, %s)",
                            worker.label, self.job_id, path, self.expect, self.path or "none yet")
            return False
        self.path = self.path or path
        return True

    def _check_paths(self) -> None:
        workers = self.pool.workers
        if self.queue and all(worker.state == "ready" for worker in workers) and not any(
                self._fits(worker) for worker in workers):
            raise Refused(f"no engine of the pool has job {self.job_id}'s numeric path (settings {self.expect}, "
                          f"engines {self.path or 'none yet'}; theirs: "
                          f"{[(worker.info or {}).get('path') for worker in workers]}); a job's chunks never mix "
                          f"two paths: make the engines alike, or set [engines] backend = \"local\"")

    def _fill(self) -> None:
        """Hand out queued tasks, one per fitting worker per round, up to IN_FLIGHT each."""
        pool = self.pool
        while self.queue and not self.closed:
            takers = [worker for worker in pool.workers
                      if worker.state == "ready" and len(worker.tasks) < IN_FLIGHT and self._fits(worker)]
            if not takers:
                return
            for worker in sorted(takers, key=lambda w: len(w.tasks)):
                if not self.queue:
                    return
                task = self.queue.popleft()
                ref = worker.handle.make.remote({
                    "job": self.job_id, "index": task.index, "epoch": self.epoch, "text": task.text,
                    "chars": task.chars, "args": task.args, "paragraph_pause": self.paragraph_pause})
                worker.tasks[ref] = task
                pool.owner[ref] = (worker, "make", self.epoch)

    def close(self) -> list[Done]:
        """Ask the workers to leave this job's chunks; wait at most CLOSE_SECONDS; return the chunks that
        were finished meanwhile (the runner keeps them). The queue is dropped."""
        if self.closed:
            return []
        self.closed = True
        self.queue.clear()
        pool = self.pool
        mine = [ref for ref, (_, kind, epoch) in pool.owner.items() if kind == "make" and epoch == self.epoch]
        for worker in {pool.owner[ref][0] for ref in mine}:
            try:
                self.pool._control(worker, "cancel", self.epoch)
            except Exception as exc:  # a dead worker leaves nothing to cancel
                log.debug("%s: cancel: %s", worker.label, exc)
        deadline = time.monotonic() + CLOSE_SECONDS
        while mine and time.monotonic() < deadline:
            ready, mine = pool.ray.wait(mine, num_returns=len(mine), timeout=max(0.0, deadline - time.monotonic()))
            for ref in ready:
                if ref in pool.owner:
                    pool.settle(ref)
            mine = [ref for ref in mine if ref in pool.owner]
        for ref in mine:  # still busy: its late answer is dropped; it takes new chunks once it is free
            worker, _, _ = pool.owner.pop(ref)
            worker.tasks.pop(ref, None)
            log.warning("%s did not leave its chunk within %.0f s", worker.label, CLOSE_SECONDS)
        done = [outcome for outcome in self.outcomes if isinstance(outcome, Done)]
        self.outcomes.clear()
        if pool.current is self:
            pool.current = None
        return done


def read_status(jobs: Path) -> dict[str, Any] | None:
    """Given the jobs folder, return the pool's status file (ENGINES_FILE) as the daemon last wrote it; None
    when there is none or it cannot be read."""
    try:
        data = json.loads((jobs / ENGINES_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("workers"), list) else None


def start_pool(config: Config, status_path: Path | None = None) -> EnginePool:
    """Given the config ([engines], [tts.kokoro]), connect to Ray and start the pool's actors (they load
    their models in the background: `Dispatch` waits for them); raise Unreachable (runtime.py).

    No GPUs asked for (gpus_per_worker = 0): one GPU per engine when the cluster has GPUs and
    tts.kokoro.device is not "cpu". No workers count: one per GPU, else one.
    """
    from .runtime import connect

    ray, owns_ray = connect(config)
    engines = config.engines
    cluster_gpus = float(ray.cluster_resources().get("GPU", 0))
    gpus = engines.gpus_per_worker or (1.0 if cluster_gpus and config.tts.kokoro.device != "cpu" else 0.0)
    count = engines.workers or (max(1, int(cluster_gpus // gpus)) if gpus else 1)
    log.info("engine pool: %d engine(s), %s GPU and %d thread(s) each", count, gpus, engines.threads_per_worker)
    return EnginePool(ray, config, count, gpus, owns_ray, status_path)


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0] if text else ''}"[:300]
