"""One-shot search (issue 18): shared weights against training from scratch, the rank
check, and the evolutionary search against random subgraphs, ratios within one run.

1. Throughput: subgraphs scored per second with the supernet's shared weights against
   architectures of the same space trained from scratch per second (REMAP's `train`,
   the session's default config): >= 50×. End to end: training the supernet (the
   product's default `SupernetConfig`: per-sample routing, 15 epochs of batch 64) and
   scoring the whole single-path LeNet space (18) against training all 18 alone with
   the session's default `TrainConfig` (10 epochs), same data. The paper's per-batch
   path (30 epochs of batch 32, the default before) is timed beside it (the "before"
   figures): the default must be >= 1.6× cheaper end to end at a mean one-shot accuracy
   within 0.03 of it. A cheaper schedule (10 epochs of batch 128 at 0.2) is timed too:
   >= 10× end to end, at the lower accuracy it reports (docs/oneshot-training.md: why
   it is not the default).
2. Ranking on ``rank-digits-v1`` (81 architectures): Kendall τ-b between one-shot
   validation accuracy and stand-alone test accuracy (mean of 2 seeds) >= 0.5, its
   bootstrap lower bound > 0.2; the seed-to-seed τ (noise ceiling) is reported, and a
   ceiling below 0.5 fails as "the space is not discriminative".
3. Search vs random at equal budget (30 distinct evaluations, 20 seeds) on the
   147-subgraph multi-path LeNet, scored exhaustively by the same supernet: the
   evolution's mean regret is no worse than random subgraphs'.
4. With a region active, every evaluated child lies in it.

Under ``--benchmark-disable`` (how `make test` runs benchmarks) the sizes shrink so the
file stays a quick check of the same code. Torch uses one thread (the machine is shared);
the end-to-end figures of 1. are CPU seconds of this process, which other work on the
machine does not inflate (on one thread they are the computation's own time).
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from nas_core.data import load_dataset
from nas_core.events.commands import derive_seed
from nas_core.oneshot import (
    Constraint,
    Recalibration,
    SupernetConfig,
    enumerate_masks,
    initial_population,
    load_template,
    mask_key,
    next_generation,
    random_mask,
    rank_check,
    subgraph_arch,
)
from nas_core.specs import DataSpec, TrainConfig

torch = pytest.importorskip("torch")

from nas_core.oneshot.train import evaluate_masks, train_supernet  # noqa: E402
from nas_core.training import train  # noqa: E402

SUPERNET = SupernetConfig()  # what `train_supernet` commands default to
PAPER = SupernetConfig(epochs=30, lr=0.05, batch_size=32, routing="batch")  # the old default
FAST = SupernetConfig(epochs=10, lr=0.2, batch_size=128)  # >= 10x, at lower accuracy
STANDALONE = TrainConfig()  # a session's default: what "trained one by one" means
# the rank check's ground truth trains longer than a session's default (10 epochs of
# batch 256 with the rate x0.75 each epoch left these models at 6-59 %: a ranking of
# how fast they start, not of how good they get); x4 the steps, a slower decay
RANK_STANDALONE = TrainConfig(epochs=20, batch_size=64, gamma=0.9)


@pytest.fixture(scope="module")
def small(request) -> bool:
    return bool(request.config.getoption("benchmark_disable", False))


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def digits():
    return load_dataset(DataSpec())


def _standalone(sa, masks, data, seed: int, config: TrainConfig) -> list[float]:
    return [
        train(subgraph_arch(sa, m, f"sa{i}"), data, config, seed=seed).test_acc
        for i, m in enumerate(masks)
    ]


@pytest.mark.slow
def test_shared_weights_score_faster_than_training(benchmark, digits, small) -> None:
    sa = load_template("lenet-digits-v1")
    masks = list(enumerate_masks(sa))
    config = SupernetConfig(epochs=2) if small else SUPERNET
    standalone = TrainConfig(epochs=1) if small else STANDALONE
    train_supernet(sa, digits, SupernetConfig(epochs=1), seed=0)  # warm torch's kernels up
    began = time.process_time()
    net = train_supernet(sa, digits, config, seed=1).net
    supernet_s = time.process_time() - began
    before_s = fast_s = supernet_s
    before_acc = fast_acc = None
    if not small:  # the paper's per-batch path (the "before") and the cheaper schedule
        for cfg in (PAPER, FAST):
            began = time.process_time()
            other = train_supernet(sa, digits, cfg, seed=1).net
            acc = float(np.mean([s.val_acc for s in evaluate_masks(other, digits, masks,
                                                                   Recalibration())]))  # fmt: skip
            if cfg is PAPER:
                before_s, before_acc = time.process_time() - began, acc
            else:
                fast_s, fast_acc = time.process_time() - began, acc

    def score():
        return evaluate_masks(net, digits, masks, Recalibration())

    scores = benchmark.pedantic(score, rounds=1 if small else 3, iterations=1)
    began = time.process_time()
    evaluate_masks(net, digits, masks, Recalibration())
    score_cpu_s = time.process_time() - began
    assert len(scores) == 18
    began = time.process_time()
    trained = masks[:2] if small else masks
    _standalone(sa, trained, digits, 0, standalone)
    each_s = (time.process_time() - began) / len(trained)
    throughput = (len(masks) / score_cpu_s) / (1 / each_s)
    alone_s = each_s * len(masks)
    end_to_end = alone_s / (supernet_s + score_cpu_s)
    before = alone_s / before_s  # before_s and fast_s include their scoring
    fast = alone_s / fast_s
    mean_acc = float(np.mean([s.val_acc for s in scores]))
    benchmark.extra_info.update(
        scores_per_s=len(masks) / score_cpu_s, trainings_per_s=1 / each_s, ratio=throughput,
        supernet_s=supernet_s, end_to_end_ratio=end_to_end, mean_oneshot_acc=mean_acc,
        best_oneshot_acc=max(s.val_acc for s in scores),
        before_end_to_end_ratio=before, before_mean_acc=before_acc,
        fast_end_to_end_ratio=fast, fast_mean_acc=fast_acc,
    )  # fmt: skip
    print(
        f"\nscored {len(masks) / score_cpu_s:.1f}/s vs trained {1 / each_s:.2f}/s: "
        f"{throughput:.0f}x; end to end {end_to_end:.1f}x (supernet {supernet_s:.2f} s, "
        f"18 alone {alone_s:.2f} s CPU), mean one-shot accuracy {mean_acc:.3f}; before "
        f"(per-batch path, 30 epochs of 32): {before:.1f}x at {before_acc}; "
        f"10 epochs of 128: {fast:.1f}x at {fast_acc}"
    )
    if not small:
        assert throughput >= 50
        assert end_to_end >= 1.6 * before
        assert mean_acc >= before_acc - 0.03
        assert fast >= 10
        # the shared weights still separate the 18: no subgraph near chance
        assert min(s.val_acc for s in scores) > 0.5


@pytest.mark.slow
def test_whole_multi_path_space_end_to_end(benchmark, digits, small) -> None:
    """Supernet + scoring all 147 multi-path subgraphs against training each of them
    alone (a fixed-mask supernet with fresh weights, the same epochs as a REMAP model)."""
    sa = load_template("lenet-digits-multi-v1")
    masks = list(enumerate_masks(sa))
    config = SupernetConfig(epochs=2) if small else SUPERNET
    alone = SupernetConfig(epochs=1) if small else SupernetConfig(epochs=STANDALONE.epochs)

    def one_shot():
        net = train_supernet(sa, digits, config, seed=1).net
        return evaluate_masks(net, digits, masks, Recalibration())

    scores = benchmark.pedantic(one_shot, rounds=1, iterations=1)
    one_shot_s = benchmark.stats.stats.min if benchmark.stats else 1.0
    trained = masks[::30] if small else masks
    began = time.perf_counter()
    accs = [
        evaluate_masks(train_supernet(sa, digits, alone, seed=2, fixed=m).net, digits, [m],
                       Recalibration())[0].val_acc
        for m in trained
    ]  # fmt: skip
    alone_s = (time.perf_counter() - began) * len(masks) / len(trained)
    ratio = alone_s / one_shot_s
    benchmark.extra_info.update(
        one_shot_s=one_shot_s, standalone_s=alone_s, ratio=ratio, subgraphs=len(scores),
        best_standalone_acc=max(accs),
    )  # fmt: skip
    print(f"\n147-space: supernet + scores {one_shot_s:.1f} s vs trained one by one "
          f"{alone_s:.1f} s: {ratio:.1f}x")  # fmt: skip
    if not small:
        assert ratio >= 10


@pytest.mark.slow
def test_one_shot_ranks_agree_with_stand_alone_training(benchmark, digits, small) -> None:
    sa = load_template("rank-digits-v1")
    masks = list(enumerate_masks(sa))
    if small:
        masks = masks[::20]
    config = SupernetConfig(epochs=2) if small else SUPERNET
    standalone = TrainConfig(epochs=1) if small else RANK_STANDALONE

    def check():
        net = train_supernet(sa, digits, config, seed=3).net
        oneshot = [s.val_acc for s in evaluate_masks(net, digits, masks, Recalibration())]
        seeds = [_standalone(sa, masks, digits, seed, standalone) for seed in (11, 12)]
        return oneshot, seeds

    oneshot, seeds = benchmark.pedantic(check, rounds=1, iterations=1)
    result = rank_check(oneshot, seeds, seed=0)
    benchmark.extra_info.update(
        architectures=len(masks), kendall_tau=result.kendall_tau, tau_ci=result.tau_ci,
        spearman=result.spearman, noise_ceiling=result.noise_ceiling,
        top1_rank=result.top1_rank, regret=result.regret,
        standalone_range=(min(np.mean(seeds, 0)), max(np.mean(seeds, 0))),
    )  # fmt: skip
    print(f"\nrank-digits-v1 ({len(masks)} archs): tau-b {result.kendall_tau:.3f} "
          f"CI {result.tau_ci[0]:.3f}..{result.tau_ci[1]:.3f}, spearman {result.spearman:.3f}, "
          f"ceiling {result.noise_ceiling:.3f}, top-1 true rank {result.top1_rank}")  # fmt: skip
    if not small:
        assert result.noise_ceiling >= 0.5, "the space is not discriminative (ceiling < 0.5)"
        assert result.kendall_tau >= 0.5
        assert result.tau_ci[0] > 0.2


def _evolve(sa, truth: dict[str, float], budget: int, seed: int, region=None) -> list[tuple]:
    """The search (P = blocks, k = P/2) until `budget` distinct subgraphs are scored;
    `truth` gives each one's validation loss (the supernet's, scored beforehand)."""
    blocks = sum(len(layer.blocks) for layer in sa.layers)
    constraint = Constraint() if region is None else region
    population = [c.mask for c in initial_population(sa, blocks, derive_seed(seed, 0), constraint)]
    seen = list(dict.fromkeys(population))
    iteration = 0
    while len(seen) < budget:
        iteration += 1
        losses = [truth[mask_key(m)] for m in population]
        elite, children = next_generation(
            sa, population, losses, keep=blocks // 2, seed=derive_seed(seed, iteration),
            constraint=constraint,
        )  # fmt: skip
        population = [*elite, *(c.mask for c in children)]
        seen.extend(m for m in population if m not in seen)
        if iteration > 200:
            break
    return seen[:budget]


@pytest.mark.slow
def test_search_regret_no_worse_than_random(benchmark, digits, small) -> None:
    sa = load_template("lenet-digits-multi-v1")
    masks = list(enumerate_masks(sa))
    config = SupernetConfig(epochs=2) if small else SUPERNET
    net = train_supernet(sa, digits, config, seed=5).net
    scores = evaluate_masks(net, digits, masks, Recalibration())
    loss = {mask_key(s.mask): s.val_loss for s in scores}
    acc = {mask_key(s.mask): s.val_acc for s in scores}
    best = max(acc.values())
    top10 = sorted(acc.values(), reverse=True)[len(acc) // 10]
    budget, seeds = 30, range(5 if small else 20)

    def run():
        evo, rnd, evo_top, rnd_top = [], [], 0, 0
        for seed in seeds:
            found = _evolve(sa, loss, budget, seed)
            got = max(acc[mask_key(m)] for m in found)
            evo.append(best - got)
            evo_top += got >= top10
            g = np.random.Generator(np.random.PCG64(seed + 1000))
            drawn: dict = {}
            while len(drawn) < budget:
                drawn.setdefault(random_mask(sa, g, Constraint()), None)
            got = max(acc[mask_key(m)] for m in drawn)
            rnd.append(best - got)
            rnd_top += got >= top10
        return evo, rnd, evo_top, rnd_top

    evo, rnd, evo_top, rnd_top = benchmark.pedantic(run, rounds=1, iterations=1)
    benchmark.extra_info.update(
        evo_regret=float(np.mean(evo)), random_regret=float(np.mean(rnd)),
        evo_top10=evo_top / len(seeds), random_top10=rnd_top / len(seeds),
    )  # fmt: skip
    print(f"\nregret at {budget} evaluations over {len(seeds)} seeds: evolution "
          f"{np.mean(evo):.4f} (top-10% in {evo_top}/{len(seeds)}), random {np.mean(rnd):.4f} "
          f"(top-10% in {rnd_top}/{len(seeds)})")  # fmt: skip
    if not small:
        assert np.mean(evo) <= np.mean(rnd)
    # 4. a region: every evaluated child satisfies it (blocks mode: b1 on, b2 off)
    region = Constraint(on=("b1",), off=("b2",))
    for seed in seeds:
        for m in _evolve(sa, loss, budget // 2, seed, region):
            assert "b1" in m
            assert "b2" not in m
