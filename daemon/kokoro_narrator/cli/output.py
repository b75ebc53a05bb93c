"""What the command line says: one line per message, and one line when a command cannot finish.

`kokoro-narrator status | head` closes the pipe after ten lines; Ctrl-C stops a `synth`; a bug
raises something unexpected. Each ends the command with one line naming the command and
what happened, and an exit code a shell can test: 141 for a closed pipe (as if killed by
SIGPIPE, which Python ignores), 130 for Ctrl-C, 1 otherwise. With `-v` the traceback of an
unexpected error is logged too.
"""

from __future__ import annotations

import logging
import os
import sys


log = logging.getLogger(__name__)

EXIT_PIPE = 128 + 13
EXIT_INTERRUPTED = 128 + 2


def one_line_error(command: str, exc: BaseException, verbose: bool = False) -> int:
    """Given the command and what stopped it, print one line to stderr; return the exit code.

    SystemExit passes through unchanged (argparse and parser.exit use it).
    """
    if isinstance(exc, SystemExit):
        raise exc
    if isinstance(exc, BrokenPipeError):
        _stdout_to_devnull()
        _say(f"kokoro-narrator {command}: output closed before it was all written (broken pipe)")
        return EXIT_PIPE
    if isinstance(exc, KeyboardInterrupt):
        _say(f"kokoro-narrator {command}: interrupted")
        return EXIT_INTERRUPTED
    if verbose:
        log.error("kokoro-narrator %s failed", command, exc_info=exc)
    detail = str(exc).replace("\n", " ").strip()
    _say(f"kokoro-narrator {command}: {type(exc).__name__}{': ' + detail if detail else ''}"
         f"{'' if verbose else ' (run with -v for the details)'}")
    return 1


def _stdout_to_devnull() -> None:
    """Point stdout at /dev/null, so that Python's flush at exit does not raise again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _say(line: str) -> None:
    try:
        print(line, file=sys.stderr)
    except OSError:  # stderr closed too: nothing more can be said
        pass
