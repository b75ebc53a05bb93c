"""Several warm engines: a pool of Ray actors that make a book's chunks, and the chunk assembly they share.

What the other subpackages may use; everything else here is private to engines/. Ray is imported
only when a pool is started (backend = "ray", `start_pool`): the local backend never imports it.
"""

from .assembly import add_segment, Made, segments, synthesis_args
from .pool import Dispatch, Done, ENGINES_FILE, EnginePool, Failed, read_status, Refused, start_pool, Task
from .runtime import ray_temp_dir, Unreachable
from .worker import local_path

__all__ = ["add_segment", "Dispatch", "Done", "ENGINES_FILE", "EnginePool", "Failed", "local_path", "Made",
           "ray_temp_dir", "read_status", "Refused", "segments", "start_pool", "synthesis_args", "Task", "Unreachable"]
