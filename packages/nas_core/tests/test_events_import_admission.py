"""What a session file from outside may bring into a store (issue 15): `import_session`
applies the HTTP API's rules itself, so that ``remap import`` and ``POST /api/import``
cannot differ. A session id outside `SESSION_ID` or a data set path that could read
beyond the data folder is an `UnsafeSessionFile` naming the line and field, and the
store is left as it was."""

from __future__ import annotations

import json
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nas_core.events import (
    EventStore,
    SessionFileError,
    UnsafeSessionFile,
    export_session,
    import_session,
)
from nas_core.specs import InputError, check_session_id

from nas_core_event_sim import Sim

BAD_IDS = ["../../etc", "<script>alert(1)</script>", "a" * 65, "a\x00b", "x\n", "", "a b"]
BAD_PATHS = ["../../etc/passwd", "/etc/passwd", "~/x.npz", "a\x00b.npz", "n" * 300]


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> bytes:
    folder = tmp_path_factory.mktemp("admission")
    with EventStore(folder / "source.db") as store:
        Sim(store, session="s1", name="shared").play([("sample", 2)])
        path = folder / "s1.remap.jsonl"
        export_session(store, "s1", path)
    return path.read_bytes()


def as_session(export: bytes, session: str) -> bytes:
    return export.replace(b'"s1"', json.dumps(session).encode())


def with_data(export: bytes, path: str, kind: str = "npz") -> bytes:
    header, created, *rest = export.splitlines()
    line = json.loads(created)
    line["event"]["data"].update(kind=kind, path=path)
    return b"\n".join([header, json.dumps(line).encode(), *rest]) + b"\n"


@pytest.mark.parametrize("session", [s for s in BAD_IDS if s])  # "" is no session: a 400
def test_a_session_id_a_store_must_not_hold_is_refused(tmp_path, export, session) -> None:
    with EventStore(tmp_path / "to.db") as store:
        with pytest.raises(UnsafeSessionFile) as refused:
            import_session(store, as_session(export, session), data_root=tmp_path)
        assert (refused.value.line, refused.value.path) == (1, "$.session")
        assert "must be 1 to 64 letters, digits" in refused.value.reason
        assert store.sessions() == []


@pytest.mark.parametrize("path", BAD_PATHS)
def test_a_data_path_out_of_the_data_folder_is_refused(tmp_path, export, path) -> None:
    with EventStore(tmp_path / "to.db") as store:
        for root in (tmp_path, None):  # None: no data folder, so no file at all
            with pytest.raises(UnsafeSessionFile) as refused:
                import_session(store, with_data(export, path), data_root=root)
            assert (refused.value.line, refused.value.path) == (2, "$.data.path")
            assert refused.value.reason.startswith("session_created: data.path ")
        assert store.sessions() == []


def test_a_data_set_inside_the_data_folder_is_imported(tmp_path, export) -> None:
    (tmp_path / "sets").mkdir()
    with EventStore(tmp_path / "to.db") as store:
        with pytest.raises(UnsafeSessionFile, match="no data folder"):
            import_session(store, with_data(export, "sets/x.npz"))  # no data_root given
        result = import_session(store, with_data(export, "sets/x.npz"), data_root=tmp_path)
        assert (result.session, result.added) == ("s1", len(export.splitlines()) - 1)
    with EventStore(tmp_path / "digits.db") as store:  # the bundled digits: no folder needed
        assert import_session(store, export).added == len(export.splitlines()) - 1


def test_the_refusal_pickles_and_is_a_session_file_error() -> None:
    error = UnsafeSessionFile("f.remap.jsonl", 2, "session_created: data.path x", "$.data.path")
    again = pickle.loads(pickle.dumps(error))
    assert isinstance(again, SessionFileError)
    assert (again.file, again.line, again.reason, again.path) == (
        "f.remap.jsonl", 2, "session_created: data.path x", "$.data.path"
    )  # fmt: skip
    assert str(again) == "f.remap.jsonl, line 2: session_created: data.path x"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=70) | st.from_regex(r"[A-Za-z0-9_.\-]{1,70}\n?", fullmatch=True))
def test_a_session_id_is_the_whole_string_of_its_alphabet(session: str) -> None:
    ok = 1 <= len(session) <= 64 and all(
        c.isascii() and (c.isalnum() or c in "_.-") for c in session
    )
    if ok:
        check_session_id(session)
    else:
        with pytest.raises(InputError) as refused:
            check_session_id(session)
        assert refused.value.path == "$.session"
