"""The page: the queue, live progress, steering, uploads and a read-along player, served from the daemon.

Optional (`pip install kokoro-narrator[web]`, `[web] enabled = true`, docs/web.md). The daemon
imports this room only when the page is on, so with it off neither Starlette nor uvicorn is loaded.
What the other subpackages may use; everything else here is private to web/.
"""

from .access import login_url, WebError
from .server import start_web, WebServer

__all__ = ["login_url", "start_web", "WebError", "WebServer"]
