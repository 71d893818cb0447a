"""REMAP's server: the HTTP API and live events (SSE) over a
`nas_core.service.SessionService`, the static UI, and the ``remap`` command.

    from remap_server import create_app
    app = create_app(service, token=None, allow_origins=())   # a Starlette app

``remap --help`` lists the commands (demo, new, serve, worker, sessions, export,
import, replay, reexecute).
"""

from .app import Limits, create_app
from .security import BindError, check_bind, is_loopback

__version__ = "0.1.0"

__all__ = ["BindError", "Limits", "__version__", "check_bind", "create_app", "is_loopback"]
