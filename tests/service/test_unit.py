"""The systemd user unit: template, repository copy, install-service, and systemd's own verdict."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kokoro_narrator.service.unit import DEFAULT_EXEC_START, default_exec_start, install_unit, render_unit

REPO = Path(__file__).resolve().parents[2]
HARDENING = ("NoNewPrivileges", "UMask", "RestrictRealtime", "LockPersonality", "RestrictSUIDSGID",
             "SystemCallArchitectures", "Nice", "IOSchedulingClass")
needs_systemd_analyze = pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                                           reason="systemd-analyze not installed")


def test_the_repository_unit_is_the_rendered_template():
    assert (REPO / "systemd" / "kokoro-tts.service").read_text() == render_unit(DEFAULT_EXEC_START)


def test_the_unit_keeps_the_gpu_reachable_and_notifies():
    settings = [line for line in render_unit("/x/kokoro-narrator run").splitlines() if not line.startswith("#")]
    for expected in ("Type=notify", "NotifyAccess=main", "Restart=on-failure", "ExecStart=/x/kokoro-narrator run"):
        assert expected in settings
    assert any(line.startswith("WatchdogSec=") for line in settings)
    for hiding in ("PrivateDevices=", "DevicePolicy=", "DeviceAllow=", "MemoryDenyWriteExecute="):
        assert not any(line.startswith(hiding) for line in settings)


def test_every_hardening_line_says_why():
    lines = render_unit("/x/kokoro-narrator run").splitlines()
    for index, line in enumerate(lines):
        if line.split("=", 1)[0] in HARDENING:
            assert lines[index - 1].startswith("# "), f"{line} has no comment above it"


def verify(unit_text: str, tmp_path: Path) -> subprocess.CompletedProcess:
    """Run `systemd-analyze --user verify` as the user manager would load the unit.

    A private XDG_RUNTIME_DIR lets it run outside a login session (as in a container). It
    exits non-zero for a missing or non-executable ExecStart, and only *warns* (exit 0) for
    unknown keys or bad values, so callers also require an empty stderr.
    """
    path = tmp_path / "kokoro-tts.service"
    path.write_text(unit_text)
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env = dict(os.environ, XDG_RUNTIME_DIR=str(runtime), SYSTEMD_LOG_LEVEL="notice")
    return subprocess.run(["systemd-analyze", "--user", "verify", "--man=no", str(path)],
                          capture_output=True, text=True, env=env)


@needs_systemd_analyze
def test_systemd_analyze_verifies_the_unit(tmp_path):
    unit = render_unit(f"{sys.executable} -c pass")
    result = verify(unit, tmp_path)
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr


@needs_systemd_analyze
@pytest.mark.parametrize("breakage, complaint", [
    (("Type=notify", "Type=notifyy"), "notifyy"),
    (("Nice=10", "Nicee=10"), "Nicee"),
    (("UMask=0077", "UMask=0999"), "0999"),
    (("ExecStart=", "ExecStart=/nonexistent"), "not executable"),
])
def test_the_verification_would_catch_a_broken_unit(tmp_path, breakage, complaint):
    result = verify(render_unit(f"{sys.executable} -c pass").replace(*breakage), tmp_path)
    assert complaint in result.stderr


@needs_systemd_analyze
def test_odd_characters_in_the_install_path_are_escaped_for_systemd(tmp_path, monkeypatch):
    bin_dir = tmp_path / "my 100%h $HOME dir"
    bin_dir.mkdir()
    program = bin_dir / "kokoro-narrator"
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(bin_dir / "python"))
    exec_start = default_exec_start(Path("/etc/kokoro 50% $USER.toml"))
    assert exec_start.endswith('--config "/etc/kokoro 50%% $$USER.toml"')
    result = verify(render_unit(exec_start), tmp_path)  # it finds the program: the path came through
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr


def test_a_program_path_systemd_would_refuse_is_refused_here(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "executable", str(tmp_path / 'a "quoted" dir' / "python"))
    with pytest.raises(ValueError, match="quotes or backslashes in the program's path"):
        default_exec_start()
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    with pytest.raises(ValueError, match="control characters"):
        default_exec_start(Path("two\nlines.toml"))


def test_install_service_writes_the_unit_with_an_absolute_exec_start(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    path = install_unit(default_exec_start(Path("my config.toml")))
    assert path == tmp_path / "systemd" / "user" / "kokoro-tts.service"
    line = next(line for line in path.read_text().splitlines() if line.startswith("ExecStart="))
    assert line.split("=", 1)[1].startswith("/")
    assert line.endswith(f' run --config "{tmp_path}/my config.toml"')
    assert not list(path.parent.glob(".*")), "a temp file was left behind"


def test_install_service_refuses_a_config_path_systemd_cannot_take(tmp_path, monkeypatch, capsys):
    from kokoro_narrator.cli.commands import main

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    config = tmp_path / "two\nlines.toml"
    config.write_text("")
    assert main(["install-service", "--config", str(config)]) == 2
    assert "systemd cannot take" in capsys.readouterr().err
    assert not (tmp_path / "systemd" / "user" / "kokoro-tts.service").exists()


def test_a_config_error_stops_the_service_instead_of_restarting_it():
    from kokoro_narrator.cli.commands import EX_CONFIG

    settings = render_unit("/x/kokoro-narrator run").splitlines()
    assert f"RestartPreventExitStatus={EX_CONFIG}" in settings and "Restart=on-failure" in settings


def test_documentation_points_at_this_project():
    line = next(line for line in render_unit("/x/kokoro-narrator run").splitlines() if line.startswith("Documentation="))
    assert line.split("=", 1)[1].startswith(("https://pypi.org/project/", "file:///"))
    from kokoro_narrator.service.unit import local_documentation

    assert local_documentation() == (REPO / "README.md").as_uri()  # this checkout's README
