"""The kokoro-narrator command, run as a user runs it (subprocess), on the tiny local model."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import soundfile as sf

from support.commands import kokoro_narrator
from support.tiny_model import tiny_config_toml


@pytest.fixture
def tiny_config(tmp_path, tiny_model_dir) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(tiny_config_toml(tiny_model_dir, inbox=tmp_path / "in", outbox=tmp_path / "out", jobs=tmp_path / "jobs"))
    return path


@pytest.mark.parametrize("flags", [
    ["--speed", "fast"],
    ["--speed", "7"],
    ["--lang-code", "xx"],
    ["--device", "gpu"],
    ["--split-pattern", "(["],
    ["--bogus"],
])
def test_invalid_synth_flags_exit_with_code_2(tmp_path, flags):
    text = tmp_path / "t.txt"
    text.write_text("Hi.")
    result = kokoro_narrator("synth", "--text-file", str(text), "--out-wav", str(tmp_path / "o.wav"), *flags)
    assert result.returncode == 2, result.stderr
    assert "error" in result.stderr


def test_a_missing_text_file_is_a_one_line_error(tmp_path):
    result = kokoro_narrator("synth", "--text-file", str(tmp_path / "nope.txt"), "--out-wav", str(tmp_path / "o.wav"))
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert "nope.txt: no such file" in result.stderr


def test_synth_writes_a_24khz_mono_wav_with_the_tiny_local_model(tmp_path, tiny_config):
    text = tmp_path / "t.txt"
    text.write_text("Hello there. This is a short test.\n\nA second paragraph.")
    out = tmp_path / "out.wav"
    result = kokoro_narrator("synth", "--config", str(tiny_config), "--text-file", str(text), "--out-wav", str(out))
    assert result.returncode == 0, result.stderr
    info = sf.info(out)
    assert (info.samplerate, info.channels) == (24000, 1)
    assert info.frames > 24000 * 0.5
    assert "device=cpu" in result.stderr
    assert re.search(r"precision=(bf16|fp32-cl|fp32) ", result.stderr)  # "auto", as resolved on this CPU


def test_a_jemalloc_that_cannot_be_preloaded_leaves_synth_on_glibc_run_once(tmp_path, tiny_config):
    text = tmp_path / "t.txt"
    text.write_text("Hello there.")
    out = tmp_path / "out.wav"
    result = kokoro_narrator("synth", "--config", str(tiny_config), "--text-file", str(text), "--out-wav", str(out),
                        KOKORO_TTS_JEMALLOC=str(tmp_path / "libjemalloc.so.2"), KOKORO_TTS_ALLOCATOR="auto")
    assert result.returncode == 0, result.stderr
    assert "cannot be preloaded" in result.stderr  # the linker's own warning: it was tried once
    assert result.stderr.count("engine ready") == 1
    assert "malloc=glibc" in result.stderr
    assert sf.info(out).frames > 0


def test_synth_with_a_custom_split_pattern_writes_output(tmp_path, tiny_config):
    text = tmp_path / "t.txt"
    text.write_text("one, two, three; four")
    out = tmp_path / "out.wav"
    result = kokoro_narrator("synth", "--config", str(tiny_config), "--text-file", str(text), "--out-wav", str(out),
                        "--split-pattern", r"[,;]\s*")
    assert result.returncode == 0, result.stderr
    assert sf.info(out).frames > 0


def test_config_init_writes_a_config_that_loads(tmp_path):
    path = tmp_path / "c" / "config.toml"
    assert kokoro_narrator("config", "init", "--config", str(path)).returncode == 0
    assert "max_chunk_chars = 20000" in path.read_text()
    again = kokoro_narrator("config", "init", "--config", str(path))
    assert again.returncode == 1 and "exists" in again.stderr
    assert kokoro_narrator("status", "--config", str(path)).returncode == 0


def test_a_bad_config_names_the_key(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("[tts.kokoro]\nspeed = 7\n")
    result = kokoro_narrator("status", "--config", str(path))
    assert result.returncode == 78  # EX_CONFIG: the unit does not restart on it
    assert "config.toml: tts.kokoro.speed: must be between 0.5 and 2.0, got 7" in result.stderr


# ----------------------------------------------------------------------------- one line, never a traceback


def one_line(stderr: str) -> bool:
    return "Traceback" not in stderr and stderr.strip().count("\n") == 0 and stderr.strip() != ""


@pytest.mark.parametrize("name, data, message", [
    ("empty.txt", b"", "empty.txt: the file is empty"),
    ("binary.txt", b"\x7fELF\x02\x01\x01\x00\x00\x00" + bytes(range(256)) * 8, "binary file"),
    ("front.md", b"---\ntitle: only this\n---\n", "no readable text"),
])
def test_chunk_of_a_book_that_cannot_be_read_says_why_in_one_line(tmp_path, name, data, message):
    (tmp_path / name).write_bytes(data)
    result = kokoro_narrator("chunk", str(tmp_path / name), cwd=tmp_path, XDG_CONFIG_HOME=str(tmp_path))
    assert result.returncode == 1
    assert one_line(result.stderr) and message in result.stderr, result.stderr


def many_jobs(tmp_path, count: int) -> Path:
    """A config whose job store holds count failed jobs, one with a newline in its name."""
    from kokoro_narrator.jobs.store import Job, JobStore

    store = JobStore(tmp_path / "jobs")
    for number in range(count):
        name = "two\nlines.txt" if number == 0 else f"book number {number} with a long name.txt"
        source = {"name": name, "inbox_path": "", "size": 1, "sha256": "0" * 64, "encoding": "utf-8",
                  "warnings": [], "copy": "source.txt"}
        store.folder(f"job-{number:04d}").mkdir(parents=True)
        store.save(Job(f"job-{number:04d}", "failed", source, {}, [], [], error="bad input: " + "why " * 20))
    config = tmp_path / "config.toml"
    config.write_text(f'[paths]\njobs = "{tmp_path / "jobs"}"\ninbox = "{tmp_path / "in"}"\noutbox = "{tmp_path / "out"}"\n')
    return config


def closed_early(*args: str, **environ: str) -> tuple[int, str]:
    """Run kokoro-narrator with args, read one line of its output, close the pipe; return (exit code, stderr)."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", **environ)
    process = subprocess.Popen([sys.executable, "-m", "kokoro_narrator.cli", *args],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    process.stdout.readline()
    process.stdout.close()  # as `| head -1` does
    stderr = process.stderr.read().decode()
    return process.wait(timeout=120), stderr


def test_status_into_a_pipe_closed_early_ends_without_a_traceback(tmp_path):
    config = many_jobs(tmp_path, 600)  # far more than a pipe holds: the writes meet the closed end
    code, stderr = closed_early("status", "--json", "--config", str(config))
    assert code == 0 and "Traceback" not in stderr and stderr.count("\n") <= 1, stderr


def test_any_command_into_a_pipe_closed_early_ends_with_one_line(tmp_path):
    book = tmp_path / "book.txt"
    book.write_text("".join(f"CHAPTER {n}\n\nA short chapter of a long book.\n\n" for n in range(1, 3000)))
    code, stderr = closed_early("chunk", str(book), "--json", "--max-chunk-chars", "100", XDG_CONFIG_HOME=str(tmp_path))
    assert code == 141
    assert one_line(stderr) and "broken pipe" in stderr, stderr


def test_status_prints_a_name_with_a_newline_escaped_on_one_line(tmp_path):
    result = kokoro_narrator("status", "--config", str(many_jobs(tmp_path, 2)))
    assert result.returncode == 0, result.stderr
    assert "two\\nlines.txt" in result.stdout
    assert not any(line.startswith("lines.txt") for line in result.stdout.splitlines())


def test_every_log_line_escapes_the_names_it_carries(tmp_path):
    """What `kokoro-narrator` sets up for its log: a name with a newline or a bad byte stays on one line."""
    import io
    import logging

    from kokoro_narrator.core.logs import EscapedArgs

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(EscapedArgs())
    logger = logging.getLogger("kokoro_narrator.test_names")
    logger.addHandler(handler)
    try:
        logger.warning("queued %s as job %s (%d chunks) from %s", "two\nlines.txt", "j-1", 3,
                       tmp_path / os.fsdecode(b"caf\xe9\n.txt"))
    finally:
        logger.removeHandler(handler)
    assert stream.getvalue().count("\n") == 1
    assert "two\\nlines.txt as job j-1 (3 chunks)" in stream.getvalue()
    assert "caf\\udce9\\n.txt" in stream.getvalue()


# ----------------------------------------------------------------------------- options every command shares


def run_module(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kokoro_narrator", *args], capture_output=True, text=True,
                          env=dict(os.environ, HF_HUB_OFFLINE="1"), timeout=120)


def test_python_dash_m_runs_the_command():
    result = run_module("--help")
    assert result.returncode == 0 and "status" in result.stdout and "synth" in result.stdout


def test_config_and_verbose_work_before_and_after_the_subcommand(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(f'[paths]\njobs = "{tmp_path / "jobs"}"\n')
    missing = tmp_path / "nope.toml"
    for args in (("--config", str(config), "status"), ("status", "--config", str(config)),
                 ("-v", "--config", str(config), "status"), ("--config", str(missing), "status", "--config", str(config))):
        result = run_module(*args)
        assert result.returncode == 0, (args, result.stderr)
    # Given only before the subcommand, the option is not lost to the subcommand's default.
    assert run_module("--config", str(missing), "status").returncode == 78


def test_every_option_has_help_text():
    from kokoro_narrator.cli.commands import build_parser

    parser = build_parser()
    pending = [parser]
    while pending:
        current = pending.pop()
        for action in current._actions:
            if action.choices and hasattr(action.choices, "values") and all(hasattr(p, "_actions") for p in action.choices.values()):
                pending += list(action.choices.values())
            elif action.dest != "help":
                assert action.help, f"{current.prog}: {action.option_strings or action.dest} has no help"
