"""The widget's Python side: traits from a real session file, `models_frame`."""

from __future__ import annotations

import json

import pytest

from nas_core.events.fold import fold
from nas_core.events.session_file import read_session_file
from remap_notebook import View, bundle_js, models_frame
from remap_server.models_table import COLUMNS


def test_models_frame_has_the_table_columns_and_one_row_per_model(session_file):
    df = models_frame(session_file)
    assert list(df.columns) == list(COLUMNS)
    models = list(fold(read_session_file(session_file).envelopes).models)
    assert len(models) >= 2
    assert list(df.id) == models
    assert df.status.notna().all()


def test_from_file_sets_the_envelopes_bundle_and_src(session_file):
    w = View.from_file(session_file, view="overview")
    parsed = read_session_file(session_file)
    assert len(w._envelopes) == len(parsed.envelopes)
    assert [json.loads(e)["seq"] for e in w._envelopes] == [e.seq for e in parsed.envelopes]
    assert w.src.endswith("/api/sessions/s1/events")
    assert w._bundle == bundle_js()
    assert "staticSession" in w._bundle
    assert w.view == "overview"
    assert "render" in w._esm


def test_from_file_with_models_keeps_only_their_events(session_file):
    w = View.from_file(session_file, models=["m2"])
    about = {json.loads(e)["event"].get("model") for e in w._envelopes}
    assert about == {None, "m2"}
    with pytest.raises(ValueError, match="no model 'm9'"):
        View.from_file(session_file, models=["m9"])


def test_a_server_view_names_the_session_stream():
    w = View(view="drawer", server="http://127.0.0.1:9000/", session="abc")
    assert w.src == "http://127.0.0.1:9000/api/sessions/abc/events"
    assert w._envelopes == []
    assert w._bundle == ""
    with pytest.raises(ValueError, match="REMAP component"):
        View(view="<script>")
