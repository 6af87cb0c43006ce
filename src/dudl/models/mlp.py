"""Feed-forward networks as the course writes them: Linear layers with an activation between them."""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

# Names as the course uses them: torch.nn classes (ReLU, LeakyReLU, ...) and torch functions (relu, tanh, ...).
ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "relu6": nn.ReLU6,
    "leakyrelu": nn.LeakyReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "softmax": lambda: nn.Softmax(dim=1),
    "logsoftmax": lambda: nn.LogSoftmax(dim=1),
    "identity": nn.Identity,
}


def activation(name: str | None) -> nn.Module:
    if name is None:
        return nn.Identity()
    key = name.lower().replace("_", "")
    if key not in ACTIVATIONS:
        raise ValueError(f"unknown activation '{name}'; known: {', '.join(sorted(ACTIVATIONS))}")
    return ACTIVATIONS[key]()


def mlp(sizes: Sequence[int], hidden: str = "relu", output: str | None = None, dropout: float = 0.0,
        batchnorm: bool = False) -> nn.Sequential:
    """Linear(sizes[0], sizes[1]) -> act [-> BatchNorm] [-> Dropout] -> ... -> Linear(.., sizes[-1]) [-> output act]."""
    if len(sizes) < 2:
        raise ValueError("an MLP needs at least input and output sizes")
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(activation(hidden))
            if batchnorm:
                layers.append(nn.BatchNorm1d(n_out))
            if dropout:
                layers.append(nn.Dropout(dropout))
    if output is not None:
        layers.append(activation(output))
    return nn.Sequential(*layers)


class MLP(nn.Module):
    """The course's class-style model with a ModuleDict of layers (ANN_breadthVsDepth): input layer, n_layers
    hidden layers of n_units, output layer; ReLU between. GPU_CodeChallenge2GPU's version has no ReLU after the
    input layer (input_relu=False) and a log_softmax output (output="logsoftmax")."""

    def __init__(self, n_in: int, n_units: int, n_layers: int, n_out: int, input_relu: bool = True,
                 output: str | None = None):
        super().__init__()
        self.n_layers = n_layers  # the course's notebook sets this to nUnits by mistake (catalog 1.4)
        self.input_relu = input_relu
        self.output = activation(output)
        self.layers = nn.ModuleDict({"input": nn.Linear(n_in, n_units)})
        for i in range(n_layers):
            self.layers[f"hidden{i}"] = nn.Linear(n_units, n_units)
        self.layers["output"] = nn.Linear(n_units, n_out)

    def layer_chain(self) -> list[nn.Module]:
        """What forward applies, in order, as modules (dudl.backprop trains the net by hand from this)."""
        chain = [self.layers["input"]] + ([nn.ReLU()] if self.input_relu else [])
        for i in range(self.n_layers):
            chain += [self.layers[f"hidden{i}"], nn.ReLU()]
        return chain + [self.layers["output"], self.output]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.layers["input"](x)
        if self.input_relu:
            x = torch.relu(x)
        for i in range(self.n_layers):
            x = torch.relu(self.layers[f"hidden{i}"](x))
        return self.output(self.layers["output"](x))


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
