"""Log lines: journald priority prefixes under systemd, timestamps in a terminal."""

import logging
import os
import subprocess
import sys
import textwrap

import pytest


def run_logging(environment: dict[str, str]) -> str:
    """Run setup_logging in a child whose stderr is a pipe; return what it wrote there."""
    code = textwrap.dedent("""
        import logging, os, sys
        if os.environ.get("FAKE_JOURNAL"):  # systemd sets JOURNAL_STREAM to stderr's device:inode
            st = os.fstat(2)
            os.environ["JOURNAL_STREAM"] = f"{st.st_dev}:{st.st_ino}"
        from kokoro_narrator.core.logs import setup_logging
        setup_logging(verbose=True)
        log = logging.getLogger("kokoro_narrator.test")
        log.debug("a debug line")
        log.info("an info line")
        log.warning("a warning")
        log.error("an error\\nwith a second line")
    """)
    environ = {k: v for k, v in os.environ.items() if k != "JOURNAL_STREAM"}
    result = subprocess.run([sys.executable, "-c", code], env={**environ, **environment},
                            capture_output=True, text=True, timeout=60)
    return result.stderr


def test_under_journald_each_line_carries_its_syslog_priority():
    lines = [line for line in run_logging({"FAKE_JOURNAL": "1"}).splitlines() if "kokoro_narrator.test" in line or "second" in line]
    assert lines == [
        "<7>DEBUG kokoro_narrator.test: a debug line",
        "<6>INFO kokoro_narrator.test: an info line",
        "<4>WARNING kokoro_narrator.test: a warning",
        "<3>ERROR kokoro_narrator.test: an error",
        "<3>with a second line",
    ]


def test_a_journal_stream_that_is_not_our_stderr_is_ignored():
    """JOURNAL_STREAM inherited by a child whose stderr goes elsewhere: plain lines."""
    output = run_logging({"JOURNAL_STREAM": "1:1"})
    assert "<6>" not in output and "INFO kokoro_narrator.test: an info line" in output


def test_in_a_terminal_lines_carry_a_timestamp():
    line = next(line for line in run_logging({}).splitlines() if "an info line" in line)
    date, time_of_day, level = line.split()[:3]
    assert len(date) == 10 and date[4] == "-" and len(time_of_day) == 8 and level == "INFO"


def test_setting_up_twice_keeps_one_handler():
    from kokoro_narrator.core.logs import setup_logging

    before = list(logging.getLogger().handlers)
    try:
        setup_logging()
        setup_logging()
        ours = [h for h in logging.getLogger().handlers if getattr(h, "kokoro_narrator", False)]
        assert len(ours) == 1
    finally:
        logging.getLogger().handlers = before


@pytest.mark.integration
def test_a_config_error_at_start_reaches_the_journal_as_an_error(tmp_path):
    """It was printed raw, so `systemctl --user status` showed why the daemon would not start as info."""
    config = tmp_path / "config.toml"
    config.write_text("[tts.kokoro]\nspeed = 7\n")
    code = textwrap.dedent(f"""
        import os, sys
        st = os.fstat(2)
        os.environ["JOURNAL_STREAM"] = f"{{st.st_dev}}:{{st.st_ino}}"
        from kokoro_narrator.cli.commands import main
        sys.exit(main(["run", "--config", {str(config)!r}]))
    """)
    environ = {k: v for k, v in os.environ.items() if k != "JOURNAL_STREAM"}
    result = subprocess.run([sys.executable, "-c", code], env=environ, capture_output=True, text=True, timeout=120)
    assert result.returncode == 78
    assert "<3>ERROR kokoro_narrator: " in result.stderr and "tts.kokoro.speed: must be between 0.5 and 2.0" in result.stderr
    assert all(line.startswith("<") for line in result.stderr.splitlines())
