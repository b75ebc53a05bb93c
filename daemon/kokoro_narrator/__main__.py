"""`python -m kokoro_narrator`: the same as the `kokoro-narrator` command."""

import sys

from .cli.commands import main

sys.exit(main())
