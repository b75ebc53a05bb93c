"""The floor every stage stands on: configuration, atomic files, logging, the heartbeat.

What the other subpackages may use; everything else here is private to core/.
"""

from .atomic import (atomic_write, atomic_write_json, DISK_FULL, fsync_directory, is_temp, NAME_MAX, numbered_names,
                     remove_stale_temps, shorten_to_bytes, temp_name, wait_for_space)
from .config import (Config, ConfigError, DEFAULT_CONFIG_PATH, default_config_text, KokoroConfig, LANG_CODES,
                     LANGUAGE_NAMES, load_config, resolve_lang_code, xdg_expand)
from .heartbeat import age, beat
from .logs import escape_logged_names, setup_logging, shown
from .toml import tomllib

__all__ = ["age", "atomic_write", "atomic_write_json", "beat", "Config", "ConfigError", "DEFAULT_CONFIG_PATH",
           "default_config_text", "DISK_FULL", "escape_logged_names", "fsync_directory", "is_temp", "KokoroConfig",
           "LANG_CODES", "LANGUAGE_NAMES", "load_config", "NAME_MAX", "numbered_names", "remove_stale_temps",
           "resolve_lang_code", "setup_logging", "shorten_to_bytes", "shown", "temp_name", "tomllib", "wait_for_space",
           "xdg_expand"]
