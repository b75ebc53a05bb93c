"""`python -m kokoro_narrator.cli`: the same as `python -m kokoro_narrator`."""

import sys

from .commands import main

sys.exit(main())
