"""The course's MNIST autoencoders: Linear layers with ReLU between and a sigmoid output, so reconstructions are
pixel values in (0, 1). `CodeAutoencoder` also hands out its bottleneck code; `TiedAutoencoder` uses one matrix
for the encoding and (transposed) the decoding layer."""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from dudl.models.mlp import mlp


def autoencoder(sizes: Sequence[int]) -> nn.Sequential:
    """e.g. [784, 250, 50, 250, 784]: ReLU after every layer but the last, which ends in a sigmoid."""
    return mlp(sizes, output="sigmoid")


class CodeAutoencoder(nn.Module):
    """autoenc_MNISTlatentCode's net: the code is the ReLU output of the layer with the fewest units."""

    def __init__(self, sizes: Sequence[int]):
        super().__init__()
        sizes = list(sizes)
        narrow = sizes.index(min(sizes))
        if not 0 < narrow < len(sizes) - 1:
            raise ValueError(f"the code layer must be a hidden layer; sizes {sizes} are narrowest at the end")
        self.encoder = nn.Sequential(*mlp(sizes[:narrow + 1]), nn.ReLU())
        self.decoder = mlp(sizes[narrow:], output="sigmoid")

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def layer_chain(self) -> list[nn.Module]:
        """What forward applies, in order (dudl.backprop trains the net by hand from this)."""
        return [self.encoder, self.decoder]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))


class TiedAutoencoder(nn.Module):
    """autoenc_tiedWeights' net: Linear(784,128) -> ReLU -> W -> ReLU -> W^T -> ReLU -> Linear(128,784) ->
    sigmoid, where W (code x hidden, drawn from randn as the course does) is one parameter used twice and the
    tied layers have no bias."""

    def __init__(self, n_in: int = 784, hidden: int = 128, code: int = 50):
        super().__init__()
        self.input = nn.Linear(n_in, hidden)
        self.tied = nn.Parameter(torch.randn(code, hidden))
        self.output = nn.Linear(hidden, n_in)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(F.relu(self.input(x)) @ self.tied.T)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.output(F.relu(self.encode(x) @ self.tied)))
