"""checkpoint.py: the .partial file of a chunk (append, commit, replay, resume, damage) and whole-WAV checks."""

from __future__ import annotations

import numpy as np
import soundfile as sf

from kokoro_narrator.jobs.checkpoint import (Checkpoint, PartialAudio, chunk_problem, discard, partial_path,
                                             reset_damaged_chunks)
from kokoro_narrator.jobs.store import ChunkState, Job

RATE = 24000


def chunk(**fields) -> ChunkState:
    return ChunkState(index=3, chapter=0, title="One", chars=100, sha256="x", **fields)


def test_a_checkpoint_round_trips_through_json_and_ignores_unknown_fields():
    point = Checkpoint(calls=4, bytes=80, chars=40, seconds=1.23456, pending_pause=True)
    assert Checkpoint.from_json(point.to_json()) == Checkpoint(4, 80, 40, 1.235, True)
    assert Checkpoint.from_json({"calls": 2, "words_bytes": 0, "later": "field"}) == Checkpoint(calls=2)
    assert Checkpoint.from_json({"calls": 2}).words_bytes is None  # made before words were kept
    assert Checkpoint.from_json(None) == Checkpoint()


def test_committed_pieces_are_replayed_as_appended_and_what_came_after_is_cut(tmp_path):
    state = chunk()
    partial = PartialAudio.open(tmp_path, state)
    pieces = [np.linspace(-1, 1, 5, dtype=np.float32), np.zeros(3, np.float32)]
    for piece in pieces:
        partial.append(piece)
    partial.checkpoint.calls = 2
    state.checkpoint = partial.commit()
    partial.append(np.ones(7, np.float32))  # after the checkpoint: lost on a kill
    partial.close()
    assert state.checkpoint["bytes"] == 2 * 8 + 8 * 4

    resumed = PartialAudio.open(tmp_path, state)
    assert resumed.resumed_from == 2
    replayed = list(resumed.replay())
    resumed.close()
    assert [p.tolist() for p in replayed] == [p.tolist() for p in pieces]
    assert partial_path(tmp_path, state).stat().st_size == state.checkpoint["bytes"]


def test_a_partial_file_shorter_than_its_checkpoint_starts_the_chunk_afresh(tmp_path):
    state = chunk(checkpoint={"calls": 3, "bytes": 1000})
    partial_path(tmp_path, state).write_bytes(b"\0" * 10)
    partial = PartialAudio.open(tmp_path, state)
    partial.close()
    assert partial.checkpoint == Checkpoint() and partial.resumed_from == 0
    assert partial_path(tmp_path, state).stat().st_size == 0


def test_a_done_chunk_needs_its_whole_wav_else_it_is_made_again(tmp_path):
    good, missing, short = (ChunkState(index=n, chapter=0, title="T", chars=1, sha256="x", status="done", frames=RATE)
                            for n in (1, 2, 3))
    sf.write(tmp_path / good.wav_name, np.zeros(RATE, np.float32), RATE, subtype="FLOAT")
    sf.write(tmp_path / short.wav_name, np.zeros(RATE // 2, np.float32), RATE, subtype="FLOAT")
    partial_path(tmp_path, good).write_bytes(b"left by a kill")
    assert chunk_problem(tmp_path, good) is None
    assert chunk_problem(tmp_path, missing) == "chunk_0002.wav is missing"
    assert "12000 frames" in chunk_problem(tmp_path, short)
    job = Job(id="j", status="running", source={}, settings={}, chapters=[], chunks=[good, missing, short])
    assert reset_damaged_chunks(job, tmp_path)
    assert [c.status for c in job.chunks] == ["done", "pending", "pending"]
    assert not partial_path(tmp_path, good).exists()
    assert not reset_damaged_chunks(Job(id="k", status="running", source={}, settings={}, chapters=[], chunks=[good]),
                                    tmp_path)


def test_discard_forgets_the_checkpoint_and_its_file(tmp_path):
    state = chunk(checkpoint={"calls": 1, "bytes": 4})
    partial_path(tmp_path, state).write_bytes(b"data")
    discard(tmp_path, state)
    assert state.checkpoint is None and not partial_path(tmp_path, state).exists()
    discard(tmp_path, state)  # nothing left: no error
