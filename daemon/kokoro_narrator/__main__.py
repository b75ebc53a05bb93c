"""`python -m kokoro_narrator`: the same as the `kokoro-narrator` command."""

import sys

from .cli import main

sys.exit(main())
