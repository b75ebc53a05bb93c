"""The engine on a real GPU (CUDA, or ROCm through torch.cuda): skipped where torch sees none.

bench/gpu_check.sh runs these on a lent GPU; everywhere else the device code is tested with a
mocked torch.cuda (test_engine.py). What only a GPU can show: the log names it, and the same
input gives the same samples, so a resumed chunk is byte-identical there too.
"""

from __future__ import annotations

import dataclasses
import logging

import numpy as np
import pytest

from kokoro_narrator.core.config import TtsConfig
from kokoro_narrator.jobs import JobRunner, JobStore
from kokoro_narrator.synthesis import KokoroEngine
from support.jobs import add_book

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="torch sees no GPU")]

TEXT = "\n\n".join(f"Sentence number {n} is spoken by the tiny model on the GPU." for n in range(1, 4)) + "\n"


class Killed(BaseException):
    """Stands in for SIGKILL: nothing in the runner catches it."""


@pytest.fixture(scope="module")
def gpu_engine(tiny_settings):
    return KokoroEngine.load(dataclasses.replace(tiny_settings, device="auto"))


def test_auto_picks_the_gpu_and_the_log_names_it(tiny_settings, caplog):
    with caplog.at_level(logging.INFO):
        engine = KokoroEngine.load(dataclasses.replace(tiny_settings, device="auto"))
    assert engine.device_label in ("cuda", "rocm")
    assert f"device={engine.device_label}" in caplog.text


def test_the_same_text_gives_the_same_samples_twice(gpu_engine):
    first = [segment.audio for segment in gpu_engine.synthesize_chunk(TEXT)]
    second = [segment.audio for segment in gpu_engine.synthesize_chunk(TEXT)]
    assert len(first) == 3 and all(np.array_equal(a, b) for a, b in zip(first, second))
    assert all(np.isfinite(a).all() and np.abs(a).max() > 0 for a in first)


def test_a_kill_inside_a_chunk_resumes_byte_identical_on_the_gpu(make_config, tmp_path, gpu_engine):
    tts = TtsConfig(kokoro=gpu_engine.settings)

    def make(root, provider):
        config = make_config(root, tts=tts, jobs={"checkpoint_seconds": 0})
        return config, JobRunner(JobStore(config.paths.jobs), config, provider, space_wait_seconds=0.01,
                                 space_margin=0, retry_wait_seconds=0.01)

    ref_config, ref_runner = make(tmp_path / "ref", gpu_engine)
    job, _ = add_book(ref_runner.store, "book.txt", TEXT.encode(), ref_config)
    assert ref_runner.run(job).status == "done"
    expected = (ref_config.paths.outbox / "book.wav").read_bytes()

    class KillAfterOneCall:
        device_label = gpu_engine.device_label
        limit = 1

        def provider_name(self):
            return "kokoro"

        def synthesize_chunk(self, text, voice=None, speed=None, start=0, lang_code=None, **kwargs):
            for number, segment in enumerate(gpu_engine.synthesize_chunk(text, voice, speed, start, lang_code,
                                                                         **kwargs), start):
                if number == self.limit:
                    raise Killed()
                yield segment

    config, killed = make(tmp_path / "kill", KillAfterOneCall())
    job, _ = add_book(killed.store, "book.txt", TEXT.encode(), config)
    with pytest.raises(Killed):
        killed.run(job)
    _, resumed = make(tmp_path / "kill", gpu_engine)
    job = resumed.store.load(resumed.store.folder(job))
    assert job.chunks[0].checkpoint["calls"] == 1
    assert resumed.run(job).status == "done"
    assert (config.paths.outbox / "book.wav").read_bytes() == expected
