"""The one error family of the package."""

from __future__ import annotations

from ._decode_words import explain_decode_error

__all__ = ["SnacsError", "SnacsTypeError", "SpecError"]


class SnacsError(ValueError):
    """Base class of every error that snacs raises on purpose.

    Catch this to handle any bad input (a spec, an option, a Keras or torch model).
    """


class SpecError(SnacsError):
    """Raised when a spec (or a Keras / torch model being converted) is invalid.

    ``str(err)`` reads ``"<reason> - at `<path>`"``, for example
    ``"must be at most 1.0 - at `$.layers[2].rate`"``; ``err.path`` is the JSON path of
    the offending field (``"$.layers[2].rate"``; ``"$"`` when the whole document is at
    fault, e.g. malformed JSON) or ``None`` for a problem that is not in a document
    (a torch model), and ``err.reason`` is the text before it. The words are snacs'
    own, never msgspec's (see :func:`snacs.explain_decode_error`).
    """

    def __init__(self, reason: str, path: str | None = None) -> None:
        self.reason = reason
        self.path = path
        super().__init__(f"{reason} - at `{path}`" if path else reason)

    @classmethod
    def from_msgspec(cls, err: BaseException, prefix: str = "$") -> SpecError:
        """The error for a msgspec decoding error (or a ``UnicodeError`` /
        ``RecursionError`` raised while decoding), in snacs' words, with its path.

        ``prefix`` replaces the leading ``$`` of the path, so that errors found while
        converting a part of a document point into the whole document.
        """
        return cls(*explain_decode_error(err, prefix))


class SnacsTypeError(SpecError, TypeError):
    """Raised when a spec is neither a Spec, a dict, nor JSON text or bytes."""

    def __init__(self, data: object) -> None:
        super().__init__(
            f"a spec must be a snacs.Spec, a dict, or JSON text or bytes, not {type(data).__name__}"
        )
