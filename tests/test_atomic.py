import errno

import pytest

from kokoro_tts import atomic
from kokoro_tts.atomic import atomic_write, atomic_write_json, remove_stale_temps


def test_a_write_replaces_the_file_whole(tmp_path):
    path = tmp_path / "job.json"
    atomic_write(path, b"old")
    atomic_write(path, lambda f: f.write(b"new"))
    assert path.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["job.json"]


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path):
    path = tmp_path / "job.json"
    atomic_write(path, b"old")

    def broken(f):
        f.write(b"half")
        raise OSError(errno.EIO, "I/O error")

    with pytest.raises(OSError):
        atomic_write(path, broken)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["job.json"]


def test_leftover_temps_are_recognised_and_removed(tmp_path):
    (tmp_path / ".chunk_0001.wav.tmp-1234abcd").write_bytes(b"x")
    (tmp_path / "chunk_0002.wav").write_bytes(b"y")
    removed = remove_stale_temps(tmp_path)
    assert [p.name for p in removed] == [".chunk_0001.wav.tmp-1234abcd"]
    assert [p.name for p in tmp_path.iterdir()] == ["chunk_0002.wav"]


def test_the_fault_hook_can_fail_the_nth_write(tmp_path, monkeypatch):
    calls = []

    def fail_second(path):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic, "fault_hook", fail_second)
    atomic_write(tmp_path / "a", b"1")
    with pytest.raises(OSError) as caught:
        atomic_write(tmp_path / "b", b"2")
    assert caught.value.errno == errno.ENOSPC and not (tmp_path / "b").exists()
    atomic_write(tmp_path / "b", b"3")
    assert (tmp_path / "b").read_bytes() == b"3"


def test_json_with_undecodable_file_name_bytes_serialises(tmp_path):
    name = b"caf\xe9 book.txt".decode("utf-8", "surrogateescape")
    atomic_write_json(tmp_path / "job.json", {"name": name})
    import json

    assert json.loads((tmp_path / "job.json").read_text())["name"] == name
