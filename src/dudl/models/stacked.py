"""M independent MLPs of one shape, stored as stacked weights and trained in one optimizer step.

Why: the course's sweeps train hundreds or thousands of tiny models (ANN_learningrates: 2,041), where the
cost is a fixed per-step overhead, not arithmetic. Stacking the models makes one step do the work of all of
them. Nothing couples the models: the loss is the sum of per-model losses, so each model's gradient is exactly
its own, and per-model learning rates are applied by scaling each model's gradient (plain or momentum SGD with
lr=1 then takes exactly the step SGD(lr_m) would). Each model is initialised the way nn.Linear initialises
its own layers.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from dudl.models.mlp import activation


class StackedMLP(nn.Module):
    def __init__(self, n_models: int, sizes: Sequence[int], hidden: str = "relu", output: str | None = None):
        super().__init__()
        self.n_models = n_models
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            bound = 1 / math.sqrt(n_in)  # nn.Linear's default: kaiming_uniform(a=sqrt(5)) and its bias rule
            self.weights.append(nn.Parameter(torch.empty(n_models, n_in, n_out).uniform_(-bound, bound)))
            self.biases.append(nn.Parameter(torch.empty(n_models, 1, n_out).uniform_(-bound, bound)))
        self.hidden = activation(hidden)
        self.output = activation(output)
        self._lr_scale: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: [N, in] shared by all models, or [M, N, in] one dataset per model. Returns [M, N, out]."""
        h = x.unsqueeze(0).expand(self.n_models, -1, -1) if x.ndim == 2 else x
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            h = torch.baddbmm(b, h, w)
            h = self.hidden(h) if i < last else self.output(h)
        return h

    def scale_gradients(self, lrs: Sequence[float] | torch.Tensor) -> None:
        """Per-model learning rates: pair with an optimizer whose lr is 1."""
        scale = torch.as_tensor(lrs, dtype=self.weights[0].dtype, device=self.weights[0].device).reshape(-1, 1, 1)
        if scale.shape[0] != self.n_models:
            raise ValueError(f"{scale.shape[0]} learning rates for {self.n_models} models")
        self._lr_scale = scale
        for p in [*self.weights, *self.biases]:
            p.register_hook(lambda grad: grad * self._lr_scale)

    def parameters_per_model(self) -> int:
        return sum(p[0].numel() for p in [*self.weights, *self.biases])


def stacked_loss(kind: str):
    """Per-model mean losses, shape [M], for outputs [M, N, out] and targets shared ([N, ...]) or per model."""

    def expand(target: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        return target if target.ndim == out.ndim else target.expand(out.shape[0], *target.shape)

    if kind == "bce":
        return lambda out, y: F.binary_cross_entropy(out, expand(y, out), reduction="none").mean(dim=(1, 2))
    if kind == "bce_logits":
        return lambda out, y: F.binary_cross_entropy_with_logits(out, expand(y, out), reduction="none").mean(dim=(1, 2))
    if kind == "mse":
        return lambda out, y: F.mse_loss(out, expand(y, out), reduction="none").mean(dim=(1, 2))
    if kind == "cross_entropy":
        def ce(out, y):
            y = y if y.ndim == 2 else y.expand(out.shape[0], -1)
            return F.cross_entropy(out.transpose(1, 2), y, reduction="none").mean(dim=1)

        return ce
    raise ValueError(f"unknown stacked loss '{kind}'")
