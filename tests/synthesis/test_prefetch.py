"""G2P runs in a thread ahead of the model: order kept, errors handed over, an early stop stops it."""

import threading
import time

import pytest

from kokoro_narrator.synthesis.prefetch import prefetch


def test_items_come_in_order_and_all_of_them():
    assert list(prefetch(lambda: iter(range(100)), depth=3)) == list(range(100))


def test_an_error_in_the_producer_is_raised_in_the_consumer_after_the_items_before_it():
    def produce():
        yield 1
        yield 2
        raise ValueError("bad utterance")

    seen = []
    with pytest.raises(ValueError, match="bad utterance"):
        for item in prefetch(produce):
            seen.append(item)
    assert seen == [1, 2]


def test_the_producer_runs_at_most_depth_items_ahead_and_stops_when_the_consumer_does():
    made = []

    def produce():
        for number in range(1000):
            made.append(number)
            yield number

    items = prefetch(produce, depth=4)
    assert next(items) == 0
    time.sleep(0.3)  # give the producer every chance to run ahead
    assert len(made) <= 1 + 4 + 1  # the one taken, a full queue, and one waiting to be put
    items.close()  # the consumer stops early (a cancelled chunk)
    assert not any(t.name == "kokoro-g2p" and t.is_alive() for t in threading.enumerate())
    assert len(made) < 1000


def test_a_consumer_that_stops_while_the_queue_is_full_and_the_producer_done_is_not_left_waiting():
    """Near a chunk's end G2P has finished and filled the queue; a cancel then must not hang the worker."""
    items = prefetch(lambda: iter(range(3)), depth=2)
    assert next(items) == 0
    time.sleep(0.3)  # items 1 and 2 fill the queue; the end marker has no room
    closer = threading.Thread(target=items.close)
    closer.start()
    closer.join(timeout=10)
    assert not closer.is_alive()
