"""glibc malloc settings that make torch on the CPU about 1.5x faster, and a way to give memory back.

Kokoro's decoder allocates tensors of tens of MB per call. glibc serves each one with a fresh
mmap and unmaps it when freed, so every call faults in its memory again page by page: on a
10 s utterance a third of the CPU time went to the kernel's page faults (bench/bench_speed.py,
README "Performance"). Telling malloc to keep freed memory in its heap removes that cost and
leaves the samples bit-identical. The daemon hands the memory back with malloc_trim when it
goes idle, so a daemon that waits for books does not sit on its peak.

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
