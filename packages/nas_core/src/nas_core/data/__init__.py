"""Data sets: the bundled digits, ``.npz`` files and CIFAR-10 python-format folders,
loaded into seeded, stratified train / validation / test splits (numpy; no torch)."""

from .dataset import Dataset
from .errors import DataError
from .load import load_dataset

__all__ = ["DataError", "Dataset", "load_dataset"]
