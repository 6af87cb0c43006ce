"""The course's CNNs: the MNIST digit classifier and the Gaussian-blob nets (91 x 91 images)."""

from __future__ import annotations

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
