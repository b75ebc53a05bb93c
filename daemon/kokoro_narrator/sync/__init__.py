"""Text and audio in sync: a book's sentence and word timings, its captions, and the read-along EPUB 3.

What the other subpackages may use; everything else here is private to sync/.
"""

from .timings import BookTimings, read_timings, Sentence, TIMINGS_VERSION, Word

__all__ = ["BookTimings", "read_timings", "Sentence", "TIMINGS_VERSION", "Word"]
