"""Run a generator in a thread, a few items ahead of its consumer (G2P ahead of the model)."""

from __future__ import annotations

import queue
import threading
from typing import Callable, Iterator


def prefetch(produce: Callable[[], Iterator], depth: int = 8, name: str = "kokoro-g2p") -> Iterator:
    """Run produce() in a thread, `depth` items ahead of the consumer.

    Exceptions in the producer are re-raised in the consumer. Closing the consumer early
    stops the producer at its next item.
    """
    items: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def put(entry: tuple) -> bool:
        """Queue entry unless the consumer has stopped (it then never takes another: never block)."""
        while not stop.is_set():
            try:
                items.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            for item in produce():
                if not put((item, None)):
                    return
            put((done, None))
        except BaseException as exc:  # handed to the consumer, which re-raises it
            put((done, exc))

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    try:
        while True:
            item, error = items.get()
            if item is done:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        stop.set()
        thread.join()
