"""Options every command shares, and `python -m kokoro_narrator`."""

import os
import subprocess
import sys


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kokoro_narrator", *args], capture_output=True, text=True,
                          env=dict(os.environ, HF_HUB_OFFLINE="1"), timeout=120)


def test_python_dash_m_runs_the_command():
    result = run("--help")
    assert result.returncode == 0 and "status" in result.stdout and "synth" in result.stdout


def test_config_and_verbose_work_before_and_after_the_subcommand(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(f'[paths]\njobs = "{tmp_path / "jobs"}"\n')
    missing = tmp_path / "nope.toml"
    for args in (("--config", str(config), "status"), ("status", "--config", str(config)),
                 ("-v", "--config", str(config), "status"), ("--config", str(missing), "status", "--config", str(config))):
        result = run(*args)
        assert result.returncode == 0, (args, result.stderr)
    # Given only before the subcommand, the option is not lost to the subcommand's default.
    assert run("--config", str(missing), "status").returncode == 78


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
