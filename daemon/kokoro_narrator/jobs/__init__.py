"""A book's job: the store and its state machine, the lock, steering, checkpoints, the runner, progress, publishing.

What the other subpackages may use; everything else here is private to jobs/.
"""

from .identity import audio_settings, job_id
from .lock import holder, LockedError, StoreLock
from .progress import duration, history_speed, measure, Progress, seconds_left, total_chars
from .publish import export_book, voices_record
from .runner import JobRunner, leave_interrupted
from .steering import command, ControlError, is_paused, set_paused, Steering
from .store import ChunkState, Job, JobStatus, JobStore, queue_order, requeue, UNFINISHED
from .texts import chunk_texts

__all__ = ["audio_settings", "chunk_texts", "ChunkState", "command", "ControlError", "duration", "export_book",
           "history_speed", "holder", "is_paused", "Job", "job_id", "JobRunner", "JobStatus", "JobStore",
           "leave_interrupted", "LockedError", "measure", "Progress", "queue_order", "requeue", "seconds_left",
           "set_paused", "Steering", "StoreLock", "total_chars", "UNFINISHED", "voices_record"]
