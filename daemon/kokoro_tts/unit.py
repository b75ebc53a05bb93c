"""The systemd user unit: its text, and `kokoro-tts install-service`.

The template below is the unit; `systemd/kokoro-tts.service` in the repository is this
template rendered with the default ExecStart, and a test keeps the two equal.
"""

from __future__ import annotations

import os

import shutil
import sys
from pathlib import Path

from .atomic import atomic_write

UNIT_NAME = "kokoro-tts.service"
DEFAULT_EXEC_START = "%h/.local/share/kokoro-tts/venv/bin/kokoro-tts run"

TEMPLATE = """\
# kokoro-tts: turns books dropped into ~/tts/inbox into audiobooks in ~/tts/outbox.
# Install with `kokoro-tts install-service` (it fills in ExecStart for your installation).
[Unit]
Description=kokoro-tts audiobook maker (Kokoro-82M)
Documentation=https://github.com/hexgrad/kokoro
# Give up after 5 failed starts in 10 minutes (a broken config must not loop forever).
StartLimitIntervalSec=600
StartLimitBurst=5

[Service]
# The daemon sends READY=1 once the model is loaded, then STATUS= lines with its progress.
Type=notify
NotifyAccess=main
ExecStart=@EXEC_START@
Restart=on-failure
RestartSec=10
# The first start may download the model (~330 MB) and warm it up.
TimeoutStartSec=900
# SIGTERM stops at the next utterance (seconds); the job resumes at the next start.
TimeoutStopSec=120
# The worker pings between utterances; a synthesis hung this long gets the service restarted.
WatchdogSec=600
Environment=PYTHONUNBUFFERED=1
# ROCm: MIOpen's fast find mode avoids exhaustive per-shape kernel searches, and a persistent
# kernel database means they are found once, not at every start. Harmless on NVIDIA or CPU.
Environment=MIOPEN_FIND_MODE=FAST
Environment=MIOPEN_USER_DB_PATH=%h/.cache/kokoro-tts/miopen
Environment=MIOPEN_CUSTOM_CACHE_DIR=%h/.cache/kokoro-tts/miopen
# Audiobooks are background work: keep the desktop responsive.
Nice=10
IOSchedulingClass=idle
# Hardening that works in user units. Nothing here hides /dev/kfd, /dev/dri or /dev/nvidia*:
# PrivateDevices= and DevicePolicy= are deliberately not set, so the GPU stays reachable.
# No privilege gain through setuid binaries or file capabilities.
NoNewPrivileges=yes
# Files the daemon makes (job state, audio) are readable by you only.
UMask=0077
# No need for real-time scheduling, other personalities, SUID files or foreign syscalls.
RestrictRealtime=yes
LockPersonality=yes
RestrictSUIDSGID=yes
SystemCallArchitectures=native
# MemoryDenyWriteExecute= is not set: PyTorch's JIT and the ROCm/CUDA runtimes need W+X pages.

[Install]
WantedBy=default.target
"""


def render_unit(exec_start: str) -> str:
    """Return the unit text with ExecStart filled in."""
    return TEMPLATE.replace("@EXEC_START@", exec_start)


def _systemd_quote(word: str) -> str:
    if word and all(ch.isalnum() or ch in "/._-+=:,@%" for ch in word):
        return word
    return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'


def default_exec_start(config: Path | None = None) -> str:
    """The ExecStart for this installation: the absolute kokoro-tts beside this Python."""
    beside = Path(sys.executable).parent / "kokoro-tts"
    program = beside if beside.exists() else Path(shutil.which("kokoro-tts") or beside)
    words = [str(program.absolute()), "run"]
    if config is not None:
        words += ["--config", str(config.expanduser().absolute())]
    return " ".join(_systemd_quote(word) for word in words)


def unit_directory() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "systemd" / "user"


def install_unit(exec_start: str, unit_dir: Path | None = None) -> Path:
    """Write the unit into the user's systemd directory; return its path."""
    directory = unit_dir or unit_directory()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / UNIT_NAME
    atomic_write(path, render_unit(exec_start).encode("utf-8"))
    return path


def install_instructions(path: Path) -> str:
    return "\n".join([
        "now run:",
        "  systemctl --user daemon-reload",
        "  systemctl --user enable --now kokoro-tts",
        "  systemctl --user status kokoro-tts",
        "  journalctl --user -u kokoro-tts -f",
        "to keep it running while you are logged out: loginctl enable-linger $USER",
    ])
