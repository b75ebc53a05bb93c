"""Reaching Ray (engines/runtime.py) and what the daemon does when it cannot: one line, then wait or go local.

No cluster here: the address names a port where nothing listens, so each test takes a second.
"""

from __future__ import annotations

import logging
import threading
import time

import pytest

pytest.importorskip("ray", reason="ray is not installed (pip install 'kokoro-narrator[ray]')")

from kokoro_narrator.engines import Unreachable  # noqa: E402
from kokoro_narrator.engines.runtime import connect, probe  # noqa: E402
from kokoro_narrator.service import daemon as service  # noqa: E402
from kokoro_narrator.service.daemon import Daemon  # noqa: E402

from support.daemons import RecordingNotifier, wait_for  # noqa: E402
from support.jobs import add_book  # noqa: E402
from support.providers import ToneProvider  # noqa: E402

pytestmark = pytest.mark.ray

NOWHERE = "127.0.0.1:1"
"""A port where nothing listens: the connection is refused at once."""




def test_an_unreachable_cluster_is_said_in_one_line_within_seconds(make_config):
    config = make_config(engines={"backend": "ray", "address": f"ray://{NOWHERE}"})
    started = time.monotonic()
    with pytest.raises(Unreachable) as error:
        connect(config)
    assert time.monotonic() - started < 10  # ray.init alone would retry for minutes
    assert NOWHERE in str(error.value) and "\n" not in str(error.value)


@pytest.mark.parametrize("address", ["nohost", "host:port", "ray://:10001"])
def test_an_address_that_is_not_host_and_port_is_refused_by_name(address):
    with pytest.raises(Unreachable, match="expected"):
        probe(address)


def run_daemon(daemon: Daemon) -> threading.Thread:
    thread = threading.Thread(target=daemon.run, daemon=True)
    thread.start()
    return thread


def test_with_on_unreachable_local_the_daemon_makes_the_book_with_its_own_engine(make_config, caplog):
    config = make_config(engines={"backend": "ray", "address": NOWHERE, "on_unreachable": "local"})
    daemon = Daemon(config, ToneProvider(), RecordingNotifier(), space_wait_seconds=0.01)
    job, _ = add_book(daemon.store, "book.txt", "A short book.\n\nIn two paragraphs.\n", config)
    caplog.set_level(logging.ERROR, logger="kokoro_narrator.service")
    thread = run_daemon(daemon)
    try:
        wait_for(lambda: daemon.store.load(daemon.store.folder(job)).status == "done", 60, "the book")
    finally:
        daemon.stop.set()
        thread.join(30)
    assert not thread.is_alive() and daemon.pool is None
    said = [record.getMessage() for record in caplog.records if NOWHERE in record.getMessage()]
    assert len(said) == 1 and "local engine" in said[0] and "\n" not in said[0]


def test_with_on_unreachable_wait_the_daemon_waits_says_why_and_still_stops_at_once(make_config, monkeypatch):
    monkeypatch.setattr(service, "UNREACHABLE_SECONDS", 0.2)
    config = make_config(engines={"backend": "ray", "address": NOWHERE})
    notes = RecordingNotifier()
    daemon = Daemon(config, ToneProvider(), notes, space_wait_seconds=0.01)
    job, _ = add_book(daemon.store, "book.txt", "A short book.\n", config)
    thread = run_daemon(daemon)
    try:
        wait_for(lambda: any("Waiting for the Ray cluster" in line and NOWHERE in line for line in notes.sent), 30,
                 "STATUS= saying why")
        time.sleep(1.0)  # several tries
    finally:
        stopping = time.monotonic()
        daemon.stop.set()
        thread.join(30)
    assert time.monotonic() - stopping < 3.0 and not thread.is_alive()
    assert daemon.store.load(daemon.store.folder(job)).status == "queued"  # never made by the local engine
