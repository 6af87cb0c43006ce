"""The GAN section's nets: the linear MNIST GAN, the DCGAN-style 64 x 64 pair ("DCGAN64") and its shallow
three-layer variant for the Gaussian blobs. Layer order as the course has it: in the discriminators batchnorm
comes after the leaky ReLU, no convolution has a bias, and D ends in a sigmoid (BCELoss on probabilities)."""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

LATENT_LINEAR = 64    # the linear generator's input
LATENT_CONV = 100     # the convolutional generators' input, as [N, 100, 1, 1]


class Flatten(nn.Module):
    """[N, ...] -> [N, features]: the linear D accepts flattened or image-shaped batches."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(len(x), -1)


def linear_discriminator(layers: Sequence[int] = (784, 256, 256, 1)) -> nn.Sequential:
    """Linear(784,256) -> lrelu -> Linear(256,256) -> lrelu -> Linear(256,1) -> sigmoid (F.leaky_relu's slope .01)."""
    mods: list[nn.Module] = [Flatten()]
    for i, (a, b) in enumerate(zip(layers[:-1], layers[1:])):
        mods.append(nn.Linear(a, b))
        mods.append(nn.LeakyReLU(0.01) if i < len(layers) - 2 else nn.Sigmoid())
    return nn.Sequential(*mods)


def linear_generator(layers: Sequence[int] = (LATENT_LINEAR, 256, 256, 784)) -> nn.Sequential:
    """Linear(64,256) -> lrelu -> Linear(256,256) -> lrelu -> Linear(256,784) -> tanh: flattened images in -1..1."""
    mods: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(layers[:-1], layers[1:])):
        mods.append(nn.Linear(a, b))
        mods.append(nn.LeakyReLU(0.01) if i < len(layers) - 2 else nn.Tanh())
    return nn.Sequential(*mods)


class ToColumn(nn.Module):
    """D's [N, 1, 1, 1] output as the [N, 1] column BCELoss compares with the labels (the course's .view(-1, 1))."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(-1, 1)


def dcgan_discriminator(channels: int = 1, widths: Sequence[int] = (64, 128, 256, 512)) -> nn.Sequential:
    """Conv(C,64,4,s2,p1) -> lrelu(.2), then for 128, 256, 512: Conv(.,.,4,s2,p1) -> lrelu(.2) -> batchnorm, then
    Conv(512,1,4,s1,p0) -> sigmoid: 64 -> 32 -> 16 -> 8 -> 4 -> 1."""
    mods: list[nn.Module] = []
    previous = channels
    for i, width in enumerate(widths):
        mods += [nn.Conv2d(previous, width, 4, 2, 1, bias=False), nn.LeakyReLU(0.2)]
        if i:
            mods.append(nn.BatchNorm2d(width))
        previous = width
    mods += [nn.Conv2d(previous, 1, 4, 1, 0, bias=False), nn.Sigmoid(), ToColumn()]
    return nn.Sequential(*mods)


def dcgan_generator(channels: int = 1, widths: Sequence[int] = (512, 256, 128, 64),
                    latent: int = LATENT_CONV) -> nn.Sequential:
    """ConvT(100,512,4,s1,p0) -> BN -> ReLU, then ConvT(.,.,4,s2,p1) -> BN -> ReLU for 256, 128, 64, then
    ConvT(64,C,4,s2,p1) -> tanh: 1 -> 4 -> 8 -> 16 -> 32 -> 64."""
    mods: list[nn.Module] = []
    previous = latent
    for i, width in enumerate(widths):
        stride, pad = (1, 0) if i == 0 else (2, 1)
        mods += [nn.ConvTranspose2d(previous, width, 4, stride, pad, bias=False), nn.BatchNorm2d(width), nn.ReLU()]
        previous = width
    mods += [nn.ConvTranspose2d(previous, channels, 4, 2, 1, bias=False), nn.Tanh()]
    return nn.Sequential(*mods)


def shallow_discriminator() -> nn.Sequential:
    """GAN_codeChallengeGaus: Conv(1,64,4,s3) -> lrelu(.2) -> Conv(64,128,4,s3) -> lrelu(.2) -> batchnorm ->
    Conv(128,1,4,s3) -> sigmoid: 64 -> 21 -> 6 -> 1."""
    return nn.Sequential(nn.Conv2d(1, 64, 4, 3, 0, bias=False), nn.LeakyReLU(0.2),
                         nn.Conv2d(64, 128, 4, 3, 0, bias=False), nn.LeakyReLU(0.2), nn.BatchNorm2d(128),
                         nn.Conv2d(128, 1, 4, 3, 0, bias=False), nn.Sigmoid(), ToColumn())


def shallow_generator(latent: int = LATENT_CONV) -> nn.Sequential:
    """GAN_codeChallengeGaus: ConvT(100,256,4,s4) -> BN -> ReLU -> ConvT(256,128,4,s4) -> BN -> ReLU ->
    ConvT(128,1,4,s4) -> tanh: 1 -> 4 -> 16 -> 64."""
    return nn.Sequential(nn.ConvTranspose2d(latent, 256, 4, 4, 0, bias=False), nn.BatchNorm2d(256), nn.ReLU(),
                         nn.ConvTranspose2d(256, 128, 4, 4, 0, bias=False), nn.BatchNorm2d(128), nn.ReLU(),
                         nn.ConvTranspose2d(128, 1, 4, 4, 0, bias=False), nn.Tanh())


NETS = {  # params' `net` -> (generator, discriminator, latent size, latent as images)
    "linear": (linear_generator, linear_discriminator, LATENT_LINEAR, False),
    "dcgan64": (dcgan_generator, dcgan_discriminator, LATENT_CONV, True),
    "shallow": (shallow_generator, shallow_discriminator, LATENT_CONV, True),
}


def build(net: str, channels: int = 1) -> tuple[nn.Module, nn.Module]:
    """(generator, discriminator) of a kind in NETS."""
    make_g, make_d, _, _ = NETS[net]
    if net == "dcgan64":
        return make_g(channels), make_d(channels)
    return make_g(), make_d()


def latent_shape(net: str, n: int) -> tuple[int, ...]:
    _, _, size, as_image = NETS[net]
    return (n, size, 1, 1) if as_image else (n, size)
