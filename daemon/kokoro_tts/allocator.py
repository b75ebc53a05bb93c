"""glibc malloc settings that make torch on the CPU about 1.5x faster, and a way to give memory back.

Kokoro's decoder allocates tensors of tens of MB per call. glibc serves each one with a fresh
mmap and unmaps it when freed, so every call faults in its memory again page by page: on a
10 s utterance a third of the CPU time went to the kernel's page faults (bench/bench_speed.py,
README "Performance"). Telling malloc to keep freed memory in its heap removes that cost and
leaves the samples bit-identical. The daemon hands the memory back with malloc_trim when it
goes idle, so a daemon that waits for books does not sit on its peak.

Kept memory fragments: utterances of varying length leave holes that a longer one cannot
use, and the heap creeps (measured: 1.2 GB to 3 GB over 60 calls of the tiny model, the same
with glibc's defaults). `HeapCeiling` gives freed memory back whenever the heap, after a
model call, holds more than a call needs, so peak memory stays set by the longest utterance,
whatever the book's length.

Other C libraries (musl) have no mallopt: then nothing changes. KOKORO_TTS_KEEP_FREED_MEMORY=0
in the environment turns it off.
"""

from __future__ import annotations

import ctypes
import logging
import os

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
    if libc is None or os.environ.get("KOKORO_TTS_KEEP_FREED_MEMORY") == "0":
        return False
    if not _applied:
        _applied = all(libc.mallopt(option, value) == 1 for option, value in _settings)
        log.debug("malloc keeps freed memory: %s", _applied)
    return _applied


def release_freed_memory() -> None:
    """Return the heap's free memory to the system (when idle)."""
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
