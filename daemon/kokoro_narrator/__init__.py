"""kokoro-narrator: a per-user daemon that turns ebooks into audiobooks with Kokoro-82M."""

__version__ = "0.1.0"
