"""Ray itself: imported only here and in pool.py, and only when `[engines] backend = "ray"`.

`connect` starts a local Ray runtime for this host (address "") in a per-user temp dir, or joins
an existing cluster ("auto", "host:6379", "ray://host:10001"). A cluster that cannot be reached
is found out within seconds (a TCP probe before `ray.init`, which would retry for minutes) and
said in one line (`Unreachable`); the daemon then waits or falls back to its local engine.
"""

from __future__ import annotations

import logging
import os
import socket
from pathlib import Path
from typing import Any

from ..core import Config

log = logging.getLogger(__name__)

PROBE_SECONDS = 5.0
"""How long the TCP probe waits for the cluster's port."""
INSTALL = "pip install 'kokoro-narrator[ray]'"


class Unreachable(RuntimeError):
    """No Ray to run the pool on (not installed, or the cluster cannot be reached); the message is one line."""


def ray_temp_dir() -> Path:
    """A per-user Ray temp dir with a short path (Ray's socket paths must stay under 107 characters)."""
    return Path(os.environ.get("RAY_TMPDIR") or "/tmp") / f"kokoro-ray-{os.getuid()}"


def probe(address: str) -> None:
    """Given "host:port" or "ray://host:port", raise Unreachable unless something answers on that port."""
    target = address.removeprefix("ray://")
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        raise Unreachable(f'[engines] address {address!r}: expected "", "auto", "host:port" or "ray://host:port"')
    try:
        socket.create_connection((host, int(port)), timeout=PROBE_SECONDS).close()
    except OSError as exc:
        raise Unreachable(f"the Ray cluster at {address} cannot be reached: {exc.strerror or exc}") from exc


def connect(config: Config) -> tuple[Any, bool]:
    """Given the config ([engines]), return (the ray module, initialised; whether this call started it);
    raise Unreachable when impossible. A Ray already initialised in this process (a test's cluster) is
    used as it is, and left running.
    """
    engines = config.engines
    try:
        import ray
    except ImportError as exc:
        raise Unreachable(f'[engines] backend = "ray" needs Ray: {INSTALL} ({exc})') from exc
    if engines.address not in ("", "auto"):
        probe(engines.address)
    if ray.is_initialized():
        return ray, False
    options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
    if not engines.address:
        temp = ray_temp_dir()
        temp.mkdir(mode=0o700, exist_ok=True)
        options["_temp_dir"] = str(temp)  # not /tmp/ray, which another user's Ray may own
    try:
        ray.init(address=engines.address or None, **options)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise Unreachable(f"the Ray cluster at {engines.address or 'this host'} cannot be reached: {first}") from exc
    log.info("ray %s: %s; resources %s", ray.__version__, engines.address or "a local runtime for this host",
             {key: value for key, value in ray.cluster_resources().items() if key in ("CPU", "GPU")})
    return ray, True
