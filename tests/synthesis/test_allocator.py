"""The malloc settings that keep torch's large blocks for reuse (see allocator.py)."""

import os
import subprocess
import sys

import pytest

from kokoro_narrator.synthesis import allocator
from kokoro_narrator.synthesis.allocator import jemalloc_environment

BLOCK = 96 << 20  # bytes: above glibc's largest mmap threshold (32 MB)


CHILD = """
import os, resource, sys, torch
from kokoro_narrator.synthesis.allocator import keep_freed_memory, release_freed_memory
BLOCK = %d
def resident():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
if not keep_freed_memory():
    print("no-mallopt"); sys.exit(0)
block = torch.ones(BLOCK // 4)  # torch, like the decoder (numpy asks for huge pages)
del block
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
block = torch.ones(BLOCK // 8)  # half the size: served from the kept pages
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
del block
held = resident()
release_freed_memory()
print(faults, held - resident())
"""


def test_a_freed_large_block_is_reused_without_page_faults_then_given_back():
    """In a child process: no test may change this process's malloc settings for the others."""
    env = dict(os.environ, KOKORO_TTS_ALLOCATOR="glibc")
    result = subprocess.run([sys.executable, "-c", CHILD % BLOCK], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    if result.stdout.strip() == "no-mallopt":
        pytest.skip("this C library has no mallopt")
    faults, given_back = map(int, result.stdout.split())
    assert faults < BLOCK // 2 // os.sysconf("SC_PAGE_SIZE") // 10  # a fresh mmap faults every page
    assert given_back > BLOCK // 2


def test_the_heap_ceiling_learns_from_the_call_after_a_trim_and_trims_past_it(monkeypatch):
    from kokoro_narrator.synthesis import allocator

    resident = iter([1000, 1050, 1100, 1200, 900, 1500, 1600, 1700])
    trims = []
    monkeypatch.setattr(allocator, "_applied", True)
    monkeypatch.setattr(allocator, "resident_bytes", lambda: next(resident))
    monkeypatch.setattr(allocator, "release_freed_memory", lambda: trims.append(True))
    heap = allocator.HeapCeiling(slack=1.1)
    heap.after_call()  # 1000: the first call sets the ceiling to 1100
    assert heap.ceiling == 1100 and not trims
    heap.after_call()  # 1050
    heap.after_call()  # 1100: at the ceiling, not past it
    assert not trims
    heap.after_call()  # 1200: crept past it
    assert len(trims) == 1
    heap.after_call()  # 900: the call after a trim; the ceiling never goes down
    assert heap.ceiling == 1100
    heap.after_call()  # 1500: past it again
    heap.after_call()  # 1600: a longer call right after the trim raises the ceiling to 1760
    assert heap.ceiling == 1760 and len(trims) == 2
    heap.after_call()  # 1700
    assert len(trims) == 2 and heap.trims == 2


def test_jemalloc_is_preloaded_once_with_settings_a_user_can_override(monkeypatch):
    monkeypatch.setattr(allocator.ctypes.util, "find_library", lambda name: "libjemalloc.so.2")
    env = jemalloc_environment({"PATH": "/bin", "LD_PRELOAD": "libother.so"})
    assert env["LD_PRELOAD"] == "libjemalloc.so.2 libother.so" and env["PATH"] == "/bin"
    assert env["MALLOC_CONF"] == allocator.JEMALLOC_CONF
    assert jemalloc_environment({"MALLOC_CONF": "narenas:2"})["MALLOC_CONF"] == "narenas:2"
    assert jemalloc_environment(env) is None  # already preloaded (or tried): never again
    assert jemalloc_environment({"KOKORO_TTS_ALLOCATOR": "glibc"}) is None
    monkeypatch.setattr(allocator.ctypes.util, "find_library", lambda name: None)
    assert jemalloc_environment({}) is None  # not installed
    assert jemalloc_environment({"KOKORO_TTS_JEMALLOC": "/opt/lib/libjemalloc.so.2"})["LD_PRELOAD"] == \
        "/opt/lib/libjemalloc.so.2"
    renamed = jemalloc_environment({"KOKORO_TTS_JEMALLOC": "/opt/lib/libje.so"})
    assert renamed["LD_PRELOAD"] == "/opt/lib/libje.so" and jemalloc_environment(renamed) is None


def test_under_jemalloc_the_glibc_settings_stand_aside_and_idle_purge_works():
    env = jemalloc_environment(dict(os.environ, KOKORO_TTS_ALLOCATOR="auto"))
    if env is None:
        pytest.skip("jemalloc is not installed (Debian: libjemalloc2)")
    child = ("from kokoro_narrator import allocator as a; import torch; t = torch.ones(1 << 24); del t; "
             "a.release_freed_memory(); print(a.jemalloc_active(), a.keep_freed_memory(), a.allocator_name())")
    result = subprocess.run([sys.executable, "-c", child], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "False", "jemalloc"]
