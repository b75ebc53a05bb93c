"""`python -m kokoro_tts`: the same as the `kokoro-tts` command."""

import sys

from .cli import main

sys.exit(main())
