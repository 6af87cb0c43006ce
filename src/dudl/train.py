"""The one training loop, `train`, and what every training needs around it: minibatches, batches moved to the
device, optional mixed precision, gradient clipping, keep-the-best, per-epoch (and per-step) history, resume
checkpoints and a progress bar.

An experiment never writes a loop. It supplies a *step*: a callable `step(batch, tools) -> {name: tensor}` that
computes what one step computes from a batch, calls `tools.optimize(loss, optimizer)` for each optimizer that
steps (in its order: a GAN steps D, then G), and returns the values to record. `supervised_step` is the course's
recipe (`fit` wraps it); dudl.steps has the autoencoder, GAN, sequence and image-optimization steps.

Bookkeeping follows the course so that numbers are comparable: per epoch, each recorded value is the mean over
that epoch's steps (so the train loss and accuracy are means over minibatches, computed in train mode while
training), and test loss and accuracy are the means over the test batches in eval mode (the course's
`np.mean(batchAcc)`, which is what regularization/testBatchT2 is about). Accuracies are in percent.

A loss must be one number. A loss with one value per sample is refused: summing it would silently scale the
learning rate by the batch size. Only a stack of M independent models (dudl.models.stacked.StackedMLP, which has
`n_models`) may return one value per model, shape [M]: the loop backpropagates their sum, which leaves each
model's gradient its own, and records the per-model values.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np
import torch
from torch import nn

from dudl import backprop, runtime
from dudl.progress import progress
from dudl.resume import Resume, restore_rng, rng_state

Step = Callable[[Any, "StepTools"], Mapping[str, torch.Tensor]]


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
        x, y, b = self.x, self.y, self.batch_size
        if not self.shuffle:
            for i in range(len(self)):
                yield x[i * b:(i + 1) * b], y[i * b:(i + 1) * b]
            return
        # Each batch gathers its own rows: a shuffled copy of the whole set (56 MB for the course's MNIST) costs
        # more per epoch in fresh memory than all the batches' small gathers together. The same rows either way.
        order = torch.randperm(len(x), generator=self.generator).to(x.device)
        for i in range(len(self)):
            rows = order[i * b:(i + 1) * b]
            yield x.index_select(0, rows), y.index_select(0, rows)

    def to(self, device: torch.device) -> "Batches":
        self.x, self.y = self.x.to(device), self.y.to(device)
        return self


class RandomBatches:
    """`steps` minibatches per pass, each `batch_size` rows drawn at random *with replacement* (the course's
    autoencoders: `np.random.choice(N, size=32)` every iteration, so an "epoch" there is one such batch).
    Yields the rows of x only, or (x, y) rows when y is given."""

    def __init__(self, x: torch.Tensor, batch_size: int, steps: int, generator: torch.Generator | None = None,
                 y: torch.Tensor | None = None):
        if y is not None and len(x) != len(y):
            raise ValueError(f"x has {len(x)} rows but y has {len(y)}")
        if batch_size < 1 or steps < 1:
            raise ValueError(f"batch_size and steps must be at least 1 (got {batch_size}, {steps})")
        self.x, self.y, self.batch_size, self.steps, self.generator = x, y, batch_size, steps, generator

    def __len__(self) -> int:
        return self.steps

    def __iter__(self) -> Iterator[Any]:
        for _ in range(self.steps):
            rows = torch.randint(len(self.x), (self.batch_size,), generator=self.generator).to(self.x.device)
            yield self.x[rows] if self.y is None else (self.x[rows], self.y[rows])

    def to(self, device: torch.device) -> "RandomBatches":
        self.x = self.x.to(device)
        self.y = None if self.y is None else self.y.to(device)
        return self


def tensors(x: np.ndarray, y: np.ndarray, device: torch.device | str = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    return torch.as_tensor(x).to(device), torch.as_tensor(y).to(device)


def to_device(batch: Any, device: torch.device) -> Any:
    """A batch (tensor, or tuples/lists/dicts of them) on `device`. Data may stay on the CPU (a DataLoader with
    torchvision transforms) or live on the device already, where this costs nothing."""
    if isinstance(batch, torch.Tensor):
        return batch if batch.device == device else batch.to(device, non_blocking=batch.is_pinned())
    if isinstance(batch, (tuple, list)):
        if all(isinstance(b, torch.Tensor) and b.device == device for b in batch):
            return batch  # the common case, (x, y) already there: no new tuple every step
        return type(batch)(to_device(b, device) for b in batch)
    if isinstance(batch, dict):
        return {k: to_device(v, device) for k, v in batch.items()}
    return batch


# ---------------------------------------------------------------- metrics


def _predictions(output: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    if output.shape[-1] == 1:
        if target.ndim >= 2 and target.shape[-1] == 1:
            target = target.squeeze(-1)
        return (output.squeeze(-1) > 0).to(target.dtype), target
    return output.argmax(dim=-1), target


def _percent_correct(predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return (predicted == target).float().mean(dim=-1) * 100


def accuracy(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Percent correct. One output column: a logit, positive means class 1 (use on logits, not probabilities);
    several columns: argmax. Leading dimensions beyond (samples, outputs) are kept (stacked models)."""
    return _percent_correct(*_predictions(output, target))


class Later:
    """A step's value that the trainer works out at the epoch's end for all the epoch's steps at once:
    fn(*args, each stacked over the steps) gives one value per step. Used where fn is exact row by row, so the
    numbers are those of fn called every step (accuracy: a mean of 0/1 values, exact in any order), for one call
    an epoch instead of four small ones a step."""

    __slots__ = ("fn", "args", "broadcast")

    def __init__(self, fn: Callable[..., torch.Tensor], *args: torch.Tensor, broadcast: bool = False):
        """broadcast: a step's args differ in shape and fn broadcasts them (a stack's [M, N] against [N]), so
        they are broadcast to one shape before stacking."""
        self.fn, self.args, self.broadcast = fn, args, broadcast

    @staticmethod
    def resolve(column: list) -> list:
        if not column or not isinstance(column[0], Later):
            return column
        if len(column) == 1:
            return [column[0].fn(*column[0].args)]
        shapes = {tuple(a.shape for a in later.args) for later in column}
        if len(shapes) > 1:  # a last, smaller batch: step by step
            return [later.fn(*later.args) for later in column]
        args = [later.args for later in column]
        if column[0].broadcast:
            args = [torch.broadcast_tensors(*a) for a in args]
        stacked = [torch.stack(parts) for parts in zip(*args)]
        return list(column[0].fn(*stacked).unbind(0))


def accuracy_later(output: torch.Tensor, target: torch.Tensor) -> Later:
    """`accuracy`, left to the epoch's end (Later). A plain net's output ([N, C] against class labels [N], or one
    logit [N, 1] against targets [N, 1]) waits as it is, for one `accuracy` of the epoch's stacked steps: a step
    then costs no kernel at all for it. Other forms (a stack's [M, N, C]) have their predictions made now and
    only the comparison and mean wait."""
    output = output.detach()
    if output.ndim == 2 and ((output.shape[1] > 1 and target.ndim == 1) or
                             (output.shape[1] == 1 and target.shape == output.shape)):
        return Later(accuracy, output, target)
    predicted, target = _predictions(output, target)
    return Later(_percent_correct, predicted, target, broadcast=predicted.shape != target.shape)


def probability_accuracy(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Percent correct for a model whose single output is already a probability (a Sigmoid last layer)."""
    return accuracy(output - 0.5, target)


# ---------------------------------------------------------------- history


def _numpy(value: Any) -> Any:
    return value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else value


def _step_values(column: list) -> list:
    """An epoch's per-step values as numpy copies, stacked once per epoch (one device sync, not one a step).
    Not `tensor.numpy()` per step: each such array keeps its tensor alive, and 50,000 GAN steps kept that way
    held about 3 GB."""
    if column and all(isinstance(v, torch.Tensor) for v in column):
        return list(torch.stack([v.detach() for v in column]).cpu().numpy().copy())
    return [_numpy(v) for v in column]


@dataclass
class History:
    """Per-epoch records (each an array of shape [epochs] or [epochs, models]) and, where a training asks for
    them, per-step records (`steps`: GANs, the autoencoders' iterations)."""

    columns: dict[str, list] = field(default_factory=dict)
    steps: dict[str, list] = field(default_factory=dict)
    seconds: float = 0.0
    best_epoch: int | None = None  # with keep_best: the epoch (from 1) whose weights the model ends with
    resumed_at: int | None = None  # the epoch a killed run resumed from (0: replayed a finished training)

    def add(self, **values: torch.Tensor | float) -> None:
        for key, value in values.items():
            self.columns.setdefault(key, []).append(_numpy(value))

    def add_steps(self, values: Mapping[str, Sequence]) -> None:
        for key, column in values.items():
            self.steps.setdefault(key, []).extend(column)

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

    def step_frame(self):
        """A DataFrame with one row per step (step counts from 1)."""
        import pandas as pd

        frame = pd.DataFrame({k: np.asarray(v) for k, v in self.steps.items()})
        frame.insert(0, "step", np.arange(1, len(frame) + 1))
        return frame

    # resume checkpoints hold tensors only (weights_only loading): columns go in as stacked arrays
    def state(self) -> dict:
        pack = lambda cols: {k: torch.from_numpy(np.asarray(v).copy()) for k, v in cols.items() if len(v)}
        return {"columns": pack(self.columns), "steps": pack(self.steps), "seconds": self.seconds,
                "best_epoch": self.best_epoch}

    def load_state(self, state: Mapping) -> None:
        self.columns = {k: list(v.numpy()) for k, v in state["columns"].items()}
        self.steps = {k: list(v.numpy()) for k, v in state["steps"].items()}
        self.seconds, self.best_epoch = state["seconds"], state["best_epoch"]


# ---------------------------------------------------------------- what the trainer hands a step


def _as_dict(things: Any, kind: str) -> dict[str, Any]:
    if things is None:
        return {}
    if isinstance(things, Mapping):
        return dict(things)
    if isinstance(things, (list, tuple)):
        return {f"{kind}{i}": t for i, t in enumerate(things)}
    return {kind: things}


def check_loss(loss: torch.Tensor, modules: Mapping[str, nn.Module]) -> torch.Tensor:
    """The scalar to backpropagate: the loss itself, or the sum of a stack's per-model losses. Anything else
    (one value per sample, say) is an error rather than a learning rate silently scaled by the batch size."""
    if loss.ndim == 0:
        return loss
    stacks = {getattr(m, "n_models", None) for m in modules.values()} - {None}
    if loss.ndim == 1 and loss.shape[0] in stacks:
        return loss.sum()
    allowed = f" or [{', '.join(map(str, sorted(stacks)))}] (one value per stacked model)" if stacks else ""
    raise ValueError(f"the loss has shape {list(loss.shape)}; a training step needs one number (shape []){allowed}. "
                     f"A loss with one value per sample must be reduced (e.g. .mean()) by the loss function.")


class StepTools:
    """What a step may use: the device, autocast for the run's precision, and `optimize`, which does
    zero_grad -> backward -> (unscale, clip) -> step for one optimizer, with loss scaling under fp16."""

    def __init__(self, device: torch.device, precision: str, modules: Mapping[str, nn.Module],
                 clip_grad: float | None):
        if precision not in ("fp32", "bf16", "fp16"):
            raise ValueError(f"unknown precision '{precision}': fp32, bf16 or fp16")
        if precision == "fp16" and device.type != "cuda":
            raise RuntimeError("precision fp16 needs CUDA (autocast with loss scaling); use bf16 on the CPU")
        self.device, self.precision, self.modules, self.clip_grad = device, precision, modules, clip_grad
        self.scalers: dict[int, Any] = {}
        # nothing between the loss and the update but backward and step(): what dudl.backprop replicates
        self.plain = precision == "fp32" and clip_grad is None
        self.step = 0  # steps done so far in this training
        self.epoch = 0

    def autocast(self):
        if self.precision == "fp32":
            return contextlib.nullcontext()
        dtype = torch.bfloat16 if self.precision == "bf16" else torch.float16
        return torch.autocast(self.device.type, dtype=dtype)

    def _scaler(self, optimizer):
        if self.precision != "fp16":
            return None
        if id(optimizer) not in self.scalers:
            self.scalers[id(optimizer)] = torch.amp.GradScaler("cuda")
        return self.scalers[id(optimizer)]

    def optimize(self, loss: torch.Tensor, optimizer: torch.optim.Optimizer, retain_graph: bool = False) -> None:
        total = check_loss(loss, self.modules)
        optimizer.zero_grad(set_to_none=True)
        scaler = self._scaler(optimizer)
        (scaler.scale(total) if scaler else total).backward(retain_graph=retain_graph)
        if self.clip_grad is not None:
            if scaler:
                scaler.unscale_(optimizer)
            params = [p for group in optimizer.param_groups for p in group["params"]]
            torch.nn.utils.clip_grad_norm_(params, self.clip_grad)
        if scaler:
            scaler.step(optimizer)
            scaler.update()
        else:
            optimizer.step()


@dataclass
class KeepBest:
    """Keep the weights of the epoch with the best `metric` (a key of the epoch's record, e.g. a dev-set
    accuracy), and end the training with them when `restore` (data_saveTheBest)."""

    metric: str
    mode: str = "max"
    restore: bool = True
    value: float | None = None
    state: dict | None = None

    def update(self, record: Mapping[str, Any], modules: Mapping[str, nn.Module], epoch: int, history: History):
        if self.metric not in record:
            raise KeyError(f"keep_best watches '{self.metric}', but an epoch records only {sorted(record)}")
        value = float(np.asarray(_numpy(record[self.metric])).mean())
        better = self.value is None or (value > self.value if self.mode == "max" else value < self.value)
        if better:
            self.value = value
            self.state = {n: {k: v.detach().clone() for k, v in m.state_dict().items()} for n, m in modules.items()}
            history.best_epoch = epoch


# ---------------------------------------------------------------- the loop


def _mean(values: list[torch.Tensor]) -> torch.Tensor:
    if len(values) == 1:  # a full-batch epoch: the mean of one value is that value (a copy, as the mean was)
        return values[0].clone()
    return torch.stack(values).mean(dim=0)


def _train_mode(module: nn.Module) -> None:
    """module.train(), unless every submodule is in training mode already: then it would change nothing, and
    it costs more (about 40 us for a small net) than a tiny full-batch step."""
    if not all(m.training for m in module.modules()):
        module.train()


def _device_of(modules: Mapping[str, nn.Module]) -> torch.device:
    for module in modules.values():
        for tensor in [*module.parameters(), *module.buffers()]:
            return tensor.device
    return torch.device("cpu")


def _epoch_batches(batches: Iterable | None, steps_per_epoch: int | None) -> Iterable:
    if batches is None:
        return [None] * (steps_per_epoch or 1)  # image optimization: the parameter is the input
    return batches


def use_fast_kernels(modules: Mapping[str, nn.Module], optimizers: Mapping[str, torch.optim.Optimizer]) -> None:
    """The `fast_kernels` lever (benchmarks/cnn.py measures it): nets with 2-D convolutions keep their
    weights channels_last, so their convolutions run in that layout (CNN4MNIST about 1.4x a step on a CPU), and
    optimizers that torch can fuse (Adam, AdamW, SGD, ...) update all parameters in one kernel (the denoising
    autoencoder about 1.6x, its Adam step being most of its time). The same math summed in another order: the
    numbers equal the default's only up to float rounding, so it is opt-in."""
    for module in modules.values():
        if any(isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)) for m in module.modules()):
            module.to(memory_format=torch.channels_last)
    for opt in optimizers.values():
        if "fused" not in opt.defaults or opt.defaults.get("differentiable"):
            continue
        opt.defaults["fused"] = True
        for group in opt.param_groups:
            group["fused"], group["foreach"] = True, False


def train(
    step: Step,
    batches: Iterable | None,
    epochs: int,
    *,
    modules: nn.Module | Mapping[str, nn.Module],
    optimizers: torch.optim.Optimizer | Mapping[str, torch.optim.Optimizer] | Sequence = (),
    schedulers: Sequence[tuple[Any, str]] = (),
    evaluate: Callable[[], Mapping[str, Any]] | None = None,
    keep_best: KeepBest | None = None,
    record_steps: bool = False,
    steps_per_epoch: int | None = None,
    device: torch.device | None = None,
    precision: str | None = None,
    clip_grad: float | None = None,
    stateful: Sequence[Any] = (),
    show_progress: bool = False,
    desc: str = "train",
) -> History:
    """Run `epochs` passes of `step` over `batches` (None: `steps_per_epoch` steps without data, for image
    optimization); returns the History.

    modules / optimizers / schedulers: what trains, what steps, and (scheduler, "batch" | "epoch") pairs: these,
        the RNG states and the shuffling generator of `batches` are what a resume checkpoint holds (plus any
        `stateful` objects with state_dict/load_state_dict, e.g. a step's own state).
    evaluate(): after each epoch, values to add to the epoch's record (test loss and accuracy, the lr, ...).
    keep_best: keep (and restore) the weights of the best epoch by a metric of the record.
    record_steps: also keep every step's values (History.steps), where the course records per step.
    precision: fp32 (default, faithful) | bf16 | fp16; default from the run's params (`precision`).
    clip_grad: clip the gradient norm before each optimizer step, where the course clips.
    """
    settings = runtime.current()
    modules = _as_dict(modules, "model")
    optimizers = _as_dict(optimizers, "optimizer")
    device = device or _device_of(modules)
    tools = StepTools(device, precision or settings.precision, modules, clip_grad)
    history = History()
    generator = getattr(batches, "generator", None)
    resume = Resume.for_training(settings, desc)
    start_epoch = 0

    def state(epoch: int, done: bool) -> dict:
        return {
            "epoch": epoch, "epochs": epochs, "done": done,
            "modules": {n: m.state_dict() for n, m in modules.items()},
            "optimizers": {n: o.state_dict() for n, o in optimizers.items()},
            "schedulers": [s.state_dict() for s, _ in schedulers],
            "scalers": [tools.scalers[k].state_dict() for k in sorted(tools.scalers)],
            "stateful": [s.state_dict() for s in stateful],
            "rng": rng_state(generator),
            "history": history.state(),
            "best": {"value": keep_best.value, "state": keep_best.state} if keep_best else None,
            "step": tools.step,
        }

    if settings.fast_kernels:
        use_fast_kernels(modules, optimizers)
    saved = resume.load(epochs) if resume else None
    if saved is not None:
        for n, m in modules.items():
            m.load_state_dict(saved["modules"][n])
        for n, o in optimizers.items():
            o.load_state_dict(saved["optimizers"][n])
        for (s, _), s_state in zip(schedulers, saved["schedulers"]):
            s.load_state_dict(s_state)
        for obj, obj_state in zip(stateful, saved["stateful"]):
            obj.load_state_dict(obj_state)
        history.load_state(saved["history"])
        if keep_best and saved["best"]:
            keep_best.value, keep_best.state = saved["best"]["value"], saved["best"]["state"]
        restore_rng(saved["rng"], generator)
        start_epoch, tools.step = saved["epoch"], saved["step"]
        history.resumed_at = 0 if saved["done"] else start_epoch
        if saved["done"]:  # finished before the kill: its final state is the result
            return history

    begin = time.perf_counter() - history.seconds
    start_step = getattr(step, "start_epoch", None)
    for epoch in progress(range(start_epoch, epochs), desc=desc, total=epochs, initial=start_epoch,
                          enabled=show_progress):
        tools.epoch = epoch
        for module in modules.values():
            _train_mode(module)
        if start_step is not None:
            start_step()
        records: dict[str, list] = {}
        for batch in _epoch_batches(batches, steps_per_epoch):
            values = step(to_device(batch, device), tools)
            tools.step += 1
            for s, every in schedulers:
                if every == "batch":
                    s.step()
            for key, value in values.items():
                records.setdefault(key, []).append(value if isinstance(value, Later) else value.detach())
        for s, every in schedulers:
            if every == "epoch":
                s.step()
        records = {key: Later.resolve(column) for key, column in records.items()}
        if record_steps:
            history.add_steps({k: _step_values(column) for k, column in records.items()})
        record = {key: _mean(values) for key, values in records.items()}
        if evaluate is not None:
            record.update(evaluate())
        history.add(**record)
        if keep_best is not None:
            keep_best.update(record, modules, epoch + 1, history)
        if resume is not None and resume.due():
            history.seconds = time.perf_counter() - begin
            resume.save(state(epoch + 1, done=False))
    if keep_best is not None and keep_best.restore and keep_best.state is not None:
        for n, m in modules.items():
            m.load_state_dict(keep_best.state[n])
    history.seconds = time.perf_counter() - begin
    if resume is not None and resume.saved:
        resume.save(state(epochs, done=True))  # a kill after this point replays the training instantly
    return history


# ---------------------------------------------------------------- the course's supervised recipe


def supervised_step(model: nn.Module, loss_fn: Callable, optimizer: torch.optim.Optimizer,
                    metric: Callable | None = None, regularizer: Callable[[nn.Module], torch.Tensor] | None = None):
    """out = model(x); loss = loss_fn(out, y) (+ an optimized but unrecorded penalty); one optimizer step.
    Records train_loss (and train_acc = metric(out, y) computed on the batch, in train mode).

    A plain net (Linear layers and activations) on a course loss, in fp32 on the CPU, takes dudl.backprop's
    hand-made backward: autograd's own kernels without autograd, the same numbers bit for bit."""

    hand = backprop.hand_step(model, loss_fn, optimizer) if regularizer is None else None

    def step(batch, tools: StepTools) -> dict[str, torch.Tensor]:
        xb, yb = batch
        done = hand(xb, yb) if hand is not None and tools.plain else None
        if done is not None:  # the same numbers as below, bit for bit, without autograd's cost (dudl.backprop)
            loss, out = done
            values = {"train_loss": loss}
            if metric is not None:
                values["train_acc"] = accuracy_later(out, yb) if metric is accuracy else metric(out, yb)
            return values
        with tools.autocast():
            out = model(xb)
            loss = loss_fn(out, yb)
            total = loss if regularizer is None else loss + regularizer(model)
        tools.optimize(total, optimizer)
        values = {"train_loss": loss}
        if metric is not None:
            values["train_acc"] = accuracy_later(out, yb) if metric is accuracy else metric(out.detach(), yb)
        return values

    step.hand = hand  # what runs the step where it qualifies (None: autograd always)
    return step


@torch.no_grad()
def evaluate(model: nn.Module, batches: Iterable, loss_fn: Callable | None = None, metric: Callable | None = None):
    """(mean loss, mean metric) over the batches, in eval mode; restores the model's mode afterwards."""
    was_training = model.training
    model.eval()
    device = _device_of({"model": model})
    tools_precision = runtime.current().precision
    autocast = (contextlib.nullcontext() if tools_precision == "fp32"
                else torch.autocast(device.type, dtype=torch.bfloat16 if tools_precision == "bf16" else torch.float16))
    losses, scores = [], []
    with autocast:
        for xb, yb in batches:
            xb, yb = to_device((xb, yb), device)
            out = model(xb)
            if loss_fn is not None:
                losses.append(loss_fn(out, yb))
            if metric is not None:
                scores.append(metric(out, yb))
    model.train(was_training)
    return (_mean(losses) if losses else None), (_mean(scores) if scores else None)


def fit(
    model: nn.Module,
    train_batches: Iterable,
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
    keep_best: KeepBest | None = None,
    clip_grad: float | None = None,
    show_progress: bool = False,
    desc: str = "train",
) -> History:
    """The course's supervised training through `train`: per epoch train_loss, train_acc, test_loss, test_acc
    (and lr).

    `regularizer(model)` adds a penalty to the loss that is optimized but not recorded (the course's L1 notebooks
    record the data loss). `scheduler` steps after every batch (as the course's StepLR demo does) or every epoch.
    """

    def after_epoch() -> dict[str, Any]:
        record: dict[str, Any] = {}
        if test is not None:
            test_loss, test_score = evaluate(model, test, loss_fn, metric)
            record["test_loss"] = test_loss
            if test_score is not None:
                record["test_acc"] = test_score
        if record_lr:
            record["lr"] = optimizer.param_groups[0]["lr"]
        return record

    return train(supervised_step(model, loss_fn, optimizer, metric, regularizer), train_batches, epochs,
                 modules=model, optimizers=optimizer,
                 schedulers=[(scheduler, scheduler_every)] if scheduler is not None else [],
                 evaluate=after_epoch, keep_best=keep_best, clip_grad=clip_grad, show_progress=show_progress,
                 desc=desc)
