"""The malloc settings that keep torch's large blocks for reuse (see allocator.py)."""

import os
import resource

import pytest
import torch

from kokoro_tts.allocator import keep_freed_memory, release_freed_memory

BLOCK = 96 << 20  # bytes: above glibc's largest mmap threshold (32 MB)


def resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_a_freed_large_block_is_reused_without_page_faults_then_given_back():
    if not keep_freed_memory():
        pytest.skip("this C library has no mallopt")
    block = torch.ones(BLOCK // 4)  # torch, like the decoder (numpy asks for huge pages)
    del block
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    block = torch.ones(BLOCK // 8)  # half the size: served from the kept pages
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
    assert faults < BLOCK // 2 // os.sysconf("SC_PAGE_SIZE") // 10  # a fresh mmap faults every page
    del block
    held = resident_bytes()
    release_freed_memory()
    assert held - resident_bytes() > BLOCK // 2


def test_the_heap_ceiling_learns_from_the_call_after_a_trim_and_trims_past_it(monkeypatch):
    from kokoro_tts import allocator

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
