"""Text and audio in sync: a book's sentence and word timings, its captions, and the read-along EPUB 3.

What the other subpackages may use; everything else here is private to sync/.
"""

from .book import book_timings, ChunkPlaces, TimedChunk
from .captions import write_captions
from .readalong import build_readalong, ReadAlongError
from .timings import BookTimings, read_timings, Sentence, TIMINGS_VERSION, timings_bytes, Word

__all__ = ["book_timings", "BookTimings", "build_readalong", "ChunkPlaces", "read_timings", "ReadAlongError",
           "Sentence", "TimedChunk", "TIMINGS_VERSION", "timings_bytes", "Word", "write_captions"]
