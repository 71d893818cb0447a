"""Model out in a real browser (issue 19): the inspector's and the drawer's "Export"
menus download a trained model (the ONNX file runs in onnxruntime and predicts what
REMAP recorded), "Train longer" continues a model whose curve goes on from its parent's
last epoch, and a model whose weights file is gone says "weights missing" and is
retrained from there."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from .conftest import poll
from .test_ui_session_controls import WAIT_MS, command, open_app, state_of

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _labels(packed: str, n: int) -> list[int]:
    from nas_core.packed import unpack_labels

    return unpack_labels(base64.b64decode(packed)).tolist()[:n]


def test_export_train_longer_and_weights_missing(server, page, screenshot, tmp_path) -> None:
    session = server.new_session("model-out", sample=2, epochs=2, limit=400)
    state = server.wait_idle(session)
    # m2's file goes missing before the page opens
    digest = state["models"]["m2"]["result"]["weights"]["digest"]
    (server.data_dir / "weights" / digest[:2] / f"{digest}.pt").unlink()

    app = open_app(page, server, session, 2, tab="inspect")
    page.evaluate("() => document.querySelector('remap-app').session.select('m1')")
    inspector = app.locator("remap-inspector")
    part = inspector.get_by_role("region", name="Weights of m1")
    part.wait_for(timeout=WAIT_MS)
    part.locator("summary", has_text="Export").click()
    screenshot(page, "inspector-export-menu")
    with page.expect_download() as download:
        part.get_by_role("menuitem", name="ONNX (.onnx)").click()
    onnx_file = tmp_path / "m1.onnx"
    download.value.save_as(onnx_file)
    import onnxruntime

    from nas_core.data import load_dataset
    from nas_core.specs import DataSpec

    x = load_dataset(DataSpec(limit=400)).x_test
    run = onnxruntime.InferenceSession(str(onnx_file), providers=["CPUExecutionProvider"])
    got = run.run(None, {"input": x})[0].argmax(axis=1).tolist()
    assert got == _labels(state["models"]["m1"]["result"]["predictions"], len(x))

    # train longer: a new model whose curve goes on from m1's last epoch
    part.get_by_label("epochs to train m1 longer").fill("2")
    part.get_by_role("button", name="Train longer").click()
    poll(lambda: "m3" in state_of(server, session)["models"], "the continued model")
    state = server.wait_idle(session)
    m3 = state["models"]["m3"]
    assert m3["origin"]["type"] == "continued"
    assert m3["origin"]["parent"] == "m1"
    assert [e["epoch"] for e in m3["curve"]] == [3, 4]
    page.evaluate("() => document.querySelector('remap-app').session.select('m3')")
    inspector.get_by_role("region", name="Weights of m3").filter(
        has_text="continued from m1 at epoch 2"
    ).wait_for(timeout=WAIT_MS)
    screenshot(page, "inspector-train-longer")

    # weights missing: said, and retrained from the inspector
    page.evaluate("() => document.querySelector('remap-app').session.select('m2')")
    lost = inspector.get_by_role("region", name="Weights of m2")
    lost.get_by_role("status").filter(has_text="weights missing").wait_for(timeout=WAIT_MS)
    screenshot(page, "inspector-weights-missing")
    lost.get_by_role("button", name="Retrain").click()
    poll(lambda: state_of(server, session)["models"]["m2"]["attempts"] == 2, "m2 retrained")
    state = server.wait_idle(session)
    assert state["models"]["m2"]["status"] == "done"
    rows = {r["id"]: r["weights"] for r in server.get(f"/api/sessions/{session}/models")}
    assert rows == {"m1": "present", "m2": "present", "m3": "present"}

    # the drawer's Export menu
    command(server, session, {"type": "drawer_add", "models": ["m1", "m3"]})
    drawer = app.locator("remap-drawer")
    menu = drawer.locator("details.export-menu").first
    menu.wait_for(timeout=WAIT_MS)
    menu.locator("summary").click()
    links = menu.get_by_role("menuitem")
    assert links.count() == 4
    hrefs = [links.nth(k).get_attribute("href") for k in range(4)]
    assert [h.rsplit("format=", 1)[1] for h in hrefs] == [
        "onnx",
        "torchscript",
        "state_dict",
        "python",
    ]
    with page.expect_download() as download:
        links.nth(2).click()
    zipped = tmp_path / "m.zip"
    download.value.save_as(zipped)
    import zipfile

    assert sorted(zipfile.ZipFile(zipped).namelist())[1].endswith(".pt")
    screenshot(page, "drawer-export-menu")
    assert np.all(np.asarray(got) >= 0)
