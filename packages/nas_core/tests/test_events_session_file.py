"""Session files (``*.remap.jsonl``): export → import → fold is the identity, imports
are idempotent, and every hostile file is refused with its line number, nothing written."""

from __future__ import annotations

import io

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings

from nas_core.events import (
    FORMAT_VERSION,
    EventStore,
    Sample,
    SessionFileError,
    StoreError,
    export_session,
    fold,
    import_session,
    read_session_file,
)

from nas_core_event_sim import Sim, actions


def exported(tmp_path, steps=(("sample", 3), ("start", 0), ("epoch", 1), ("finish", 2))):
    with EventStore(tmp_path / "source.db") as store:
        sim = Sim(store, session="s1", name="shared")
        sim.play(list(steps))
        path = tmp_path / "s1.remap.jsonl"
        assert export_session(store, "s1", path) == len(sim.envelopes)
    return sim, path


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(actions)
def test_export_import_fold_is_the_identity(tmp_path_factory, steps):
    tmp_path = tmp_path_factory.mktemp("roundtrip")
    sim, path = exported(tmp_path, steps)
    with EventStore(tmp_path / "target.db") as target:
        result = import_session(target, path)
        assert (result.session, result.added, result.last_seq) == (
            "s1",
            len(sim.envelopes),
            len(sim.envelopes),
        )
        assert result.name == "shared"
        assert target.read("s1") == sim.envelopes  # ids, seqs, times, events: all kept
        assert fold(target.read("s1")) == sim.state
        again = import_session(target, path)  # importing the same file twice: a no-op
        assert again.added == 0
        assert target.last_seq("s1") == len(sim.envelopes)
        # the re-export is the same file but for its export time
        export_session(target, "s1", tmp_path / "again.remap.jsonl")
    first = path.read_bytes().split(b"\n")
    second = (tmp_path / "again.remap.jsonl").read_bytes().split(b"\n")
    assert first[1:] == second[1:]
    assert read_session_file(path).envelopes == tuple(sim.envelopes)


def test_the_header_line(tmp_path):
    sim, path = exported(tmp_path)
    header = msgspec.json.decode(path.read_bytes().split(b"\n")[0])
    assert header["format"] == "remap-session"
    assert header["format_version"] == FORMAT_VERSION
    assert header["session"] == "s1"
    assert header["name"] == "shared"
    assert header["last_seq"] == len(sim.envelopes)
    assert header["settings"]["train"]["epochs"] == 3
    assert header["exported_at"].endswith("Z")
    assert path.read_bytes().endswith(b"\n")


def test_export_to_a_file_object_and_import_from_bytes(tmp_path):
    with EventStore(tmp_path / "a.db") as store:
        sim = Sim(store)
        buffer = io.BytesIO()
        export_session(store, "s1", buffer)
        with pytest.raises(StoreError, match="no session 'zz'"):
            export_session(store, "zz", io.BytesIO())
    with EventStore(tmp_path / "b.db") as other:
        import_session(other, buffer.getvalue())
        assert other.read("s1") == sim.envelopes


def test_import_extends_a_store_that_holds_an_earlier_export(tmp_path):
    with EventStore(tmp_path / "a.db") as store:
        sim = Sim(store)
        sim.command(Sample(count=2, seed=1))
        export_session(store, "s1", tmp_path / "early.remap.jsonl")
        sim.command(Sample(count=1, seed=2))
        export_session(store, "s1", tmp_path / "late.remap.jsonl")
    with EventStore(tmp_path / "b.db") as other:
        assert import_session(other, tmp_path / "early.remap.jsonl").added == 5
        assert import_session(other, tmp_path / "late.remap.jsonl").added == 2
        assert import_session(other, tmp_path / "early.remap.jsonl").added == 0
        assert fold(other.read("s1")) == sim.state


def test_a_different_session_under_the_same_id_is_refused(tmp_path):
    _, path = exported(tmp_path)
    with EventStore(tmp_path / "other.db") as store:
        Sim(store, session="s1", name="someone else's").command(Sample(count=1, seed=99))
        before = store.read_rows("s1")
        with pytest.raises(SessionFileError, match="holds a different session with the id 's1'"):
            import_session(store, path)
        assert store.read_rows("s1") == before


# --- hostile files ------------------------------------------------------------------------


def lines_of(path) -> list[bytes]:
    return path.read_bytes().split(b"\n")[:-1]


def edit(line: bytes, **changes) -> bytes:
    data = msgspec.json.decode(line)
    for key, value in changes.items():
        if key == "event":
            data["event"].update(value)
        else:
            data[key] = value
    return msgspec.json.encode(data)


def hostile_cases(lines: list[bytes]) -> dict[str, tuple[bytes, int | None, str]]:
    """Each case: the file's bytes, the line the error must name, words of its reason.
    `lines[0]` is the header, `lines[k]` line k + 1 (seq k): 1 session created, 2 model
    created, 3 training queued, …"""
    n = len(lines)

    def file(ls: list[bytes]) -> bytes:
        return b"\n".join(ls) + b"\n"

    def swap(k: int, line: bytes) -> bytes:  # line k + 1 replaced
        return file([*lines[:k], line, *lines[k + 1 :]])

    other_id = msgspec.json.decode(lines[2])["id"]
    header = msgspec.json.decode(lines[0])
    return {
        "truncated mid-line": (file(lines)[:-8], n, "truncated"),
        "cut at a line": (file(lines[:-1]), n - 1, "truncated"),
        "corrupt json": (swap(3, b'{"seq": 3, "id": '), 4, "not an event line"),
        "gap": (file([*lines[:3], *lines[4:]]), 4, "a gap"),
        "out of order": (file([*lines[:4], lines[2], *lines[4:]]), 5, "out of order"),
        "wrong session": (swap(2, edit(lines[2], session="s2")), 3, "belongs to session 's2'"),
        "duplicate id": (swap(3, edit(lines[3], id=other_id)), 4, "duplicate event id"),
        "unknown kind": (
            swap(3, edit(lines[3], event={"kind": "model_exploded"})),
            4,
            "unknown event kind 'model_exploded'",
        ),
        "bad body": (
            swap(2, edit(lines[2], event={"params": "many"})),
            3,
            "must be an integer, not a string - at `$.event.params`",
        ),
        "newer event version": (
            swap(3, edit(lines[3], version=9)),
            4,
            "newer than this program knows",
        ),
        "bad time": (swap(2, edit(lines[2], at="yesterday")), 3, "not a UTC time"),
        "blank line": (file([*lines[:3], b"", *lines[3:]]), 4, "blank line"),
        "first is not created": (swap(1, edit(lines[2], seq=1)), 2, "must be 'session_created'"),
        "newer format": (
            swap(0, edit(lines[0], format_version=FORMAT_VERSION + 1)),
            1,
            "newer than this program reads",
        ),
        "not a session file": (
            swap(0, msgspec.json.encode({**header, "format": "csv"})),
            1,
            "not a REMAP session file",
        ),
        "header not json": (swap(0, b"hello"), 1, "not a REMAP session file"),
        "unknown field": (
            swap(2, edit(lines[2], extra=1)),
            3,
            "not an event line: is not a field of this object - at `$.extra`",
        ),
        "key twice in a line": (
            swap(2, lines[2][:-1] + b', "seq": 2}'),
            3,
            "`seq` appears twice - at `$`",
        ),
        "key twice in a body": (
            swap(2, lines[2].replace(b'"event":{', b'"event":{"kind":"x",', 1)),
            3,
            "`kind` appears twice - at `$.event`",
        ),
        "key twice in the header": (
            swap(0, lines[0][:-1] + b', "name": "x"}'),
            1,
            "bad header: `name` appears twice - at `$`",
        ),
        "not UTF-8": (
            swap(2, lines[2].replace(b'"id":"', b'"id":"\xff', 1)),
            3,
            "the line is not UTF-8 text (byte 0xff at offset ",
        ),
        "empty": (b"", None, "is empty"),
    }


CASES = [
    "truncated mid-line", "cut at a line", "corrupt json", "gap", "out of order",
    "wrong session", "duplicate id", "unknown kind", "bad body", "newer event version",
    "bad time", "blank line", "first is not created", "newer format", "not a session file",
    "header not json", "unknown field", "empty", "key twice in a line", "key twice in a body",
    "key twice in the header", "not UTF-8",
]  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_hostile_files_are_refused_with_the_line_and_nothing_written(tmp_path, case):
    _, path = exported(tmp_path)
    cases = hostile_cases(lines_of(path))
    assert sorted(cases) == sorted(CASES)
    data, line, match = cases[case]
    bad = tmp_path / "bad.remap.jsonl"
    bad.write_bytes(data)
    with EventStore(tmp_path / "target.db") as store:
        with pytest.raises(SessionFileError) as info:
            import_session(store, bad)
        assert store.sessions() == []
        assert store.read_rows("s1") == []
    assert info.value.line == line, str(info.value)
    assert match in str(info.value)
    where = f"bad.remap.jsonl, line {line}: " if line else "bad.remap.jsonl: "
    assert where in str(info.value)


def test_an_unreadable_file(tmp_path):
    with (
        EventStore(tmp_path / "t.db") as store,
        pytest.raises(SessionFileError, match="cannot be read"),
    ):
        import_session(store, tmp_path / "missing.remap.jsonl")
