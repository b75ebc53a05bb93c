"""atomic_write and its helpers: whole files or none, no temp left behind, a fault seam."""

import errno
import json
import os

import pytest

from kokoro_narrator.core import atomic
from kokoro_narrator.core.atomic import (NAME_MAX, TEMP_MARKER, atomic_write, atomic_write_json, disk_free_bytes,
                                         remove_stale_temps, wait_for_space)


def test_a_write_replaces_the_file_whole(tmp_path):
    path = tmp_path / "job.json"
    atomic_write(path, b"old")
    atomic_write(path, lambda f: f.write(b"new"))
    assert path.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["job.json"]


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path):
    path = tmp_path / "job.json"
    atomic_write(path, b"old")
    seen = []

    def broken(f):
        seen.append(os.path.basename(f.name))
        f.write(b"half")
        raise OSError(errno.EIO, "I/O error")

    with pytest.raises(OSError):
        atomic_write(path, broken)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["job.json"]
    assert seen[0].startswith(".job.json" + TEMP_MARKER)  # it was written beside the target, hidden


def test_an_interrupt_during_the_write_leaves_no_temp(tmp_path):
    def interrupted(f):
        f.write(b"half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(tmp_path / "book.wav", interrupted)
    assert list(tmp_path.iterdir()) == []


def test_a_target_with_a_long_name_gets_a_short_enough_temp(tmp_path):
    name = "é" * ((NAME_MAX - 4) // 2) + ".wav"  # 253 bytes: legal, but not with a temp suffix added
    atomic_write(tmp_path / name, b"data")
    assert (tmp_path / name).read_bytes() == b"data"
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_leftover_temps_are_recognised_and_removed(tmp_path):
    (tmp_path / ".chunk_0001.wav.tmp-1234abcd").write_bytes(b"x")
    (tmp_path / ".job.json.tmp-00ff").write_bytes(b"x")
    (tmp_path / "chunk_0002.wav").write_bytes(b"y")
    (tmp_path / ".hidden").write_bytes(b"z")
    removed = remove_stale_temps(tmp_path)
    assert [p.name for p in removed] == [".chunk_0001.wav.tmp-1234abcd", ".job.json.tmp-00ff"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".hidden", "chunk_0002.wav"]
    assert remove_stale_temps(tmp_path / "missing") == []


def test_the_fault_hook_can_fail_the_nth_write_with_enospc_then_eio(tmp_path, monkeypatch):
    calls = []

    def fail_second_and_third(path):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        if len(calls) == 3:
            raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(atomic, "fault_hook", fail_second_and_third)
    atomic_write(tmp_path / "a", b"1")
    with pytest.raises(OSError) as full:
        atomic_write(tmp_path / "b", b"2")
    with pytest.raises(OSError) as broken:
        atomic_write_json(tmp_path / "b", {"n": 2})
    assert (full.value.errno, broken.value.errno) == (errno.ENOSPC, errno.EIO)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"]
    atomic_write(tmp_path / "b", b"3")
    assert (tmp_path / "b").read_bytes() == b"3"
    assert calls == [tmp_path / "a", tmp_path / "b", tmp_path / "b", tmp_path / "b"]


def test_json_with_undecodable_file_name_bytes_serialises(tmp_path):
    name = b"caf\xe9 book.txt".decode("utf-8", "surrogateescape")
    atomic_write_json(tmp_path / "job.json", {"name": name, "title": "Ça ira"})
    text = (tmp_path / "job.json").read_text(encoding="ascii")
    assert text.endswith("}\n")
    assert json.loads(text) == {"name": name, "title": "Ça ira"}


def test_free_space_is_measured_on_the_nearest_existing_parent(tmp_path):
    assert disk_free_bytes(tmp_path / "not" / "yet" / "made") == disk_free_bytes(tmp_path) > 0


def test_wait_for_space_tells_why_it_waits(tmp_path):
    reasons = []
    assert wait_for_space(tmp_path, 10**18, 0, lambda reason: reasons.append(reason) or True) is False
    assert reasons and "not enough free space" in reasons[0] and str(tmp_path) in reasons[0]
