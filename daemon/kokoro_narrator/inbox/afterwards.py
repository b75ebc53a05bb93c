"""When a book's job ends: its inbox file moves out of the way, and the on_done command runs.

`book_ended(config, store, job)` is called once a job is `done` (published) or `failed`:
- `[inbox] after = "move"`: the inbox file (with its sidecars `<stem>.toml` and
  `<stem>.lexicon.toml`) moves to
  `inbox/done/` or `inbox/failed/`, keeping its voice folder (`inbox/done/bf_emma/`), under a
  free name (`book (2).txt`). A failed book gets `<name>.log` beside it: when, which job,
  and why. It moves only if the inbox still holds the very bytes the job was made from (a
  newer copy dropped meanwhile is a book of its own) and only after publishing, so no book
  is ever lost: the job folder keeps its own copy anyway. When it cannot move (a read-only
  inbox), it stays, and ingest.py does not take that same file again.
- `after = "keep"`: the file stays; the same file is not taken again either.
- `[hooks] on_done`: a published book runs the command, split like a shell would but without
  one, with the output paths appended (`<book>.wav`, `<book>.json`, and any other format
  made); `KOKORO_TTS_BOOK` and `KOKORO_TTS_JOB` name the book. It runs in a thread of its own
  for at most HOOK_TIMEOUT seconds; its failure is logged and never fails the book.

What was done is recorded in job.json as `source.inbox_after` ({"action": "moved", "to": ...},
{"action": "kept"} or {"action": "left", "reason": ...}). Nothing here raises: a book that
ended stays ended whatever happens to its inbox file.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import shlex
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from ..core import atomic_write, Config, NAME_MAX, numbered_names, shorten_to_bytes, shown
from ..jobs import Job, JobStore
from .sidecars import lexicon_sidecar, settings_sidecar
from .watcher import MAX_BOOK_BYTES, OUTCOME_FOLDERS, read_regular_file, RefusedFile

log = logging.getLogger(__name__)

HOOK_TIMEOUT = 600.0
SYSTEMD_ONLY = ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")
DONE, FAILED = OUTCOME_FOLDERS


def book_ended(config: Config, store: JobStore, job: Job, run_hook: bool = True) -> threading.Thread | None:
    """Given a job that has just ended, settle its inbox file and start on_done; return the hook's thread.

    Jobs that are not done or failed are left alone (None). run_hook=False only settles the
    inbox file (a book dropped again whose job had ended before). Never raises.
    """
    if job.status not in ("done", "failed"):
        return None
    try:
        job.source["inbox_after"] = settle_inbox_file(config, job)
        store.save(job)
    except Exception:  # the book has ended; nothing here may change that
        log.exception("could not tidy the inbox after %s", shown(job.name))
    if run_hook and job.status == "done" and config.hooks.on_done:
        return start_hook(config.hooks.on_done, job)
    return None


def settle_inbox_file(config: Config, job: Job) -> dict[str, str]:
    """Given an ended job, move (or keep) its inbox file as `inbox.after` says; return what was done."""
    path = Path(job.source.get("inbox_path") or "")
    inbox = config.paths.inbox
    if path.parent != inbox and path.parent.parent != inbox:
        return {"action": "none", "reason": "the book did not come from the inbox"}
    if not _same_book(path, job.source["sha256"]):
        return {"action": "none", "reason": "the inbox no longer holds this book"}
    if config.inbox.after == "keep":
        return {"action": "kept"}
    relative = path.relative_to(inbox)
    target_dir = inbox / (DONE if job.status == "done" else FAILED) / relative.parent
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
        target = _free_name(target_dir, path.name)
        os.rename(path, target)  # same file system: atomic, and the name is never half-there
    except OSError as exc:
        reason = exc.strerror or str(exc)
        log.warning("could not move %s out of the inbox (%s); it stays there and is not taken again",
                    shown(path.name), reason)
        return {"action": "left", "reason": reason}
    _move_sidecars(path, target)
    if job.status == "failed":
        _write_log(target, job)
    log.info("moved %s to %s", shown(path.name), shown(str(target.relative_to(inbox))))
    return {"action": "moved", "to": str(target)}


def _same_book(path: Path, sha256: str) -> bool:
    """Whether path is a regular file holding exactly the bytes the job was made from."""
    try:
        data, _ = read_regular_file(path, MAX_BOOK_BYTES)
    except (RefusedFile, OSError):
        return False
    return hashlib.sha256(data).hexdigest() == sha256


def _free_name(folder: Path, name: str) -> Path:
    """`name` in folder, or `stem (2).suffix` ... when that is taken."""
    stem, suffix = Path(name).stem, Path(name).suffix
    stem = shorten_to_bytes(stem, NAME_MAX - len(" (9999)") - len(suffix.encode("utf-8", "surrogateescape")) - len(".log"))
    for candidate in numbered_names(folder, stem, suffix):
        if not os.path.lexists(candidate) and not os.path.lexists(f"{candidate}.log"):
            return candidate
    raise OSError(errno.EEXIST, f"no free name for {name} in {folder}")


def _move_sidecars(book: Path, target: Path) -> None:
    """Move the book's settings (`<stem>.toml`) and lexicon (`<stem>.lexicon.toml`) beside it."""
    for sidecar_of in (settings_sidecar, lexicon_sidecar):
        sidecar = sidecar_of(book)
        if not os.path.lexists(sidecar):
            continue
        try:
            os.rename(sidecar, sidecar_of(target))
        except OSError as exc:
            log.warning("could not move %s beside its book (%s); it stays in the inbox", shown(sidecar.name), exc.strerror)


def _write_log(target: Path, job: Job) -> None:
    """Write `<target>.log`: why the book failed and where its job is."""
    when = time.strftime("%Y-%m-%d %H:%M:%S %z", time.localtime(job.finished_at or time.time()))
    lines = [f"{job.name}: failed at {when}", f"job: {job.id}", f"why: {job.error}"]
    lines += [f"chunk {chunk.index}: {chunk.error}" for chunk in job.chunks if chunk.status == "failed" and chunk.error]
    lines += [f"warning: {warning}" for warning in job.source.get("warnings", [])]
    lines.append("To try again, fix the cause and move the book back into the inbox.")
    try:
        atomic_write(Path(f"{target}.log"), ("\n".join(lines) + "\n").encode("utf-8", "backslashreplace"))
    except OSError as exc:
        log.warning("could not write %s.log: %s", shown(target.name), exc.strerror)


def output_paths(job: Job) -> list[str]:
    """Given a published job, return its output files: the WAV, its JSON, then any other format."""
    output = job.output or {}
    paths = [output[key] for key in ("wav", "json") if output.get(key)]
    for extra in (output.get("files") or {}).values():  # {"wav": path, "m4b": path, ...}
        if extra not in paths:
            paths.append(extra)
    return paths


def start_hook(command: str, job: Job) -> threading.Thread:
    """Given the on_done command line and a published job, run it in a thread; return the thread."""
    argv = shlex.split(command) + output_paths(job)
    argv[0] = os.path.expanduser(argv[0])
    thread = threading.Thread(target=run_hook, args=(argv, job.name, job.id), name="kokoro-hook", daemon=True)
    thread.start()
    return thread


def run_hook(argv: list[str], name: str, job_id: str, timeout: float = HOOK_TIMEOUT) -> int | None:
    """Run one hook command (no shell); log how it went; return its exit code (None: it did not run).

    Its output goes to a file, not a pipe, so a child it leaves in the background (`rsync &`,
    left alone) cannot keep us reading for ever; it runs in a session of its own, so at the
    timeout its whole process group is killed. systemd's notify and watchdog variables are
    not passed on: they are this daemon's.
    """
    env = {key: value for key, value in os.environ.items() if key not in SYSTEMD_ONLY}
    env.update(KOKORO_TTS_BOOK=name, KOKORO_TTS_JOB=job_id)
    with tempfile.TemporaryFile() as errors:
        try:
            process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errors,
                                       env=env, start_new_session=True)
        except (OSError, ValueError) as exc:
            log.warning("on_done hook for %s could not start: %s: %s", shown(name), shown(argv[0]), exc)
            return None
        try:
            code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            log.warning("on_done hook for %s was stopped after %.0f s", shown(name), timeout)
            return None
        errors.seek(max(0, errors.seek(0, os.SEEK_END) - 4096))
        last = errors.read().decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
    if code:
        log.warning("on_done hook for %s failed with exit code %d: %s", shown(name), code, shown(last[0]))
    else:
        log.info("on_done hook for %s done", shown(name))
    return code


def _kill_group(process: subprocess.Popen) -> None:
    """Kill the timed-out hook's process group (its session's), then reap the hook itself."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # the group is empty
    process.wait()
