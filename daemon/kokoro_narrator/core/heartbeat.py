"""The worker's heartbeat: the proof of progress that feeds systemd's watchdog.

The worker beats at every utterance and every idle wait; the long loops of publishing (the
join, the encoders, loudness scans) beat per block. The daemon's main thread pings systemd
(WATCHDOG=1) only while the last beat is recent (service/daemon.py), so a worker stuck in any call
(a wedged GPU driver, a write to a dead network file system) stops the pings, and systemd
restarts the service; resume then loses nothing.

It is one process-wide clock, like logging, so that the audio and encoder modules can beat
without a callback threaded through every signature. Beating costs one clock read.
"""

from __future__ import annotations

import time

_last = time.monotonic()


def beat() -> None:
    """Say that the work moved on."""
    global _last
    _last = time.monotonic()


def age() -> float:
    """Seconds since the last beat."""
    return time.monotonic() - _last
