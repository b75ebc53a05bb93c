"""heartbeat.py: the process-wide beat that the watchdog pings depend on."""

import time

from kokoro_narrator.core import heartbeat


def test_age_grows_until_the_next_beat_resets_it():
    heartbeat.beat()
    time.sleep(0.05)
    assert heartbeat.age() >= 0.05
    heartbeat.beat()
    assert heartbeat.age() < 0.05
