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
Not a test: timings depend on the machine. It prints each time and the ratio course/ours, and a floor: the
same training's matrix products alone (forward and backward, nothing else: no activations, loss, optimizer or
bookkeeping), timed in the same run. course/floor is the most any fp32 loop on this many threads could gain;
where it is near course/ours, the loop is arithmetic-bound and no loop overhead is left to remove.
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


def sgd(parameters):
    return torch.optim.SGD(parameters, lr=0.01)


def course_loop(model, x_train, y_train, x_test, y_test, epochs: int, seed: int, make_optimizer=sgd) -> float:
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=32, shuffle=True, drop_last=True,
                        generator=torch.Generator().manual_seed(seed))
    loss_fn, opt = nn.CrossEntropyLoss(), make_optimizer(model.parameters())
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


def our_loop(model, x_train, y_train, x_test, y_test, epochs: int, seed: int, make_optimizer=sgd) -> float:
    train = Batches(x_train, y_train, 32, shuffle=True, drop_last=True, generator=torch.Generator().manual_seed(seed))
    history = fit(model, train, nn.CrossEntropyLoss(), make_optimizer(model.parameters()), epochs,
                  metric=accuracy, test=Batches(x_test, y_test, None))
    return float(history["test_acc"][-1])


@torch.no_grad()
def matmul_floor(model, x_train, y_train, x_test, y_test, epochs: int, seed: int) -> float:
    """The training's matrix products only: per batch h_i @ W_i^T forward, then dW_i = g^T h_i and (but for the
    first layer, whose input needs no gradient) g @ W_i backward; per epoch one forward of the test set."""
    weights = [m.weight for m in model.modules() if isinstance(m, nn.Linear)]
    n = len(x_train) // 32
    for _ in range(epochs):
        for i in range(n):
            h, inputs = x_train[i * 32:(i + 1) * 32], []
            for w in weights:
                inputs.append(h)
                h = h @ w.T
            g = h
            for j in range(len(weights) - 1, -1, -1):
                g.T @ inputs[j]
                if j:
                    g = g @ weights[j]
        h = x_test
        for w in weights:
            h = h @ w.T
    return float("nan")


def warm_up(data) -> None:
    """One untimed epoch of each loop first: a process's first training pays one-off costs (the allocator's
    first large blocks, library set-up) that would otherwise land on whichever loop happens to run first."""
    for loop in (course_loop, our_loop, matmul_floor):
        torch.manual_seed(0)
        loop(MLP(mnist.PIXELS, 250, 3, mnist.CLASSES), *data, 1, seed=0)


def side_by_side(name: str, builds, data, epochs: int) -> float:
    times = {"course": 0.0, "ours": 0.0, "floor": 0.0}
    for i, build in enumerate(builds):
        for label, loop in (("course", course_loop), ("ours", our_loop), ("floor", matmul_floor)):
            torch.manual_seed(i)
            model = build()
            start = time.perf_counter()
            result = loop(model, *data, epochs, seed=i)
            times[label] += time.perf_counter() - start
            acc = result if label == "ours" else acc if label == "floor" else None
        print(f"  {name} model {i + 1}/{len(builds)}: last test acc (ours) {acc:.1f}%", flush=True)
    ratio = times["course"] / times["ours"]
    print(f"{name}: course-style {times['course']:.1f} s, ours {times['ours']:.1f} s, matmuls alone "
          f"{times['floor']:.1f} s; ratio {ratio:.2f}x (at most {times['course'] / times['floor']:.2f}x: the floor)")
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
    warm_up(data)
    ffn = side_by_side("FFN on MNIST", [lambda: mlp([784, 64, 32, 32, 10])], data, args.epochs)
    builds = [lambda L=L, U=U: MLP(784, U, L, 10) for L in (1, 2, 3) for U in (50, 100, 150, 200, 250)]
    sweep = side_by_side("breadth x depth (15 models)", builds, data, sweep_epochs)
    print(f"ratios (course-style / ours): FFN {ffn:.2f}x, breadth x depth {sweep:.2f}x")


if __name__ == "__main__":
    main()
