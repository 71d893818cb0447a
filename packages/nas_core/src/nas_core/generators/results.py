"""What the generators return: children with their changes, and skipped attempts."""

from __future__ import annotations

import msgspec

from nas_core.arch.diff import Change
from nas_core.arch.layers import Architecture

__all__ = ["Child", "SampleReport", "Skipped"]


class Child(msgspec.Struct, frozen=True, gc=False):
    """A generated child: its architecture (with a placeholder name derived from the
    parent's), the changes that make it from the parent (applied in order), and one
    sentence per change in the paper's words."""

    arch: Architecture
    changes: tuple[Change, ...]
    description: tuple[str, ...]


class Skipped(msgspec.Struct, frozen=True, gc=False):
    """A child or sample that was not made: the layer index (ablate) or the attempt
    number, counted from 0 (sample, vary), and why."""

    index_or_attempt: int
    reason: str


class SampleReport(msgspec.Struct, frozen=True, gc=False):
    """`sample_report`'s answer: the architectures, how many attempts it took, and the
    rejected attempts with their reasons (over the cap, duplicate)."""

    architectures: tuple[Architecture, ...]
    attempts: int
    rejected: tuple[Skipped, ...]
