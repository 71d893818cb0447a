"""One-shot search in a session (issue 18): the commands' checks and paths, a region
steering the search, and a whole search run by the service's runner in its trainer
processes, exported, imported and re-executed with the same weights and losses."""

from __future__ import annotations

import io
import random

import msgspec
import pytest
from nas_core_oneshot_sim import oneshot_story, work_once

from nas_core.events import CommandError, EventStore, fold
from nas_core.events.commands import (
    AssembleCandidate,
    DefineSupernet,
    HighlightBlocks,
    SampleSearchSpace,
    SelectRegion,
    StartSearch,
    TrainSupernet,
    decode_command,
)
from nas_core.events.session_file import export_session, import_session, read_session_file
from nas_core.oneshot import in_region, mask_key

from nas_core_event_sim import Sim


def test_define_refuses_a_bad_template_and_a_bad_arch_with_paths():
    sim = Sim()
    with pytest.raises(CommandError) as err:
        sim.command(DefineSupernet(template="nope"))
    assert err.value.path == "$.template"
    conv = [{"type": "conv", "filters": 4}], [{"type": "conv", "filters": 8}]
    head = [{"type": "flatten"}, {"type": "dense", "units": 10}]
    arch = {
        "name": "x",
        "input": {"shape": [1, 8, 8], "classes": 10},
        "layers": [
            {"id": "L1", "blocks": [{"id": "b1", "components": conv[0]},
                                    {"id": "b2", "components": conv[1]}]},
            {"id": "L2", "blocks": [{"id": "b3", "components": head}]},
        ],
    }  # fmt: skip
    body = {"type": "define_supernet", "arch": arch}
    with pytest.raises(CommandError) as err:
        sim.command(decode_command(msgspec.json.encode(body)))
    assert err.value.path == "$.arch.layers[0].blocks[1]"
    with pytest.raises(CommandError) as err:
        sim.command(DefineSupernet(template="alexnet-cifar-v1"))
    assert "this session's data are 1×8×8" in err.value.reason


def test_an_edit_with_a_fractional_parameter_appends_nothing():
    sim = Sim()
    sim.command(DefineSupernet(template="lenet-digits-v1"))
    before = sim.state.last_seq
    body = {"type": "edit_supernet", "edits": [{"op": "set_params", "block": "b1", "index": 0,
                                                 "params": {"filters": 20.4}}]}  # fmt: skip
    with pytest.raises(CommandError) as err:
        sim.command(decode_command(msgspec.json.encode(body)))
    assert err.value.path == "$.edits[0].params.filters"
    assert "nearest valid value: 20" in err.value.reason
    assert sim.state.last_seq == before


def test_a_search_needs_a_trained_or_queued_supernet_and_a_history_to_assemble():
    sim = Sim()
    sim.command(DefineSupernet(template="lenet-digits-v1"))
    with pytest.raises(CommandError, match="train it first"):
        sim.command(StartSearch())
    sim.command(TrainSupernet(epochs=1, seed=1))
    sim.command(StartSearch(iterations=2, seed=3))
    with pytest.raises(CommandError, match="no completed iteration"):
        sim.command(AssembleCandidate())
    planned = sim.state.oneshot.searches["q1"].planned
    assert planned.iteration == 0
    assert len(planned.children) == 12


def test_a_region_steers_every_later_child_into_it():
    sim = Sim()
    sim.command(DefineSupernet(template="lenet-digits-multi-v1"))
    sim.command(TrainSupernet(epochs=1, seed=1))
    while work_once(sim) and sim.state.oneshot.supernets["s1"].status != "done":
        pass
    sim.command(SampleSearchSpace(count=60, seed=2))
    sim.command(StartSearch(iterations=4, seed=5))
    space = sim.state.oneshot.spaces["s1"]
    xs = sorted(p[0] for p in space.positions)
    rect = ((xs[0] - 0.01, -100.0), (xs[len(xs) // 3], 100.0))
    sim.command(SelectRegion(shape="rect", points=rect, mode="pool"))
    region = sim.state.oneshot.searches["q1"].region
    assert region.members
    assert all(
        in_region(region.region, p)
        for m, p in zip(space.masks, space.positions, strict=True)
        if m in region.members
    )
    for _ in range(500):
        if not work_once(sim):
            break
    q = sim.state.oneshot.searches["q1"]
    assert q.status == "done"
    assert len(q.history) == 4
    evals = sim.state.oneshot.evaluations["s1"]
    later = [e.event for e in sim.envelopes if type(e.event).__name__ == "SearchIterationPlanned"
             and e.event.iteration >= 1]  # fmt: skip
    assert later
    for plan in later:
        for m in [*plan.elite, *(c.mask for c in plan.children)]:
            assert in_region(region.region, evals[mask_key(m)].position) or m in region.members
    sim.command(HighlightBlocks(op="complement"))
    assert sim.state.oneshot.highlight.op == "complement"


def test_the_story_folds_and_exports_and_imports(tmp_path):
    sim = Sim()
    oneshot_story(sim, random.Random(3))
    assert sim.state.oneshot.rank_checks["r1"].status == "done"
    store = EventStore(tmp_path / "a.db")
    store.append("s1", [msgspec.structs.replace(p, at=e.at) for p, e in
                        zip(_pending(sim), sim.envelopes, strict=True)])  # fmt: skip
    out = io.BytesIO()
    export_session(store, "s1", out)
    parsed = read_session_file(out.getvalue())
    assert fold(parsed.envelopes) == fold(sim.envelopes)
    other = EventStore(tmp_path / "b.db")
    import_session(other, out.getvalue())
    assert fold(other.read("s1")).oneshot == sim.state.oneshot


def _pending(sim):
    from nas_core.events import Pending

    return [Pending(e.id, e.event) for e in sim.envelopes]


@pytest.mark.slow
def test_a_search_runs_in_the_trainer_processes_and_re_executes(tmp_path):
    from nas_core.service import SessionService

    store = EventStore(tmp_path / "s.db")
    with SessionService(store, data_root=tmp_path, processes=1) as service:
        session = service.create_session("one-shot")
        service.execute(session, DefineSupernet(template="lenet-digits-v1"))
        service.execute(session, TrainSupernet(epochs=2, seed=1))
        service.execute(session, SampleSearchSpace(count=10, seed=2))
        service.execute(session, StartSearch(iterations=2, seed=3))
        state = service.oneshot.wait(
            session, lambda s: s.oneshot.searches["q1"].status == "done", timeout_s=300
        )
        record = state.oneshot.supernets[state.oneshot.supernet]
        assert (tmp_path / record.path).is_file()
        assert record.sha256 in record.path
        service.execute(session, AssembleCandidate(rule="argmax", epochs=1))
        state = service.wait_idle(session, timeout_s=300)
        (candidate,) = state.oneshot.candidates
        assert state.models[candidate.model].status == "done"
        assert state.models[candidate.model].origin.mask == candidate.mask
        again = service.reexecute(list(store.read(session)))
        replayed = service.oneshot.wait(
            again, lambda s: s.oneshot.search is not None
            and s.oneshot.searches["q1"].status == "done", timeout_s=300,
        )  # fmt: skip
        assert replayed.oneshot.supernets["s1"].sha256 == state.oneshot.supernets["s1"].sha256
        assert [h.losses for h in replayed.oneshot.searches["q1"].history] == [
            h.losses for h in state.oneshot.searches["q1"].history
        ]
