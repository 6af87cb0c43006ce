"""The one training loop, and what every training run needs around it: seeding, threads, device,
minibatches, evaluation, history and checkpoints.

Bookkeeping follows the course so that numbers are comparable: per epoch, the train loss and train accuracy
are the means over that epoch's minibatches (computed in train mode while training), and test loss and
accuracy are the means over the test batches in eval mode (the course's `np.mean(batchAcc)`), which is what
regularization/testBatchT2 is about. Accuracies are in percent, like the course's.

A loss function may return one value per model (shape [M]) for a stack of independent models trained in one
step (dudl.models.StackedMLP): the loop backpropagates the sum, which leaves each model's gradient its own,
and records the per-model values.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np
import torch
from torch import nn

from dudl.atomic import atomic_write

PROGRESS_ENV = "DUDL_PROGRESS"


# ---------------------------------------------------------------- environment


def resolve_device(name: str = "auto") -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"device '{name}' requested but CUDA is not available; use device: auto or cpu")
    return torch.device(name)


def configure(threads: int = 1, device: str = "auto") -> torch.device:
    """Threads from the job (Snakemake's `threads:`), so `--cores N` runs N jobs side by side."""
    torch.set_num_threads(max(1, int(threads)))
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # already set in this process
        pass
    return resolve_device(device)


def seed_torch(seed: int) -> torch.Generator:
    """Seed torch's global RNG (model inits, dropout) and return a generator for shuffling."""
    torch.manual_seed(seed)
    gen = torch.Generator()
    gen.manual_seed(seed)
    return gen


def progress_enabled(default: bool = True) -> bool:
    value = os.environ.get(PROGRESS_ENV)
    return default if value is None else value.lower() not in ("0", "false", "no")


def progress(iterable: Iterable, desc: str = "", total: int | None = None, enabled: bool = True, leave: bool = False):
    """tqdm on stderr; sparse updates when stderr is a log file rather than a terminal."""
    from tqdm.auto import tqdm

    tty = sys.stderr.isatty()
    return tqdm(iterable, desc=desc, total=total, leave=leave, disable=not (enabled and progress_enabled()),
                mininterval=0.5 if tty else 30.0, dynamic_ncols=tty, file=sys.stderr)


# ---------------------------------------------------------------- data


class Batches:
    """Minibatches of in-memory tensors: DataLoader(TensorDataset(x, y), batch_size, shuffle, drop_last) semantics
    at a fraction of its per-batch cost. batch_size=None gives one full batch. Re-iterable; reshuffles each pass."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor, batch_size: int | None = None, shuffle: bool = False,
                 drop_last: bool = False, generator: torch.Generator | None = None):
        if len(x) != len(y):
            raise ValueError(f"x has {len(x)} rows but y has {len(y)}")
        self.x, self.y = x, y
        self.batch_size = batch_size or len(x)
        self.shuffle, self.drop_last, self.generator = shuffle, drop_last, generator
        if self.drop_last and self.batch_size > len(x):
            raise ValueError(f"batch size {self.batch_size} > {len(x)} samples with drop_last: no batches at all")

    def __len__(self) -> int:
        n, b = len(self.x), self.batch_size
        return n // b if self.drop_last else -(-n // b)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        x, y = self.x, self.y
        if self.shuffle:
            order = torch.randperm(len(x), generator=self.generator).to(x.device)
            x, y = x[order], y[order]
        for i in range(len(self)):
            yield x[i * self.batch_size:(i + 1) * self.batch_size], y[i * self.batch_size:(i + 1) * self.batch_size]

    def to(self, device: torch.device) -> "Batches":
        self.x, self.y = self.x.to(device), self.y.to(device)
        return self


def tensors(x: np.ndarray, y: np.ndarray, device: torch.device | str = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    return torch.as_tensor(x).to(device), torch.as_tensor(y).to(device)


# ---------------------------------------------------------------- metrics


def accuracy(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Percent correct. One output column: a logit, positive means class 1 (use on logits, not probabilities);
    several columns: argmax. Leading dimensions beyond (samples, outputs) are kept (stacked models)."""
    if output.shape[-1] == 1:
        if target.ndim >= 2 and target.shape[-1] == 1:
            target = target[..., 0]
        predicted = (output[..., 0] > 0).to(target.dtype)
    else:
        predicted = output.argmax(dim=-1)
    return (predicted == target).float().mean(dim=-1) * 100


def probability_accuracy(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Percent correct for a model whose single output is already a probability (a Sigmoid last layer)."""
    return accuracy(output - 0.5, target)


# ---------------------------------------------------------------- history


@dataclass
class History:
    """Per-epoch records: each entry is an array of shape [epochs] or [epochs, models]."""

    columns: dict[str, list] = field(default_factory=dict)
    seconds: float = 0.0

    def add(self, **values: torch.Tensor | float) -> None:
        for key, value in values.items():
            if isinstance(value, torch.Tensor):
                value = value.detach().cpu().numpy()
            self.columns.setdefault(key, []).append(value)

    def __getitem__(self, key: str) -> np.ndarray:
        return np.asarray(self.columns[key])

    def __contains__(self, key: str) -> bool:
        return key in self.columns

    def last(self, key: str, n: int = 1) -> np.ndarray | float:
        """Mean of the last n epochs (the course often reports this)."""
        return self[key][-n:].mean(axis=0)

    def frame(self, model: int | None = None):
        """A DataFrame with one row per epoch (epoch counts from 1); for stacked models pick one model."""
        import pandas as pd

        data = {}
        for key in self.columns:
            values = self[key]
            data[key] = values[:, model] if (values.ndim > 1 and model is not None) else values
        frame = pd.DataFrame({k: v for k, v in data.items() if np.ndim(v) == 1})
        frame.insert(0, "epoch", np.arange(1, len(frame) + 1))
        return frame


# ---------------------------------------------------------------- loop


def _mean(values: list[torch.Tensor]) -> torch.Tensor:
    return torch.stack(values).mean(dim=0)


@torch.no_grad()
def evaluate(model: nn.Module, batches: Iterable, loss_fn: Callable | None = None, metric: Callable | None = None):
    """(mean loss, mean metric) over the batches, in eval mode; restores the model's mode afterwards."""
    was_training = model.training
    model.eval()
    losses, scores = [], []
    for xb, yb in batches:
        out = model(xb)
        if loss_fn is not None:
            losses.append(loss_fn(out, yb))
        if metric is not None:
            scores.append(metric(out, yb))
    model.train(was_training)
    return (_mean(losses) if losses else None), (_mean(scores) if scores else None)


def fit(
    model: nn.Module,
    train: Iterable,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    epochs: int,
    *,
    metric: Callable | None = None,
    test: Iterable | None = None,
    scheduler=None,
    scheduler_every: str = "batch",
    regularizer: Callable[[nn.Module], torch.Tensor] | None = None,
    record_lr: bool = False,
    show_progress: bool = False,
    desc: str = "train",
) -> History:
    """Train for `epochs` passes over `train`; returns per-epoch train_loss, train_acc, test_loss, test_acc (and lr).

    `regularizer(model)` adds a penalty to the loss that is optimized but not recorded (the course's L1 notebooks
    record the data loss). `scheduler` steps after every batch (as the course's StepLR demo does) or every epoch.
    """
    history = History()
    start = time.perf_counter()
    for _ in progress(range(epochs), desc=desc, enabled=show_progress):
        model.train()
        losses, scores = [], []
        for xb, yb in train:
            out = model(xb)
            loss = loss_fn(out, yb)
            total = loss if regularizer is None else loss + regularizer(model)
            optimizer.zero_grad(set_to_none=True)
            total.sum().backward()
            optimizer.step()
            if scheduler is not None and scheduler_every == "batch":
                scheduler.step()
            losses.append(loss.detach())
            if metric is not None:
                scores.append(metric(out.detach(), yb))
        if scheduler is not None and scheduler_every == "epoch":
            scheduler.step()
        record = {"train_loss": _mean(losses)}
        if metric is not None:
            record["train_acc"] = _mean(scores)
        if test is not None:
            test_loss, test_score = evaluate(model, test, loss_fn, metric)
            record["test_loss"] = test_loss
            if test_score is not None:
                record["test_acc"] = test_score
        if record_lr:
            record["lr"] = optimizer.param_groups[0]["lr"]
        history.add(**record)
    history.seconds = time.perf_counter() - start
    return history


# ---------------------------------------------------------------- checkpoints


def save_checkpoint(path: Path, model: nn.Module | dict, **meta) -> Path:
    """A model's state_dict (or a state_dict) plus plain metadata, written atomically; loadable with
    weights_only=True. Every model file of the pipeline (results/<section>/<experiment>/<name>.pt) is one."""
    state = model.state_dict() if isinstance(model, nn.Module) else model
    return atomic_write(Path(path), lambda tmp: torch.save({"state_dict": state, "meta": meta}, tmp))


def load_checkpoint(path: Path, model: nn.Module | None = None, map_location="cpu") -> dict:
    checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    if model is not None:
        model.load_state_dict(checkpoint["state_dict"])
    return checkpoint
