"""Benchmark: the wine MLP at small batches, time per optimizer step, the course's loop against the pipeline's.

    python -m benchmarks.wine                          # batches 2, 8, 16, 32; 20 epochs; 2 rounds
    python -m benchmarks.wine --batches 2,32 --epochs 5 --repeats 3

The issue's target: the wine MLP (ANNwine, 11-16-32-32-1, BCEWithLogitsLoss, SGD lr .01) at batch 2 to 32 at least
5x faster a step than the course-style loop. Every variant trains the same net from the same initial weights on the
same 1,279 training wines (the course's 80/20 split of the 1,597 kept), shuffled batches with drop_last, and scores
the 320 test wines once an epoch, in one process on one thread (what a pipeline job gets):
- course: metaparams_CodeChallengeBatches' loop as it is written (benchmarks.course.course_loop: the ANNwine class
  with F.relu, DataLoader(TensorDataset), per batch `loss.item()` and an accuracy tensor, np.mean per epoch);
- ours: the pipeline's code path (dudl.train.fit over dudl.train.Batches, what the experiment's train_run calls),
  which trains the net with the hand-made backward, one call into C++ a step: autograd's numbers, bit for bit;
- ours, Python step (DUDL_NATIVE=0) and ours, autograd (DUDL_AUTOGRAD_ONLY=1): what each part gains.
A step's time is the loop's wall time (its per-epoch test scoring included, on both sides) over its optimizer
steps. Rounds are interleaved and the fastest run of each variant counts (benchmarks.cnn.compare).

Not a test: timings depend on the machine. Ratios, not totals, are what to compare.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from benchmarks.cnn import compare  # noqa: E402
from benchmarks.course import CourseNet, course_loop, sgd  # noqa: E402
from benchmarks.ffn import autograd_only, our_loop, python_step  # noqa: E402
from dudl.data import tabular  # noqa: E402
from dudl.models.mlp import mlp  # noqa: E402
from dudl.runtime import configure  # noqa: E402

EXPERIMENT = "metaparams/code_challenge_batches"
LAYERS = [11, 16, 32, 32, 1]  # ANNwine, as params.yaml's metaparams/code_challenge_batches declares it
TARGET = 5.0


def load_wines(data_root: Path = ROOT) -> list[torch.Tensor]:
    """The binary wine data, split 80/20 (a fixed seed), from the pipeline's prepared file under data_root
    (fetched from DUDL_MIRROR and prepared there first where missing, as `make bench` does)."""
    from sklearn.model_selection import train_test_split

    from benchmarks.cases import CASES
    from benchmarks.reference import processed
    from benchmarks.run import ensure_data

    ensure_data([c for c in CASES if c.experiment == EXPERIMENT], data_root)
    frame = tabular.wine_binary(tabular.wine(processed(data_root, "wine_quality", "wine.csv")))
    x = frame[tabular.WINE_FEATURES].to_numpy(np.float32)
    y = frame["boolQuality"].to_numpy(np.float32)[:, None]
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=0)
    return [torch.tensor(a) for a in (x_train, y_train, x_test, y_test)]


def variants(batch: int):
    bce = nn.BCEWithLogitsLoss()
    course = lambda m, *a, seed: course_loop(CourseNet(LAYERS, weights_from=m), *a, seed=seed,  # noqa: E731
                                             loss_fn=bce, batch_size=batch, binary=True)
    ours = lambda m, *a, seed: our_loop(m, *a, seed=seed, loss_fn=bce, batch_size=batch)  # noqa: E731
    return course, ours, {"ours": ({}, False), "ours, Python step": ({}, False, python_step(ours)),
                          "ours, autograd": ({}, False, autograd_only(ours))}


def per_step(data, batches: list[int], epochs: int, repeats: int) -> dict[int, dict[str, float]]:
    """{batch: {variant: ms a step}}, with "course style" among the variants."""
    out = {}
    for batch in batches:
        course, ours, runs = variants(batch)
        steps = epochs * (len(data[0]) // batch)
        base, ratios = compare(f"wine MLP, batch {batch} ({epochs} epochs, {steps:,} steps)", "test acc", course,
                               ours, lambda: mlp(LAYERS), (*data, epochs), (*data, 1), repeats, runs)
        out[batch] = {"course style": 1e3 * base / steps,
                      **{label: 1e3 * base / ratio / steps for label, ratio in ratios.items()}}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", default="2,8,16,32", help="batch sizes, comma-separated")
    parser.add_argument("--epochs", type=int, default=20, help="epochs at each batch size (the course: 1,000)")
    parser.add_argument("--repeats", type=int, default=2, help="runs of each variant; the fastest counts")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    configure(args.threads, "cpu")
    data = load_wines()
    table = per_step(data, [int(b) for b in args.batches.split(",")], args.epochs, args.repeats)
    labels = list(next(iter(table.values())))
    print("\nms a step | " + " | ".join(labels) + " | course / ours")
    for batch, ms in table.items():
        print(f"batch {batch:>3} | " + " | ".join(f"{ms[k]:.3f}" for k in labels)
              + f" | {ms['course style'] / ms['ours']:.2f}x")
    worst = min(ms["course style"] / ms["ours"] for ms in table.values())
    print(f"slowest speed-up a step over batches {args.batches}: {worst:.2f}x (target {TARGET:.0f}x: "
          f"{'met' if worst >= TARGET else 'not met'})")


if __name__ == "__main__":
    main()
