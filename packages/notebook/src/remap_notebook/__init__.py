"""REMAP's views inside Jupyter notebooks: `View` (an anywidget over a running server's
session or a session file) and `models_frame` (a session's models as a DataFrame)."""

from .frame import models_frame
from .widget import View, bundle_js

__all__ = ["View", "bundle_js", "models_frame"]
