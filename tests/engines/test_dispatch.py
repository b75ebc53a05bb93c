"""A dispatch's queue without Ray: a chunk whose workers die goes back first, until it has cost too many."""

from types import SimpleNamespace

from kokoro_narrator.engines import Failed, Task
from kokoro_narrator.engines.pool import Dispatch


def dispatch(config, losses_allowed: int = 3) -> Dispatch:
    return Dispatch(SimpleNamespace(config=config), 1, "book-1", {}, None, losses_allowed)


def test_a_lost_chunk_goes_back_to_the_front_of_the_queue(config):
    queue = dispatch(config)
    first, second = Task(1, "one", 3, {}), Task(2, "two", 3, {})
    queue.submit(first)
    queue.submit(second)
    lost = queue.queue.popleft()
    queue.put_back(lost, "engine 1 (a/cpu)")
    assert list(queue.queue) == [first, second] and first.losses == 1 and not queue.outcomes


def test_a_chunk_whose_workers_died_under_it_losses_allowed_times_fails_for_good(config):
    queue = dispatch(config, losses_allowed=3)
    task = Task(7, "seven", 5, {})
    for _ in range(2):
        queue.put_back(task, "engine 2 (b/cuda)")
        assert queue.queue.popleft() is task
    queue.put_back(task, "engine 2 (b/cuda)")
    assert not queue.queue
    [failed] = queue.outcomes
    assert isinstance(failed, Failed) and failed.final and failed.index == 7
    assert "died 3 times" in failed.error and "engine 2 (b/cuda)" in failed.error
