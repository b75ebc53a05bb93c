"""When a book is done: the on_done command runs with the output paths, and its failure never fails the book."""

import dataclasses
import json
import logging
import sys
import textwrap

import pytest

from kokoro_narrator.core.config import Config, HooksConfig
from kokoro_narrator.inbox.afterwards import book_ended, run_hook
from kokoro_narrator.service.daemon import Daemon

from support.providers import ToneProvider

pytestmark = pytest.mark.config(jobs={"max_chunk_chars": 300})

BOOK = "CHAPTER I\n\n" + "A sentence of the book, spoken as a tone.\n\n" * 3


@pytest.fixture
def recorder(tmp_path):
    """A hook script that writes its arguments and environment to a JSON file, then exits with $HOOK_EXIT."""
    script = tmp_path / "hook.py"
    script.write_text(textwrap.dedent("""
        import json, os, sys
        with open(sys.argv[1], "w") as f:
            json.dump({"args": sys.argv[2:], "book": os.environ.get("KOKORO_TTS_BOOK"),
                       "job": os.environ.get("KOKORO_TTS_JOB")}, f)
        print("hook says no", file=sys.stderr)
        sys.exit(int(sys.argv[2]) if sys.argv[2].isdigit() else 0)
    """))
    return script


def publish(config: Config, name: str = "my book.txt"):
    """Drop a book, make it, and end it as the daemon does; return (job, the hook's thread)."""
    daemon = Daemon(config, ToneProvider(), space_wait_seconds=0.01)
    daemon.runner.space_margin = 0
    (config.paths.inbox / name).write_text(BOOK)
    job = daemon.runner.run(daemon.ingest(config.paths.inbox / name))
    thread = book_ended(config, daemon.store, job)
    if thread is not None:
        thread.join(60)
    return job, thread


def test_the_hook_runs_with_the_output_paths_as_arguments_without_a_shell(make_config, tmp_path, recorder):
    out = tmp_path / "hook-run.json"
    config = make_config(hooks={"on_done": f"'{sys.executable}' '{recorder}' '{out}' 'two words' '$HOME;'"})
    job, thread = publish(config)
    assert job.status == "done" and thread is not None
    seen = json.loads(out.read_text())
    assert seen["args"] == ["two words", "$HOME;", job.output["wav"], job.output["json"], job.output["files"]["timings"]]
    assert seen["book"] == "my book.txt" and seen["job"] == job.id


def test_a_failing_hook_is_logged_and_the_book_stays_done(make_config, tmp_path, recorder, caplog):
    config = make_config(hooks={"on_done": f"'{sys.executable}' '{recorder}' '{tmp_path / 'x.json'}' 3"})
    with caplog.at_level(logging.WARNING, logger="kokoro_narrator.inbox.afterwards"):
        job, _ = publish(config)
    assert job.status == "done"
    assert "failed with exit code 3: hook says no" in caplog.text
    assert json.loads((config.paths.jobs / job.id / "job.json").read_text())["status"] == "done"


def test_a_hook_that_cannot_start_is_logged_and_the_book_stays_done(make_config, tmp_path, caplog):
    config = make_config(hooks={"on_done": str(tmp_path / "no-such-command")})
    with caplog.at_level(logging.WARNING, logger="kokoro_narrator.inbox.afterwards"):
        job, _ = publish(config)
    assert job.status == "done" and "could not start" in caplog.text


def test_no_hook_runs_for_a_failed_book_or_when_none_is_set(make_config, tmp_path, recorder):
    out = tmp_path / "hook-run.json"
    config = make_config(hooks={"on_done": ""})
    job, thread = publish(config)
    assert job.status == "done" and thread is None
    config = dataclasses.replace(config, hooks=HooksConfig(on_done=f"'{sys.executable}' '{recorder}' '{out}'"))
    daemon = Daemon(config, ToneProvider(), space_wait_seconds=0.01)
    (config.paths.inbox / "empty.txt").write_text("   ")
    failed = daemon.ingest(config.paths.inbox / "empty.txt")
    assert failed.status == "failed" and book_ended(config, daemon.store, failed) is None
    assert not out.exists()


def test_run_hook_returns_the_exit_code(tmp_path):
    assert run_hook([sys.executable, "-c", "raise SystemExit(5)"], "b.txt", "b-1") == 5
    assert run_hook([str(tmp_path / "absent")], "b.txt", "b-1") is None


def test_a_hook_that_never_ends_is_stopped_at_its_timeout_with_the_child_that_holds_its_output(tmp_path, caplog):
    """subprocess.run(capture_output=True, timeout=...) kills the hook but then reads its pipes until
    every holder closes them: a background child holding stderr kept the hook thread for ever."""
    import os
    import time

    marker = tmp_path / "child.pid"
    script = (f"import os, subprocess, sys, time\n"
              f"child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
              f"open({str(marker)!r}, 'w').write(str(child.pid))\n"
              f"print('still here', file=sys.stderr, flush=True)\ntime.sleep(600)\n")
    started = time.monotonic()
    with caplog.at_level(logging.WARNING):
        assert run_hook([sys.executable, "-c", script], "b.txt", "b-1", timeout=1.5) is None
    assert time.monotonic() - started < 10
    assert "was stopped after 2 s" in caplog.text
    child = int(marker.read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # the whole group was killed: the grandchild is gone too
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the hook's child outlived the timeout")


def test_a_hook_does_not_get_systemds_notify_socket(tmp_path, monkeypatch):
    monkeypatch.setenv("NOTIFY_SOCKET", "/run/user/1000/systemd/notify")
    monkeypatch.setenv("WATCHDOG_USEC", "600000000")
    out = tmp_path / "env.txt"
    code = ("import os, sys; open(sys.argv[1], 'w').write(repr([os.environ.get(k) for k in "
            "('NOTIFY_SOCKET', 'WATCHDOG_USEC', 'KOKORO_TTS_BOOK')]))")
    assert run_hook([sys.executable, "-c", code, str(out)], "b.txt", "b-1") == 0
    assert out.read_text() == "[None, None, 'b.txt']"


def test_an_on_done_that_is_not_a_command_line_is_a_config_error():
    from kokoro_narrator.core.config import ConfigError, parse_config

    with pytest.raises(ConfigError, match="hooks.on_done: is not a command line"):
        parse_config({"hooks": {"on_done": "notify-send 'unclosed"}})
