"""Benchmarks of the two speed-ups the pipeline relies on, each against its baseline measured in the same run.

    python -m benchmarks.stacked            # prints times and speed-up ratios

1. Sweeps of tiny models (ANN_learningrates: 40 learning rates x 1000 epochs, full batch): one model at a
   time, as the course's loop trains them, vs one StackedMLP step for all of them.
2. Minibatches of in-memory tensors (regularization, metaparams: batch 16 of a 2-128-128-1 MLP):
   torch's DataLoader(TensorDataset) vs dudl.train.Batches, same model, same number of steps.
Not a test: timings depend on the machine. Ratios are what to compare.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from dudl.data import synthetic
from dudl.models.mlp import mlp
from dudl.models.stacked import StackedMLP, stacked_loss
from dudl.runtime import configure
from dudl.train import Batches, fit


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def sweep(n_models: int = 40, epochs: int = 1000) -> tuple[float, float]:
    x, y = synthetic.qwerties(np.random.default_rng(0), [[1, 1], [5, 1]], 100, 1.0)
    x, y = torch.tensor(x), torch.tensor(y, dtype=torch.float32)[:, None]
    lrs = np.linspace(0.001, 0.1, n_models)

    def one_at_a_time():
        for lr in lrs:
            model = mlp([2, 1, 1])
            fit(model, Batches(x, y), nn.BCEWithLogitsLoss(), torch.optim.SGD(model.parameters(), lr=lr), epochs)

    def stacked():
        stack = StackedMLP(n_models, [2, 1, 1])
        stack.scale_gradients(lrs)
        fit(stack, Batches(x, y), stacked_loss("bce_logits"), torch.optim.SGD(stack.parameters(), lr=1.0), epochs)

    return timed(one_at_a_time), timed(stacked)


def minibatches(epochs: int = 30) -> tuple[float, float]:
    x, y = synthetic.doughnut_qwerties(np.random.default_rng(0), 200)
    x, y = torch.tensor(x), torch.tensor(y, dtype=torch.float32)[:, None]

    def train(loader):
        model = mlp([2, 128, 128, 1])
        fit(model, loader, nn.BCEWithLogitsLoss(), torch.optim.SGD(model.parameters(), lr=0.01), epochs)

    torch_loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True, drop_last=True)
    ours = Batches(x, y, 16, shuffle=True, drop_last=True, generator=torch.Generator().manual_seed(0))
    return timed(lambda: train(torch_loader)), timed(lambda: train(ours))


def main() -> None:
    configure(threads=1, device="cpu")
    torch.manual_seed(0)
    loop, stack = sweep()
    print(f"40-model learning-rate sweep, 1000 epochs: one at a time {loop:6.2f} s, stacked {stack:6.2f} s "
          f"-> {loop / stack:5.1f}x")
    loader, batches = minibatches()
    print(f"MLP, batch 16, 30 epochs:                 DataLoader   {loader:6.2f} s, Batches {batches:6.2f} s "
          f"-> {loader / batches:5.1f}x")


if __name__ == "__main__":
    main()
