"""glibc malloc settings that make torch on the CPU about 1.5x faster, and a way to give memory back.

Kokoro's decoder allocates tensors of tens of MB per call. glibc serves each one with a fresh
mmap and unmaps it when freed, so every call faults in its memory again page by page: on a
10 s utterance a third of the CPU time went to the kernel's page faults (bench/bench_speed.py,
bench/README.md, "Speed"). Telling malloc to keep freed memory in its heap removes that cost and
leaves the samples bit-identical. The daemon hands the memory back with malloc_trim when it
goes idle, so a daemon that waits for books does not sit on its peak.

Kept memory fragments: utterances of varying length leave holes that a longer one cannot
use, and the heap creeps (measured: 1.2 GB to 3 GB over 60 calls of the tiny model, the same
with glibc's defaults). `HeapCeiling` gives freed memory back whenever the heap, after a
model call, holds more than a call needs, so peak memory stays set by the longest utterance,
whatever the book's length.

Other C libraries (musl) have no mallopt: then nothing changes. KOKORO_TTS_KEEP_FREED_MEMORY=0
in the environment turns it off.

jemalloc, where it is installed (Debian/Ubuntu: libjemalloc2), fragments far less under torch's
blocks of many sizes, and keeps its freed pages just as cheaply: with the real weights, the
same 3,000 characters three times over peaked at 1.8 GB instead of 3.3 GB, and ran no slower
(bench/README.md, "Memory"). It must be loaded before the process starts, so `kokoro-narrator run` and `synth`
start themselves again with it preloaded (`run_under_jemalloc`); KOKORO_TTS_ALLOCATOR=glibc
turns that off.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import sys
from collections.abc import Mapping

log = logging.getLogger(__name__)

# mallopt parameters, from glibc's <malloc.h>
M_TRIM_THRESHOLD = -1
M_TOP_PAD = -2
M_MMAP_MAX = -4
M_ARENA_MAX = -8

_settings = (
    (M_ARENA_MAX, 1),  # every thread uses the main heap, which has no 64 MB limit per heap
    (M_MMAP_MAX, 0),  # large blocks come from the heap, not from a new mmap each time
    (M_TRIM_THRESHOLD, 2**31 - 1),  # keep freed memory until release_freed_memory()
    (M_TOP_PAD, 64 << 20),  # grow the heap in 64 MB steps
)
_applied = False


# Keep freed pages for reuse, as the glibc settings do (the daemon purges them when idle), and
# no separate arena for blocks over 8 MB, which would give those back at once (as slow as mmap).
JEMALLOC_CONF = "oversize_threshold:0,dirty_decay_ms:-1,muzzy_decay_ms:-1"
MALLCTL_ARENAS_ALL = 4096  # jemalloc's "every arena" index in "arena.<i>.purge"


def jemalloc_environment(environ: Mapping[str, str]) -> dict[str, str] | None:
    """The environment to run this program again in, with jemalloc preloaded; None to go on as is.

    None when jemalloc is already preloaded (or was tried), is turned off with
    KOKORO_TTS_ALLOCATOR=glibc, or is not installed. KOKORO_TTS_JEMALLOC names the library
    where the linker's cache does not know it.
    """
    preload = environ.get("LD_PRELOAD", "")
    if environ.get("KOKORO_TTS_ALLOCATOR", "auto") == "glibc" or "jemalloc" in preload:
        return None
    library = environ.get("KOKORO_TTS_JEMALLOC") or ctypes.util.find_library("jemalloc")
    if not library or library in preload.split():
        return None
    env = dict(environ)
    env["LD_PRELOAD"] = f"{library} {preload}".strip()
    env.setdefault("MALLOC_CONF", JEMALLOC_CONF)
    return env


def run_under_jemalloc() -> None:
    """Replace this process by the same command with jemalloc preloaded, where it is installed.

    The process keeps its PID (systemd's notify protocol is unaffected). If the library cannot
    be preloaded after all, the linker says so on stderr and the program runs on glibc.
    """
    env = jemalloc_environment(os.environ)
    if env is not None:
        os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], env)


def prepare_process() -> None:
    """The memory policy of a process that synthesizes (`run`, `synth`, each benchmark way).

    jemalloc where installed (the process starts again with it preloaded), else glibc told to
    keep freed blocks. Only such a process calls this: a library user's or a test's process
    keeps its own malloc settings. HeapCeiling (per model call) and release_freed_memory (when
    idle) then work with whichever is active.

    Environment: KOKORO_TTS_ALLOCATOR=glibc (no jemalloc), KOKORO_TTS_JEMALLOC=/path/to/lib
    (a jemalloc outside the linker's search path), KOKORO_TTS_KEEP_FREED_MEMORY=0 (glibc's defaults).
    """
    run_under_jemalloc()
    keep_freed_memory()


def jemalloc_active() -> bool:
    """True when this process's malloc is jemalloc."""
    try:
        return hasattr(ctypes.CDLL(None), "mallctl")
    except OSError:
        return False


def allocator_name() -> str:
    """For the log: which malloc serves the model, and how."""
    if jemalloc_active():
        return "jemalloc"
    return "glibc, freed memory kept" if _applied else "glibc"


def _libc():
    try:
        libc = ctypes.CDLL(None)
        return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def keep_freed_memory() -> bool:
    """Make malloc keep freed blocks for reuse; return False where the C library cannot."""
    global _applied
    libc = _libc()
    if libc is None or os.environ.get("KOKORO_TTS_KEEP_FREED_MEMORY") == "0" or jemalloc_active():
        return False
    if not _applied:
        _applied = all(libc.mallopt(option, value) == 1 for option, value in _settings)
        log.debug("malloc keeps freed memory: %s", _applied)
    return _applied


def release_freed_memory() -> None:
    """Return the heap's free memory to the system (when idle)."""
    if jemalloc_active():
        command = f"arena.{MALLCTL_ARENAS_ALL}.purge".encode()
        ctypes.CDLL(None).mallctl(command, None, None, None, ctypes.c_size_t(0))
        return
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


def resident_bytes() -> int | None:
    """This process's resident memory now, or None where /proc cannot tell."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


class HeapCeiling:
    """Trims the heap after a model call when it has crept past what calls need.

    The ceiling is learnt: the memory resident after the first call that follows a trim is
    what the live data plus one call's working memory take; `slack` above the largest such
    figure is allowed before the next trim. A trim costs the next call its page faults, so
    it should be rare: with slack 1.1 it was one call in six, at no measurable cost in speed
    (tiny model, 124 calls: peak 1.9 GB instead of 3.0 GB).
    """

    def __init__(self, slack: float = 1.1) -> None:
        self.slack = slack
        self.ceiling = 0
        self.trims = 0
        self._learning = True  # the next call shows what a call needs

    def after_call(self) -> None:
        if not _applied:
            return  # glibc's defaults already give large blocks back
        resident = resident_bytes()
        if resident is None:
            return
        if self._learning:
            self.ceiling = max(self.ceiling, int(resident * self.slack))
            self._learning = False
        elif resident > self.ceiling:
            release_freed_memory()
            self.trims += 1
            self._learning = True
