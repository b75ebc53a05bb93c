"""`kokoro-narrator run` with its worker made to hang, for tests/e2e/test_daemon.py.

    python tests/support/stuck_daemon.py MARKER N run --config ...

After N pieces of audio are written to the chunk's `.partial`, the next write never returns
(as a write to a dead network file system would not): MARKER is written, and the worker waits
for ever. The rest of the daemon is the real one.
"""

import sys
import threading
from pathlib import Path

from kokoro_narrator.jobs import checkpoint
from kokoro_narrator.cli.commands import main

marker, allowed = Path(sys.argv[1]), int(sys.argv[2])
write_piece = checkpoint.PartialAudio.append
written = 0


def append_then_hang(self, audio):
    global written
    if written >= allowed:
        marker.write_text("stuck")
        threading.Event().wait()  # never set
    written += 1
    write_piece(self, audio)


checkpoint.PartialAudio.append = append_then_hang
sys.exit(main(sys.argv[3:]))
