"""The daemon: the worker loop under the main thread's supervision, sd_notify, the systemd unit.

What the other subpackages may use; everything else here is private to service/.
"""

from .daemon import Daemon, EX_STUCK
from .notify import Notifier
from .unit import default_exec_start, install_instructions, install_unit

__all__ = ["Daemon", "default_exec_start", "EX_STUCK", "install_instructions", "install_unit", "Notifier"]
