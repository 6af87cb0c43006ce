"""The course's training recipes on top of the one trainer (dudl.train): tensors on the run's device, seeded
minibatches, optimizers by name, and one run of the split-train-fit recipe."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch

from dudl.train import Batches, RandomBatches, accuracy, fit, supervised_step, train

STEPS_PER_RECORD = 100  # iterations per history row (and per resume checkpoint) in the iterations recipe


def to_tensors(device, *arrays: np.ndarray) -> list[torch.Tensor]:
    return [torch.tensor(a, device=device) for a in arrays]  # a copy: pandas hands out read-only arrays


def loaders(ctx, x_train, y_train, x_test, y_test, batch_size: int | None, key, *, drop_last: bool = True,
            shuffle: bool = True, test_batch_size: int | None = None):
    """Train minibatches (shuffled by a generator seeded from `key`) and test batches (one batch by default,
    as the course's `DataLoader(test_data, batch_size=test_data.tensors[0].shape[0])`), on ctx.device.
    Seeds torch for the run `key` first, so build the model after calling this."""
    generator = ctx.torch_seed(*(key if isinstance(key, tuple) else (key,)))
    xtr, ytr, xte, yte = to_tensors(ctx.device, x_train, y_train, x_test, y_test)
    train = Batches(xtr, ytr, batch_size, shuffle=shuffle, drop_last=drop_last, generator=generator)
    test = Batches(xte, yte, test_batch_size)
    return train, test


def optimizer(name: str, parameters, lr: float, **kwargs) -> torch.optim.Optimizer:
    """torch.optim.<name>(parameters, lr=lr, ...), as the course's getattr(torch.optim, optimizerType)."""
    try:
        cls = getattr(torch.optim, name)
    except AttributeError:
        raise ValueError(f"unknown optimizer '{name}' (torch.optim has no such class)") from None
    return cls(parameters, lr=lr, **kwargs)


def sgd(lr: float, **kwargs):
    """A make_optimizer for train_run: torch.optim.SGD at this learning rate."""
    return lambda params: optimizer("SGD", params, lr, **kwargs)


def adam(lr: float, **kwargs):
    """A make_optimizer for train_run: torch.optim.Adam at this learning rate."""
    return lambda params: optimizer("Adam", params, lr, **kwargs)


@torch.no_grad()
def predict(model: torch.nn.Module, x: np.ndarray, device) -> np.ndarray:
    """The model's outputs for a whole array, in eval mode, as numpy."""
    model.eval()
    return model(torch.as_tensor(x, device=device)).cpu().numpy()


def train_run(ctx, data, build: Callable[[], torch.nn.Module], loss_fn, make_optimizer, batch_size: int | None,
              epochs: int, run_key, *, make_scheduler: Callable | None = None, metric=accuracy, drop_last: bool = True,
              test_batch_size: int | None = None, **fit_kwargs):
    """One run of the course's minibatch recipe: shuffled train batches, test batches scored in eval mode every
    epoch. `data` = (x_train, x_test, y_train, y_test). Torch is seeded for `run_key` (by `loaders`) before the
    model is built, so the run does not depend on what ran before it. Returns (model, history, (train, test))."""
    x_train, x_test, y_train, y_test = data
    train, test = loaders(ctx, x_train, y_train, x_test, y_test, batch_size, run_key, drop_last=drop_last,
                          test_batch_size=test_batch_size)
    model = build().to(ctx.device)
    opt = make_optimizer(model.parameters())
    scheduler = make_scheduler(opt) if make_scheduler else None
    history = fit(model, train, loss_fn, opt, epochs, metric=metric, test=test, scheduler=scheduler,
                  **{"desc": " ".join(map(str, run_key if isinstance(run_key, tuple) else (run_key,))), **fit_kwargs})
    return model, history, (train, test)


def train_autoencoder(ctx, p, build: Callable[[], torch.nn.Module], x: np.ndarray, key: Any = "model", *,
                      passes: int | None = None, before: np.ndarray | None = None, targets: np.ndarray | None = None,
                      loss_fn: Callable | None = None):
    """The course's autoencoder recipes: seed, build, (reconstruct `before` untrained), and train with Adam at
    p["lr"] for `passes` shuffled passes, or else p["iterations"] (scaled) random batches drawn with replacement
    (RandomBatches). The target is the input itself, or `targets` row for row (occluded in, clean out); the
    loss MSE unless `loss_fn`. Returns (model, every step's loss, history, untrained reconstructions)."""
    generator = ctx.torch_seed(*(key if isinstance(key, tuple) else (key,)))
    model = build().to(ctx.device)
    untrained = predict(model, before, ctx.device) if before is not None else None
    xt = torch.as_tensor(x, device=ctx.device)
    yt = xt if targets is None else torch.as_tensor(targets, device=ctx.device)
    if passes is None:
        iterations = ctx.scale.count(p["iterations"])
        epochs = max(1, iterations // STEPS_PER_RECORD)
        batches = RandomBatches(xt, p["batch_size"], iterations // epochs, generator, y=yt)
    else:
        epochs = passes
        batches = Batches(xt, yt, p["batch_size"], shuffle=True, drop_last=True, generator=generator)
    opt = optimizer("Adam", model.parameters(), p["lr"])
    step = supervised_step(model, loss_fn or torch.nn.MSELoss(), opt)
    history = train(step, batches, epochs, modules=model, optimizers=opt, record_steps=True,
                    show_progress=ctx.show_progress, desc=" ".join(map(str, np.atleast_1d(key))))
    return model, np.asarray(history.steps["train_loss"], dtype=float), history, untrained
