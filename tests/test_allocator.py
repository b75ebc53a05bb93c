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
