"""Neural style transfer's pieces (Gatys et al., as the course writes them): the feature maps after every Conv2d
of a frozen net's `features`, the Gram matrix, and the style and content losses.

    gram(F)          F of shape [1, C, H, W] -> F2 F2^T / (C*H*W), with F2 = F reshaped to [C, H*W]
    content_loss     sum over content layers of mean((F_target - F_content)^2)
    style_loss       sum over style layers of w_l * mean((G_target - G_style)^2)
    total            style_scaling * style_loss + content_loss
"""

from __future__ import annotations

from typing import Mapping, Sequence

import torch
from torch import nn


def conv_features(net: nn.Sequential, image: torch.Tensor, upto: int | None = None) -> list[torch.Tensor]:
    """The output of every Conv2d of `net` (before its ReLU, as the course collects them), in order; with `upto`,
    only the first `upto` of them, and the layers after the last of those are not run at all."""
    maps: list[torch.Tensor] = []
    x = image
    for layer in net:
        x = layer(x)
        if isinstance(layer, nn.Conv2d):
            maps.append(x)
            if upto is not None and len(maps) >= upto:
                break
    return maps


def conv_count(net: nn.Sequential) -> int:
    return sum(isinstance(layer, nn.Conv2d) for layer in net)


def gram(features: torch.Tensor) -> torch.Tensor:
    """The C x C Gram matrix of one image's feature maps [1, C, H, W], normalized by C*H*W."""
    if features.ndim != 4 or features.shape[0] != 1:
        raise ValueError(f"expected the feature maps of one image, [1, C, H, W]; got {list(features.shape)}")
    _, c, h, w = features.shape
    flat = features.reshape(c, h * w)
    return flat @ flat.T / (c * h * w)


def content_loss(target: Sequence[torch.Tensor], content: Sequence[torch.Tensor], layers: Sequence[int]) -> torch.Tensor:
    return sum(torch.mean((target[i] - content[i]) ** 2) for i in layers)


def style_loss(target: Sequence[torch.Tensor], style_grams: Mapping[int, torch.Tensor],
               weights: Mapping[int, float]) -> torch.Tensor:
    """Sum over style layers of weight * mean((G_target - G_style)^2); style_grams are precomputed."""
    return sum(weights[i] * torch.mean((gram(target[i]) - style_grams[i]) ** 2) for i in weights)


class StyleLoss:
    """losses(image) -> {"loss", "style_loss", "content_loss"} for dudl.steps.ImageStep: the content image's
    feature maps and the style image's Gram matrices computed once, the net run only as deep as a loss reads."""

    def __init__(self, net: nn.Sequential, content: torch.Tensor, style: torch.Tensor, content_layers: Sequence[int],
                 style_layers: Sequence[int], style_weights: Sequence[float], style_scaling: float):
        if len(style_layers) != len(style_weights):
            raise ValueError(f"{len(style_layers)} style layers but {len(style_weights)} style weights")
        n = conv_count(net)
        bad = [i for i in [*content_layers, *style_layers] if not 0 <= i < n]
        if bad:
            raise ValueError(f"conv layer(s) {bad} out of range: the net has {n} conv layers (0 to {n - 1})")
        self.net, self.content_layers = net, list(content_layers)
        self.weights = dict(zip(style_layers, style_weights))
        self.style_scaling = style_scaling
        self.depth = max([*content_layers, *style_layers]) + 1
        with torch.no_grad():
            self.content = [f.detach() for f in conv_features(net, content, self.depth)]
            self.style_grams = {i: gram(f).detach()
                                for i, f in enumerate(conv_features(net, style, self.depth)) if i in self.weights}

    def __call__(self, image: torch.Tensor) -> dict[str, torch.Tensor]:
        maps = conv_features(self.net, image, self.depth)
        style = style_loss(maps, self.style_grams, self.weights)
        content = content_loss(maps, self.content, self.content_layers)
        return {"loss": self.style_scaling * style + content, "style_loss": style.detach(),
                "content_loss": content.detach()}
