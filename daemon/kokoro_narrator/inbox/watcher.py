"""Watching the inbox: which files are books, and when a book is complete.

A watchdog observer (inotify) only records paths that were created, written, closed or
moved in. A checker thread reports a path to `on_ready` once its size and mtime, and those
of its sidecars `<stem>.toml` and `<stem>.lexicon.toml` if it has them, have not changed for
`settle_seconds`, so a slow copy is never read half-way and a sidecar copied just after its
book is taken in with it. A full rescan at start (files already there make no events) and every `rescan_seconds`
(inotify can overflow, and watchdog drops that silently) catches anything missed.

Books are looked for in the inbox and one level below it (`inbox/bf_emma/book.txt`: a
folder named after a voice, see settings.py), never in `inbox/done/`, `inbox/failed/`
(where books go once their jobs end) or hidden folders. Only regular files with a book
suffix are reported. Hidden files, editors' and browsers' temp files, symlinks, FIFOs and
directories are ignored or refused, with a logged reason. Names are logged through
`core.logs.shown()`, which escapes what would break a log line (a newline in a file name).
"""

from __future__ import annotations

import errno
import logging
import os
import stat
import threading
import time
from pathlib import Path
from typing import Callable

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from ..books import BOOK_SUFFIXES
from ..core import shown
from .sidecars import books_of_sidecar, sidecars_of

log = logging.getLogger(__name__)

MAX_BOOK_BYTES = 256 * 1024 * 1024
"""A larger file is refused before it is read (ingest) and never hashed or moved (afterwards)."""
OUTCOME_FOLDERS = ("done", "failed")
"""Subfolders of the inbox that hold finished books; never watched."""


class RefusedFile(Exception):
    """A path that will not be read, and why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def is_candidate_name(name: str) -> bool:
    """Whether a file name looks like a finished book: one of books.BOOK_SUFFIXES (.txt, .md, .epub...), any case.

    Hidden files (editor locks such as `.#x.txt` and `.~lock.x.txt#`, our own temp files),
    backups (`x.txt~`) and office owner files (`~$x.txt`) are not. Download and editor temp
    files (`.part`, `.crdownload`, `.swp`, `#x.txt#`, ...) fail the suffix test.
    """
    if name.startswith((".", "~$")) or name.endswith("~"):
        return False
    return name.lower().endswith(BOOK_SUFFIXES)


def describe_kind(mode: int) -> str:
    """Name what a non-regular file is, for the log: `a directory`, `a symbolic link`, ..."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISLNK(mode):
        return "a symbolic link; copy the book itself into the inbox"
    return "not a regular file (a FIFO, socket or device)"


def read_regular_file(path: Path, max_bytes: int) -> tuple[bytes, os.stat_result]:
    """Read a regular file without following symlinks or blocking on FIFOs; raise RefusedFile."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise RefusedFile(f"it is {describe_kind(stat.S_IFLNK)}") from None
        if exc.errno in (errno.EACCES, errno.EPERM):
            raise RefusedFile("permission denied: the daemon cannot read it") from None
        if exc.errno == errno.ENOENT:
            raise
        raise RefusedFile(f"cannot open it: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise RefusedFile(f"it is {describe_kind(info.st_mode)}")
        if info.st_size > max_bytes:
            raise RefusedFile(f"it is {info.st_size} bytes, over the {max_bytes}-byte limit for one book")
        chunks: list[bytes] = []
        total = 0
        while block := os.read(fd, 1 << 20):
            total += len(block)
            if total > max_bytes:  # it grew after fstat
                raise RefusedFile(f"it grew past the {max_bytes}-byte limit for one book while being read")
            chunks.append(block)
        return b"".join(chunks), info
    finally:
        os.close(fd)


def _sidecar_signature(book: str) -> tuple[int, ...]:
    """Given a book's path, return its sidecars' (size, mtime) pairs, flat; () when it has none."""
    signature: tuple[int, ...] = ()
    for number, sidecar in enumerate(sidecars_of(Path(book))):
        try:
            info = os.lstat(sidecar)
        except OSError:
            continue
        signature += (number, info.st_size, info.st_mtime_ns)
    return signature


class _Recorder(FileSystemEventHandler):
    """Records paths worth a look; does no I/O (watchdog's dispatcher thread runs it)."""

    def __init__(self, note: Callable[[str], None]):
        self.note = note

    def on_any_event(self, event: FileSystemEvent) -> None:
        # Directories are noted too, so that a directory named like a book is refused aloud.
        if event.event_type in ("created", "modified", "closed"):
            self.note(os.fsdecode(event.src_path))
        elif event.event_type == "moved":
            self.note(os.fsdecode(event.dest_path))


class InboxWatcher:
    """Reports each complete book in the inbox to on_ready (once per size and mtime)."""

    def __init__(self, inbox: Path, on_ready: Callable[[Path], None], settle_seconds: float = 3.0,
                 rescan_seconds: float = 60.0, poll_seconds: float = 0.5):
        self.inbox = inbox
        self.on_ready = on_ready
        self.settle_seconds = settle_seconds
        self.rescan_seconds = rescan_seconds
        self.poll_seconds = poll_seconds
        self.lock = threading.Lock()
        self.pending: dict[str, tuple[tuple[int, ...], float] | None] = {}
        self.reported: dict[str, tuple[int, ...]] = {}
        self.refused: dict[str, tuple[int, ...]] = {}
        self.stopping = threading.Event()
        self.observer: Observer | None = None
        self.checker: threading.Thread | None = None

    def start(self) -> None:
        """Watch the inbox, then scan it (events start first, so nothing slips between)."""
        observer = Observer()
        observer.schedule(_Recorder(self._note), str(self.inbox), recursive=True)
        try:
            observer.start()
        except BaseException:  # e.g. the inbox is missing: release watchdog's inotify thread
            observer.stop()
            raise
        self.observer = observer
        self.rescan()
        self.checker = threading.Thread(target=self._check_loop, name="kokoro-inbox", daemon=True)
        self.checker.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the observer's and the checker's threads; wait at most `timeout` seconds for each.

        Both are daemon threads: one stuck in a scan of a dead network inbox is left behind.
        """
        self.stopping.set()
        if self.observer is not None:
            self.observer.stop()
            self.observer.join(timeout)
        if self.checker is not None:
            self.checker.join(timeout)

    def rescan(self) -> None:
        """Note every candidate in the inbox and its voice folders (events can be lost when inotify overflows)."""
        folders = [self.inbox]
        while folders:
            folder = folders.pop()
            try:
                with os.scandir(folder) as entries:
                    for entry in entries:
                        if folder == self.inbox and self._is_book_folder(entry):
                            folders.append(Path(entry.path))
                        self._note(entry.path)
            except OSError as exc:
                log.warning("cannot scan %s: %s", shown(str(folder)), exc)

    def _is_book_folder(self, entry: os.DirEntry) -> bool:
        return entry.is_dir(follow_symlinks=False) and not entry.name.startswith(".") \
            and entry.name not in OUTCOME_FOLDERS

    def forget(self, path: Path) -> None:
        """Report path again at the next rescan, even unchanged (its last handling failed)."""
        with self.lock:
            self.reported.pop(str(path), None)

    def _note(self, path: str) -> None:
        folder = Path(path).parent
        if folder != self.inbox and (folder.parent != self.inbox or folder.name.startswith(".")
                                     or folder.name in OUTCOME_FOLDERS):
            return
        name = Path(path).name
        sidecar_of = books_of_sidecar(Path(path))
        if sidecar_of is not None:  # a changed sidecar: its book settles again
            books = [str(book) for book in sidecar_of if os.path.lexists(book)]
        elif is_candidate_name(name):
            books = [path]
        else:
            log.debug("ignoring %s", shown(name))
            return
        with self.lock:
            for book in books:  # a changed sidecar changes its book's signature: it is reported again
                self.pending.setdefault(book, None)

    def _check_loop(self) -> None:
        next_rescan = time.monotonic() + self.rescan_seconds
        while not self.stopping.wait(self.poll_seconds):
            if time.monotonic() >= next_rescan:
                self.rescan()
                next_rescan = time.monotonic() + self.rescan_seconds
            with self.lock:
                paths = list(self.pending)
            for path in paths:
                try:
                    self._check(path)
                except Exception:  # a failing consumer must not stop the watching
                    log.exception("could not hand over %s; it is tried again at the next rescan", path)
                    self.forget(Path(path))

    def _check(self, path: str) -> None:
        """Report path if it has been stable long enough; forget it if it is gone or refused."""
        try:
            info = os.lstat(path)
        except OSError as exc:
            with self.lock:
                self.pending.pop(path, None)
                self.reported.pop(path, None)
            self.refused.pop(path, None)
            if exc.errno != errno.ENOENT:
                log.warning("refused %s: %s", shown(Path(path).name), exc.strerror)
            return
        signature = (info.st_size, info.st_mtime_ns, *_sidecar_signature(path))
        if not stat.S_ISREG(info.st_mode):
            with self.lock:
                self.pending.pop(path, None)
            if self.refused.get(path) != signature:
                self.refused[path] = signature
                log.warning("refused %s: it is %s", shown(Path(path).name), describe_kind(info.st_mode))
            return
        with self.lock:
            if self.reported.get(path) == signature:
                self.pending.pop(path, None)
                return
            seen = self.pending.get(path)
            if seen is None or seen[0] != signature:
                self.pending[path] = (signature, time.monotonic())
                return
            if time.monotonic() - seen[1] < self.settle_seconds:
                return
            self.pending.pop(path, None)
            self.reported[path] = signature
        self.on_ready(Path(path))
