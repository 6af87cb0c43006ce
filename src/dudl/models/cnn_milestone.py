"""The CNN milestone projects' nets: the CIFAR-10 and Fashion-MNIST classifiers (conv -> maxpool -> batchnorm ->
leaky ReLU blocks, then a dropout head), the CIFAR-10 convolutional autoencoder, and the bar-orientation net."""

from __future__ import annotations

from torch import nn

from dudl.models.cnn import conv_pool_bn, dropout_head


def cifar_classifier() -> nn.Sequential:
    """CNNmilestone_project1: blocks of 64 (padding 1), 128 and 256 channels (no padding): 32 -> 16 -> 7 -> 2, so
    256 x 2 x 2 = 1,024 values, then 1024 -> 256 -> 64 -> 10."""
    return nn.Sequential(*conv_pool_bn(3, 64, 1), *conv_pool_bn(64, 128, 0), *conv_pool_bn(128, 256, 0),
                         nn.Flatten(), *dropout_head([256 * 2 * 2, 256, 64, 10]))


def fashion_classifier() -> nn.Sequential:
    """CNNmilestone_project3: blocks of 16 (padding 1) and 32 channels (no padding): 28 -> 14 -> 6, so
    32 x 6 x 6 = 1,152 values, then 1152 -> 64 -> 32 -> 10."""
    return nn.Sequential(*conv_pool_bn(1, 16, 1), *conv_pool_bn(16, 32, 0), nn.Flatten(),
                         *dropout_head([32 * 6 * 6, 64, 32, 10]))


def cifar_autoencoder() -> nn.Sequential:
    """CNNmilestone_project2: Conv2d(3,16) -> (16,32) -> (32,64), kernel 4, stride 2, padding 1 (32 -> 16 -> 8 -> 4),
    then ConvTranspose2d(64,32) -> (32,16) -> (16,3) with the same settings (4 -> 8 -> 16 -> 32); leaky ReLU after
    every layer, the output layer included (as the notebook has it)."""
    channels = [3, 16, 32, 64]
    layers: list[nn.Module] = []
    for a, b in zip(channels[:-1], channels[1:]):
        layers += [nn.Conv2d(a, b, 4, stride=2, padding=1), nn.LeakyReLU()]
    back = channels[::-1]
    for a, b in zip(back[:-1], back[1:]):
        layers += [nn.ConvTranspose2d(a, b, 4, stride=2, padding=1), nn.LeakyReLU()]
    return nn.Sequential(*layers)


def bar_net() -> nn.Sequential:
    """CNNmilestone_project4: Conv2d(1,5,3,p1) -> maxpool 2 -> ReLU -> Conv2d(5,10,3,p1) -> maxpool 2 -> ReLU
    (30 -> 15 -> 7: 10 x 7 x 7 = 490 values) -> Linear(490,15) -> ReLU -> Linear(15,1), a logit for "vertical"."""
    return nn.Sequential(
        nn.Conv2d(1, 5, 3, padding=1), nn.MaxPool2d(2), nn.ReLU(),
        nn.Conv2d(5, 10, 3, padding=1), nn.MaxPool2d(2), nn.ReLU(),
        nn.Flatten(), nn.Linear(10 * 7 * 7, 15), nn.ReLU(), nn.Linear(15, 1),
    )
