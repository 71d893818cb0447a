"""Data sets: the bundled digits, ``.npz`` files, CIFAR-10 python-format folders, image
folders (one subfolder per class), Quick, Draw! ``.npy`` folders and MNIST-style IDX
files, loaded into seeded, stratified train / validation / test splits (numpy; no
torch), optionally of a subset of their classes."""

from .dataset import Dataset
from .errors import DataError
from .idx import encode_idx, parse_idx
from .load import KINDS, detect_kind, load_dataset

__all__ = [
    "KINDS",
    "DataError",
    "Dataset",
    "detect_kind",
    "encode_idx",
    "load_dataset",
    "parse_idx",
]
