"""The type tables that dispatch events and commands cover their unions: a new member
of `Event` without a fold handler, or of `Command` without a `decide` handler, fails
here (and not on the first session that records it)."""

from __future__ import annotations

from typing import get_args

import msgspec
import pytest

from nas_core.events import (
    EVENT_TYPES,
    PROJECTIONS,
    STATUSES,
    Command,
    CommandError,
    EpochCompleted,
    Event,
    Projection,
    Status,
    decide,
)
from nas_core.events.commands import _DECIDERS
from nas_core.events.fold import _HANDLERS

from nas_core_event_sim import Sim


def test_every_event_kind_has_a_fold_handler():
    # "epoch completed", the most frequent kind, is folded inline by the fold's loop
    assert EpochCompleted not in _HANDLERS
    assert set(_HANDLERS) | {EpochCompleted} == set(get_args(Event))


def test_every_command_has_a_decide_handler():
    assert set(_DECIDERS) == set(get_args(Command))


def test_the_tables_of_names_follow_their_unions():
    assert list(EVENT_TYPES.values()) == list(get_args(Event))
    assert all(tag == cls.__struct_config__.tag for tag, cls in EVENT_TYPES.items())
    assert get_args(Projection) == PROJECTIONS
    assert PROJECTIONS == ("accuracy", "structure", "predictions", "search")
    assert get_args(Status) == STATUSES
    assert STATUSES == ("created", "queued", "running", "done", "failed", "cancelled")


class NotACommand(msgspec.Struct, frozen=True):
    id: str | None = "x"


def test_decide_refuses_what_is_not_a_command():
    state = Sim().state
    with pytest.raises(CommandError, match="not a command: NotACommand") as info:
        decide(state, NotACommand())  # type: ignore[arg-type]
    assert info.value.path == "$"
