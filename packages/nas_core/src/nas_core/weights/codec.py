"""A trained module's weights as bytes and back (torch; only trainers and exporters
import this)."""

from __future__ import annotations

import io

import torch
from torch import nn

from .errors import WeightsError

__all__ = ["load_state_dict", "state_dict_bytes"]


def state_dict_bytes(module: nn.Module) -> bytes:
    """``torch.save`` of `module`'s ``state_dict``, on the CPU (a file any machine
    loads)."""
    state = {k: v.detach().to("cpu").contiguous() for k, v in module.state_dict().items()}
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()


def load_state_dict(data: bytes, where: str = "the weights") -> dict[str, torch.Tensor]:
    """The ``state_dict`` in `data` (read with ``weights_only=True``: tensors only, no
    code runs); `WeightsError` naming `where` when it is not one."""
    try:
        state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as exc:
        raise WeightsError(f"{where}: not a torch state_dict file ({type(exc).__name__})") from exc
    if not isinstance(state, dict):
        raise WeightsError(f"{where}: holds a {type(state).__name__}, not a state_dict")
    return state
