"""Several warm engines: a pool of Ray actors that make a book's chunks, and the chunk assembly they share.

What the other subpackages may use; everything else here is private to engines/. Ray is imported
only when a pool is started (backend = "ray"): the local backend never imports it.
"""

from .assembly import add_segment, Made, segments, synthesis_args

__all__ = ["add_segment", "Made", "segments", "synthesis_args"]
