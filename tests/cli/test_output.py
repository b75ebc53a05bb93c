"""output.py: one line on stderr and a shell exit code when a command cannot finish."""

import pytest

from kokoro_narrator.cli.output import EXIT_INTERRUPTED, EXIT_PIPE, one_line_error


def test_an_error_is_one_line_naming_the_command_and_the_exception(capsys):
    assert one_line_error("status", ValueError("bad\nthing")) == 1
    assert capsys.readouterr().err == "kokoro-narrator status: ValueError: bad thing (run with -v for the details)\n"
    assert one_line_error("synth", RuntimeError(), verbose=True) == 1
    assert capsys.readouterr().err.endswith("kokoro-narrator synth: RuntimeError\n")


def test_ctrl_c_is_130_and_system_exit_passes_through(capsys):
    assert one_line_error("synth", KeyboardInterrupt()) == EXIT_INTERRUPTED == 130
    assert capsys.readouterr().err == "kokoro-narrator synth: interrupted\n"
    with pytest.raises(SystemExit):
        one_line_error("run", SystemExit(2))
    assert EXIT_PIPE == 141
