"""REMAP's server: the HTTP API and live events (SSE) over a
`nas_core.service.SessionService`, the static UI, and the ``remap`` command.

    from remap_server import create_app
    app = create_app(service, host="127.0.0.1", token=None, allow_origins=())  # Starlette

``remap --help`` lists the commands (demo, new, serve, worker, sessions, export,
import, replay, reexecute).
"""

from .app import Limits, create_app
from .errors import BindError, RemapServerError
from .security import check_bind, is_loopback

__version__ = "0.1.0"

__all__ = [
    "BindError",
    "Limits",
    "RemapServerError",
    "__version__",
    "check_bind",
    "create_app",
    "is_loopback",
]
