import shutil
import subprocess
from pathlib import Path

import pytest

from kokoro_tts.unit import DEFAULT_EXEC_START, default_exec_start, install_unit, render_unit

REPO = Path(__file__).resolve().parents[1]


def test_the_repository_unit_is_the_rendered_template():
    assert (REPO / "systemd" / "kokoro-tts.service").read_text() == render_unit(DEFAULT_EXEC_START)


def test_the_unit_keeps_the_gpu_reachable_and_notifies():
    unit = render_unit("/x/kokoro-tts run")
    assert "Type=notify" in unit and "WatchdogSec=" in unit and "Restart=on-failure" in unit
    for hiding in ("PrivateDevices=yes", "DevicePolicy=", "DeviceAllow="):
        assert hiding not in unit.replace("# PrivateDevices= and DevicePolicy=", "")


def verify(unit_text: str, tmp_path: Path) -> subprocess.CompletedProcess:
    path = tmp_path / "kokoro-tts.service"
    path.write_text(unit_text)
    return subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True, text=True)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_analyze_verifies_the_unit(tmp_path):
    result = verify(render_unit(f"{shutil.which('true')} run"), tmp_path)
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr
    # The same check catches a broken unit (systemd only warns, so stderr must be empty).
    broken = verify(render_unit(f"{shutil.which('true')} run").replace("Type=notify", "Type=notifyy"), tmp_path)
    assert "notifyy" in broken.stderr


def test_install_service_writes_the_unit_with_an_absolute_exec_start(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    exec_start = default_exec_start(Path("my config.toml"))
    path = install_unit(exec_start)
    assert path == tmp_path / "systemd" / "user" / "kokoro-tts.service"
    line = next(l for l in path.read_text().splitlines() if l.startswith("ExecStart="))
    assert line.split("=", 1)[1].startswith("/") and line.endswith('my config.toml"')
