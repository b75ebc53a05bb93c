"""The systemd user unit: its text, and `kokoro-narrator install-service`.

The template below is the unit; `systemd/kokoro-tts.service` in the repository is this
template rendered with the default ExecStart, and a test keeps the two equal.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from ..core import atomic_write

UNIT_NAME = "kokoro-tts.service"
DEFAULT_EXEC_START = "%h/.local/share/kokoro-tts/venv/bin/kokoro-narrator run"
DOCUMENTATION = "https://pypi.org/project/kokoro-narrator/"
"""The package's index page, whose description is the README."""

TEMPLATE = """\
# kokoro-narrator: turns books dropped into ~/tts/inbox into audiobooks in ~/tts/outbox.
# Install with `kokoro-narrator install-service` (it fills in ExecStart for your installation).
[Unit]
Description=kokoro-narrator audiobook maker (Kokoro-82M)
Documentation=@DOCUMENTATION@
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
# Exit 78 (EX_CONFIG) is a broken config: restarting cannot fix it, so stop at once and let
# `systemctl --user status kokoro-tts` show the error.
RestartPreventExitStatus=78
# The first start may download the model (~330 MB) and load and warm it up; READY=1 follows.
# A fixed bound, not EXTEND_TIMEOUT_USEC pings: the load is one blocking call, and a pinger
# thread would keep a hung download alive forever.
TimeoutStartSec=900
# SIGTERM stops the worker at its next utterance (seconds, even on a CPU). A worker stuck in a
# call is left after [service] stop_timeout_seconds (60 s), its stack logged, and the daemon
# exits 75; 120 s leaves room for that. A chunk cut short resumes at its last checkpoint.
TimeoutStopSec=120
# The main thread pings only while the worker's heartbeat moves: at every utterance, every
# idle wait, every block of the join and the encoders. The longest utterance (510 phonemes,
# about 29 s of speech) took 17-19 s on one server core in fp32; allow ~3x that for a slow
# laptop core. Pings stop after WatchdogSec/2 = 300 s without a beat (5x that), and systemd
# restarts the service at most WatchdogSec later: a hung driver, hook or network write does
# not stall the queue for good, and resume loses nothing (docs/daemon.md).
WatchdogSec=600
Environment=PYTHONUNBUFFERED=1
# `kokoro-narrator run` restarts itself (same PID) with jemalloc preloaded when libjemalloc2 is
# installed: flat memory over a whole book. Uncomment to stay on glibc's malloc:
#Environment=KOKORO_TTS_ALLOCATOR=glibc
# ROCm: MIOpen's fast find mode avoids exhaustive per-shape kernel searches, and a persistent
# kernel database means they are found once, not at every start. Harmless on NVIDIA or CPU.
Environment=MIOPEN_FIND_MODE=FAST
Environment=MIOPEN_USER_DB_PATH=%h/.cache/kokoro-tts/miopen
Environment=MIOPEN_CUSTOM_CACHE_DIR=%h/.cache/kokoro-tts/miopen
# Audiobooks are background work: the desktop gets the CPU first.
Nice=10
# ...and, where the user manager has the cpu controller, only the CPU time nobody else wants.
CPUWeight=idle
# Under memory pressure the kernel kills this daemon before the desktop session (it resumes
# where it stopped). A user unit may raise its score, never lower it.
OOMScoreAdjust=500
# To cap its memory (the model takes 1.5-3 GB on a CPU), uncomment and adjust:
#MemoryHigh=4G
# ...and the disk. Lowest best-effort, not "idle": idle I/O can starve for minutes behind a big
# copy, stalling a job.json fsync past WatchdogSec.
IOSchedulingClass=best-effort
IOSchedulingPriority=7
#
# Hardening that works in a user unit without user namespaces (seccomp and prctl only).
# Nothing here hides /dev/kfd, /dev/dri or /dev/nvidia*: PrivateDevices=, DevicePolicy= and
# DeviceAllow= are deliberately not set, so the GPU stays reachable.
# ProtectSystem=, ProtectHome= and PrivateTmp= are not set: in a user unit they need
# unprivileged user namespaces, which some distributions disable (the start can then fail).
# MemoryDenyWriteExecute= is not set: PyTorch's JIT and the ROCm/CUDA runtimes need W+X pages.
# SystemCallFilter= is not set: GPU drivers make unusual calls, and a miss kills the daemon.
#
# No privilege gain through setuid binaries or file capabilities.
NoNewPrivileges=yes
# Job state, chunks and audiobooks are private to you (books can be personal).
UMask=0077
# TTS needs no real-time scheduling, which could starve the desktop.
RestrictRealtime=yes
# No switching of execution domain (personality), an old exploit helper.
LockPersonality=yes
# It never makes setuid or setgid files.
RestrictSUIDSGID=yes
# Only native system calls (no 32-bit compat entry points, a common attack surface).
SystemCallArchitectures=native

[Install]
WantedBy=default.target
"""


def render_unit(exec_start: str, documentation: str = DOCUMENTATION) -> str:
    """Return the unit text with ExecStart and Documentation filled in."""
    return TEMPLATE.replace("@EXEC_START@", exec_start).replace("@DOCUMENTATION@", documentation)


def local_documentation() -> str:
    """The README of the checkout this package runs from (file: URI), else the package's page."""
    readme = Path(__file__).resolve().parents[3] / "README.md"
    return readme.as_uri() if readme.is_file() else DOCUMENTATION


def systemd_word(word: str, program: bool = False) -> str:
    """Given one ExecStart word, return it escaped so systemd passes it on unchanged.

    `%` is a specifier everywhere (`%%` is a literal one); `$` is expanded in arguments but not
    in the program path (see systemd.service(5), "Command lines"); words with spaces, quotes
    or backslashes are double-quoted with C escapes. Raise ValueError for what systemd refuses
    outright: control characters anywhere, quotes or backslashes in the program path.
    """
    if (program and any(ch in word for ch in "\"'\\")) or any(ord(ch) < 32 or ord(ch) == 127 for ch in word):
        raise ValueError(f"systemd cannot take {word!r} in ExecStart (it refuses control characters, and "
                         "quotes or backslashes in the program's path); use a path without them")
    word = word.replace("%", "%%")
    if not program:
        word = word.replace("$", "$$")
    if word and all(ch.isalnum() or ch in "/._-+=:,@%$" for ch in word):
        return word
    return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'


def default_exec_start(config: Path | None = None) -> str:
    """The ExecStart for this installation: the absolute kokoro-narrator beside this Python (else
    the one on PATH) with `run`, and `--config <absolute path>` when config is given."""
    beside = Path(sys.executable).parent / "kokoro-narrator"
    program = beside if beside.exists() else Path(shutil.which("kokoro-narrator") or beside)
    words = [str(program.absolute()), "run"]
    if config is not None:
        words += ["--config", str(config.expanduser().absolute())]
    return " ".join([systemd_word(words[0], program=True)] + [systemd_word(word) for word in words[1:]])


def unit_directory() -> Path:
    """The user's systemd unit directory: $XDG_CONFIG_HOME/systemd/user (~/.config/...)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "systemd" / "user"


def install_unit(exec_start: str, unit_dir: Path | None = None) -> Path:
    """Write the unit into the user's systemd directory; return its path."""
    directory = unit_dir or unit_directory()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / UNIT_NAME
    atomic_write(path, render_unit(exec_start, local_documentation()).encode("utf-8"))
    return path


def install_instructions(path: Path) -> str:
    """The commands that enable and start the unit installed at path, for the user to run."""
    return "\n".join([
        "now run:",
        "  systemctl --user daemon-reload",
        "  systemctl --user enable --now kokoro-tts",
        "  systemctl --user status kokoro-tts",
        "  journalctl --user -u kokoro-tts -f",
        "to keep it running while you are logged out: loginctl enable-linger $USER",
    ])
