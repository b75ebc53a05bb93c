"""The command line: `kokoro-narrator` and `python -m kokoro_narrator`."""

from .commands import main

__all__ = ["main"]
