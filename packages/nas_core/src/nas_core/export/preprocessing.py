"""How raw pixels become a model's input tensor, per data set kind, in words and
numbers (the sidecar of an export). Stated from the loaders of `nas_core.data`: no
mean/std normalisation anywhere, only a scale to 0..1 and channels first."""

from __future__ import annotations

from typing import Any

from nas_core.specs import DataSpec

__all__ = ["preprocessing"]

_UINT8 = "uint8 pixels divided by 255 (0..255 to float32 0..1); float arrays are kept as stored"

_STEPS: dict[str, tuple[float | None, str]] = {
    "digits": (
        1 / 16,
        "scikit-learn's 8x8 digits: pixel values 0..16 divided by 16 (float32 0..1), one "
        "channel",
    ),
    "npz": (1 / 255, f"arrays x_train/x_test of the .npz file: {_UINT8}; (N, H, W) gains "
            "one channel, (N, H, W, C) is transposed to channels first"),
    "cifar10": (1 / 255, f"CIFAR-10 python batches: {_UINT8}; 3 channels (RGB)"),
    "idx": (1 / 255, f"MNIST-style IDX images: {_UINT8}; one channel"),
    "quickdraw": (1 / 255, "Quick, Draw! bitmaps (784 uint8 values, 28x28) divided by 255 "
                  "(float32 0..1); one channel"),
    "image_folder": (
        1 / 255,
        "decoded with Pillow: grey images (modes 1, L, LA; 16-bit and float ones scaled "
        "to 0..255 by their maximum) stay one channel unless the folder holds colour "
        "images, then all are converted to RGB (alpha dropped); resized with bilinear "
        "resampling to height x width when an image size was given; uint8 divided by "
        "255 (float32 0..1)",
    ),
}  # fmt: skip


def preprocessing(spec: DataSpec, input_shape: tuple[int, ...]) -> dict[str, Any]:
    """What to do to raw pixels to get the input of a model trained on `spec`."""
    scale, text = _STEPS[spec.kind]
    c, h, w = input_shape
    described: dict[str, Any] = {
        "steps": text,
        "scale": scale,
        "mean": None,
        "std": None,
        "dtype": "float32",
        "layout": "NCHW",
        "input_shape": [c, h, w],
        "channels": "grey" if c == 1 else "RGB" if c == 3 else f"{c} channels",
    }
    if spec.kind == "image_folder":
        described["resize"] = {
            "size": None if spec.image_size is None else list(spec.image_size),
            "resample": "bilinear",
        }
    if spec.classes is not None:
        described["classes_kept"] = list(spec.classes)
    return described
