"""The one error family of the package."""

from __future__ import annotations

__all__ = ["SnacsError", "SpecError"]


class SnacsError(ValueError):
    """Base class of every error that snacs raises on purpose.

    Catch this to handle any bad input (a spec, an option, a Keras or torch model).
    """


class SpecError(SnacsError):
    """Raised when a spec (or a Keras / torch model being converted) is invalid.

    ``str(err)`` has msgspec's wording, ``"<reason> - at `<path>`"``, for example
    ``"Expected `float` <= 1.0 - at `$.layers[2].rate`"``; ``err.path`` is the JSON
    path of the offending field (``"$.layers[2].rate"``) or ``None`` when the whole
    document is at fault (malformed JSON), and ``err.reason`` is the text before it.
    """

    def __init__(self, reason: str, path: str | None = None) -> None:
        self.reason = reason
        self.path = path
        super().__init__(f"{reason} - at `{path}`" if path else reason)

    @classmethod
    def from_msgspec(cls, err: Exception, prefix: str = "$") -> SpecError:
        """Wrap a msgspec error, keeping its exact text and splitting off its path.

        ``prefix`` replaces the leading ``$`` of the path, so that errors found while
        converting a part of a document point into the whole document.
        """
        text = str(err)
        reason, sep, rest = text.rpartition(" - at `")
        if sep and rest.endswith("`"):
            path = rest[:-1]
            if prefix != "$" and path.startswith("$"):
                path = prefix + path[1:]
            return cls(reason, path)
        return cls(text, None)
