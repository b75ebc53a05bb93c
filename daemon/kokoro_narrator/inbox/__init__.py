"""The inbox: watching it, taking a file in (with its per-book settings and sidecars), and tidying it afterwards.

What the other subpackages may use; everything else here is private to inbox/.
"""

from .afterwards import book_ended
from .ingest import book_cast, create_job, job_settings, take_in
from .settings import book_lang_code, BookSettingsError, read_book_settings, warn_about_language
from .sidecars import lexicon_sidecar, settings_sidecar
from .watcher import InboxWatcher, is_candidate_name, MAX_BOOK_BYTES

__all__ = ["book_cast", "book_ended", "book_lang_code", "BookSettingsError", "create_job", "InboxWatcher", "is_candidate_name", "job_settings",
           "lexicon_sidecar", "MAX_BOOK_BYTES", "read_book_settings", "settings_sidecar", "take_in", "warn_about_language"]
