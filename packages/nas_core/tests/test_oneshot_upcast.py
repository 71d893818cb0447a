"""A supernet training queued before per-sample routing existed (event version 1) reads
as the paper's per-batch path, so an old session re-executes the training it recorded."""

from __future__ import annotations

import msgspec

from nas_core.events.kinds import VERSIONS, SupernetTrainingQueued
from nas_core.events.upcast import decode_event
from nas_core.oneshot import SupernetConfig

OLD = {
    "kind": "supernet_training_queued",
    "supernet": "s1",
    "config": {"epochs": 30, "lr": 0.05, "momentum": 0.9, "batch_size": 32, "keep_prob": 0.5,
               "schedule": "cosine", "optimizer": "sgd", "weight_decay": 0.0001},
    "seed": 7,
}  # fmt: skip


def test_a_version_1_supernet_training_reads_as_per_batch_routing():
    assert VERSIONS["supernet_training_queued"] == 2
    event = decode_event("supernet_training_queued", 1, msgspec.json.encode(OLD))
    assert event == SupernetTrainingQueued(
        "s1", SupernetConfig(epochs=30, lr=0.05, batch_size=32, routing="batch"), 7
    )
    # before the optimizer field (12:33 UTC) too
    older = {**OLD, "config": {k: v for k, v in OLD["config"].items() if k != "optimizer"}}
    assert decode_event("supernet_training_queued", 1, msgspec.json.encode(older)) == event


def test_new_trainings_record_their_routing_and_default_to_per_sample():
    body = msgspec.json.encode(SupernetTrainingQueued("s1", SupernetConfig(), 1))
    assert b'"routing":"sample"' in body
    assert decode_event("supernet_training_queued", 2, body).config.routing == "sample"
