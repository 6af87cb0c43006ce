"""Benchmark: the pipeline's MNIST training against a course-style loop, side by side in one run.

    python tools/benchmark_ffn.py                    # the course's settings: FFN 60 epochs, breadth x depth 15 x 60
    python tools/benchmark_ffn.py --epochs 3         # a shorter measure (ratios, not totals, are what to compare)
    python tools/benchmark_ffn.py --sweep-epochs 3   # the FFN at 60 epochs, the 15-net sweep at 3 each

Both loops train the same model from the same initial weights on the same 18,000 digits, batches of 32
(drop_last, the same order), SGD lr .01, and score the 2,000 test digits once per epoch.
- course style: torch DataLoader(TensorDataset) and per-batch `.item()` bookkeeping (loss, accuracy), as the
  notebooks write it;
- ours: dudl.train.fit over dudl.train.Batches (one shuffled index per epoch, slices of the in-memory tensors;
  per-batch numbers stay tensors until the epoch ends).
Not a test: timings depend on the machine. It prints each time and the ratio course/ours.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from dudl.data import mnist  # noqa: E402
from dudl.models.mlp import MLP, mlp  # noqa: E402
from dudl.runtime import configure  # noqa: E402
from dudl.train import Batches, accuracy, fit  # noqa: E402


def course_loop(model, x_train, y_train, x_test, y_test, epochs: int, seed: int) -> float:
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=32, shuffle=True, drop_last=True,
                        generator=torch.Generator().manual_seed(seed))
    loss_fn, opt = nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.01)
    for _ in range(epochs):
        losses, accs = [], []
        model.train()
        for xb, yb in loader:
            out = model(xb)
            loss = loss_fn(out, yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
            accs.append(100 * torch.mean((torch.argmax(out, axis=1) == yb).float()).item())
        model.eval()
        with torch.no_grad():
            test_acc = 100 * torch.mean((torch.argmax(model(x_test), axis=1) == y_test).float()).item()
    return test_acc


def our_loop(model, x_train, y_train, x_test, y_test, epochs: int, seed: int) -> float:
    train = Batches(x_train, y_train, 32, shuffle=True, drop_last=True, generator=torch.Generator().manual_seed(seed))
    history = fit(model, train, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.01), epochs,
                  metric=accuracy, test=Batches(x_test, y_test, None))
    return float(history["test_acc"][-1])


def side_by_side(name: str, builds, data, epochs: int) -> float:
    times = {"course": 0.0, "ours": 0.0}
    for i, build in enumerate(builds):
        for label, loop in (("course", course_loop), ("ours", our_loop)):
            torch.manual_seed(i)
            model = build()
            start = time.perf_counter()
            acc = loop(model, *data, epochs, seed=i)
            times[label] += time.perf_counter() - start
        print(f"  {name} model {i + 1}/{len(builds)}: last test acc (ours) {acc:.1f}%", flush=True)
    ratio = times["course"] / times["ours"]
    print(f"{name}: course-style {times['course']:.1f} s, ours {times['ours']:.1f} s, ratio {ratio:.2f}x")
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--sweep-epochs", type=int, default=None, help="epochs per breadth x depth net "
                        "(default: --epochs)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    configure(args.threads, "cpu")
    images, labels = mnist.load_small(ROOT / "data" / "processed" / "mnist" / "train_small.npz")
    split = mnist.standard(images, labels, seed=0)
    data = [torch.tensor(a) for a in (split.x_train, split.y_train, split.x_test, split.y_test)]
    sweep_epochs = args.sweep_epochs or args.epochs
    print(f"FFN {args.epochs} epochs, breadth x depth {sweep_epochs} epochs per net, {args.threads} thread(s)")
    ffn = side_by_side("FFN on MNIST", [lambda: mlp([784, 64, 32, 32, 10])], data, args.epochs)
    builds = [lambda L=L, U=U: MLP(784, U, L, 10) for L in (1, 2, 3) for U in (50, 100, 150, 200, 250)]
    sweep = side_by_side("breadth x depth (15 models)", builds, data, sweep_epochs)
    print(f"ratios (course-style / ours): FFN {ffn:.2f}x, breadth x depth {sweep:.2f}x")


if __name__ == "__main__":
    main()
