"""The course's CNNs: the MNIST digit classifier and the Gaussian-blob nets (91 x 91 images)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def mnist_cnn() -> nn.Sequential:
    """CNN_CNN4MNIST: Conv2d(1,10,5,p1) -> maxpool 2 -> ReLU -> Conv2d(10,20,5,p1) -> maxpool 2 -> ReLU -> 500 ->
    Linear(500,50) -> ReLU -> Linear(50,10). Sizes: 28 -> 26 -> 13 -> 11 -> 5."""
    return nn.Sequential(
        nn.Conv2d(1, 10, 5, padding=1), nn.MaxPool2d(2), nn.ReLU(),
        nn.Conv2d(10, 20, 5, padding=1), nn.MaxPool2d(2), nn.ReLU(),
        nn.Flatten(), nn.Linear(20 * 5 * 5, 50), nn.ReLU(), nn.Linear(50, 10),
    )


def gauss_conv() -> nn.Sequential:
    """The Gaussian nets' convolution part: Conv2d(1,6,3,p1) -> ReLU -> AvgPool 2 -> Conv2d(6,4,3,p1) -> ReLU ->
    AvgPool 2 -> flatten (91 -> 45 -> 22: 4 x 22 x 22 = 1,936 values)."""
    return nn.Sequential(
        nn.Conv2d(1, 6, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2, 2),
        nn.Conv2d(6, 4, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2, 2),
        nn.Flatten(),
    )


GAUSS_FLAT = 4 * 22 * 22


def gauss_net(outputs: int) -> nn.Sequential:
    """CNN_GaussClass (1 output, a logit) and CNN_findGauss (3: x, y, width): the convolution part, then
    Linear(1936,50) -> Linear(50,outputs), no activation between them (as the notebooks write it)."""
    return nn.Sequential(*gauss_conv(), nn.Linear(GAUSS_FLAT, 50), nn.Linear(50, outputs))


def gauss_wide_net(units: int) -> nn.Sequential:
    """CNN_CodeChallengeLinearUnits: the convolution part, then Linear(1936, 2u) -> ReLU -> Linear(2u, u) ->
    Linear(u, 1)."""
    return nn.Sequential(*gauss_conv(), nn.Linear(GAUSS_FLAT, 2 * units), nn.ReLU(), nn.Linear(2 * units, units),
                         nn.Linear(units, 1))


def gauss_autoencoder() -> nn.Sequential:
    """CNN_GaussAE's net: Conv2d(1,6,3,p1) -> ReLU -> maxpool 2 -> Conv2d(6,4,3,p1) -> ReLU -> maxpool 2 (4 x 22 x 22),
    then ConvTranspose2d(4,6,3,s2) -> ReLU -> ConvTranspose2d(6,1,3,s2): 22 -> 45 -> 91."""
    return nn.Sequential(
        nn.Conv2d(1, 6, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
        nn.Conv2d(6, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
        nn.ConvTranspose2d(4, 6, 3, 2), nn.ReLU(), nn.ConvTranspose2d(6, 1, 3, 2),
    )


class FeatureMapNet(nn.Module):
    """Two conv -> ReLU -> avg-pool blocks and a two-layer head with ReLU between (CNN_GaussClassFeatureMaps and,
    with its rectangular kernels and strides, CNN_codeChallengeSoftcoding); `maps` returns both blocks' ReLU
    activations (before pooling), as the course's forward does."""

    def __init__(self, channels=(6, 4), kernel=3, stride=1, padding=1, size: int = 91, hidden: int = 50):
        super().__init__()
        self.conv1 = nn.Conv2d(1, channels[0], kernel, stride=stride, padding=padding)
        self.conv2 = nn.Conv2d(channels[0], channels[1], kernel, stride=stride, padding=padding)
        with torch.no_grad():
            flat = self._body(torch.zeros(1, 1, size, size))[-1].numel()
        self.fc1, self.fc2 = nn.Linear(flat, hidden), nn.Linear(hidden, 1)

    def _body(self, x):
        a1 = F.relu(self.conv1(x))
        a2 = F.relu(self.conv2(F.avg_pool2d(a1, 2)))
        return a1, a2, F.avg_pool2d(a2, 2).flatten(1)

    def maps(self, x):
        a1, a2, _ = self._body(x)
        return a1, a2

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(self._body(x)[-1])))


def conv_pool_bn(c_in: int, c_out: int, padding: int, dropout: float = 0.0) -> list[nn.Module]:
    """The course's "CPBR" block of the EMNIST and milestone nets, in its order: Conv2d(3 x 3) -> maxpool 2 ->
    BatchNorm2d -> leaky ReLU (the notebooks' F.leaky_relu, slope .01), then dropout where the net has it."""
    block = [nn.Conv2d(c_in, c_out, 3, padding=padding), nn.MaxPool2d(2), nn.BatchNorm2d(c_out), nn.LeakyReLU()]
    return block + [nn.Dropout(dropout)] if dropout else block


def dropout_head(sizes, dropout: float = 0.5) -> list[nn.Module]:
    """Linear layers with leaky ReLU (and dropout, unless 0) after every one but the last (the notebooks'
    F.dropout with training=self.training: off in eval mode)."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers += [nn.LeakyReLU()] + ([nn.Dropout(dropout)] if dropout else [])
    return layers


def emnist_net(channels=(6, 6), classes: int = 26) -> nn.Sequential:
    """CNN_EMNIST (channels 6, 6) and CNN_codeChallengeNumChans (any c1, c2): two padded blocks (28 -> 14 -> 7),
    then Linear(7*7*c2, 50) -> leaky_relu -> Linear(50, 26)."""
    c1, c2 = channels
    return nn.Sequential(*conv_pool_bn(1, c1, 1), *conv_pool_bn(c1, c2, 1), nn.Flatten(),
                         *dropout_head([7 * 7 * c2, 50, classes], dropout=0))


def emnist_deep_net(classes: int = 26) -> nn.Sequential:
    """CNN_codeChallengeBeatThis: 64, 128 then 256 channels (28 -> 14 -> 12 -> 6 -> 4 -> 2; only the first conv
    is padded), dropout .25 after each block, then 1024 -> 256 -> 64 -> 26 with leaky_relu and dropout .5."""
    return nn.Sequential(*conv_pool_bn(1, 64, 1, 0.25), *conv_pool_bn(64, 128, 0, 0.25),
                         *conv_pool_bn(128, 256, 0, 0.25), nn.Flatten(), *dropout_head([2 * 2 * 256, 256, 64, classes]))
