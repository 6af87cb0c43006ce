"""Section convolution: convolution by hand against scipy and torch, Conv2d and ConvTranspose2d, the output-size
formula, pooling, torchvision transforms on CIFAR-10, and a custom Dataset with a transform. Nothing trains."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from scipy.signal import convolve2d
from torch import nn
from torch.utils.data import DataLoader, Dataset

from dudl.data import mnist
from dudl.data.external import Unavailable, local_copy
from dudl.experiments.common import read_rgb
from dudl.experiments.mnist_recipe import load_mnist
from dudl.results import Result

P = Mapping[str, Any]


# ---------------------------------------------------------------- convolution_convInCode


def gaussian_kernel(size: int, width: float) -> np.ndarray:
    x = np.linspace(-3, 3, size)
    xx, yy = np.meshgrid(x, x)
    return np.exp(-(xx ** 2 + yy ** 2) / width)


def convolve_by_hand(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """'valid' 2-D convolution as the course writes it: slide the flipped kernel, multiply and sum."""
    k = kernel.shape[0]
    flipped = kernel[::-1, ::-1]
    out = np.zeros((image.shape[0] - k + 1, image.shape[1] - k + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(image[i:i + k, j:j + k] * flipped)
    return out


def photo(p: P, ctx) -> tuple[np.ndarray, str]:
    """(grey image / max, which photo it is): the course's photo through the data layer's external copy, or the
    data layer's Starry Night where the course's cannot be had (a file there that is not an image is an error)."""
    try:
        path = local_copy(p["photo"], ctx.root)
    except (Unavailable, OSError) as exc:
        rgb = np.load(ctx.data_file("style_images", "starry_night.npy")).astype(float)
        source = f"Starry Night, standing in ({exc})"
    else:
        rgb, source = read_rgb(path).astype(float), f"the course's photo ({path.name})"
    grey = rgb.mean(axis=2)
    return grey / grey.max(), source


def conv_in_code(p: P, ctx) -> Result:
    image = ctx.rng("image").standard_normal((p["image_size"], p["image_size"]))
    kernel = gaussian_kernel(p["kernel_size"], p["kernel_width"])
    manual, scipy_out = convolve_by_hand(image, kernel), convolve2d(image, kernel, mode="valid")
    grey, source = photo(p, ctx)
    kernels = {"vertical": np.asarray(p["vertical_kernel"], float), "horizontal": np.asarray(p["horizontal_kernel"], float)}
    by_scipy = {k: convolve2d(grey, v, mode="same") for k, v in kernels.items()}
    x = torch.as_tensor(grey, dtype=torch.float64)[None, None]
    by_torch = {k: F.conv2d(x, torch.as_tensor(v[::-1, ::-1].copy())[None, None], padding=1)[0, 0].numpy()
                for k, v in kernels.items()}
    return Result(
        metrics={"max_abs_diff_manual_scipy": float(np.abs(manual - scipy_out).max()), "valid_size": int(manual.shape[0]),
                 "max_abs_diff_torch_scipy": float(max(np.abs(by_torch[k] - by_scipy[k]).max() for k in kernels)),
                 "photo_is_the_course_one": int(source.startswith("the course's")),
                 "photo_height": int(grey.shape[0]), "photo_width": int(grey.shape[1])},
        summary=pd.DataFrame([{"photo": source, "height": grey.shape[0], "width": grey.shape[1]}]),
        data={"image": image, "kernel": kernel, "manual": manual, "scipy": scipy_out, "photo": grey,
              "source": pd.DataFrame({"photo": [source]}),
              **{f"{k}_kernel": v for k, v in kernels.items()},
              **{f"scipy_{k}": v for k, v in by_scipy.items()}, **{f"torch_{k}": v for k, v in by_torch.items()}},
    )


# ---------------------------------------------------------------- convolution_conv2 / conv2transpose


def _conv_layer(p: P, ctx, layer: nn.Module) -> Result:
    image = torch.rand(1, p["in_channels"], p["image_size"], p["image_size"])
    with torch.no_grad():
        out = layer(image)
    weight = layer.weight.detach()
    kernels = weight[:, 0] if isinstance(layer, nn.Conv2d) else weight[0]  # [out, in, k, k] vs [in, out, k, k]
    return Result(
        metrics={**{f"weight_dim_{i}": int(d) for i, d in enumerate(weight.shape)},
                 "bias_length": int(layer.bias.shape[0]), "output_channels": int(out.shape[1]),
                 "output_height": int(out.shape[2]), "output_width": int(out.shape[3])},
        summary=pd.DataFrame([{"weight": str(list(weight.shape)), "bias": str(list(layer.bias.shape)),
                               "input": str(list(image.shape)), "output": str(list(out.shape))}]),
        data={"kernels": kernels.numpy(), "image": image[0].permute(1, 2, 0).numpy(), "maps": out[0].numpy()},
    )


def conv2(p: P, ctx) -> Result:
    ctx.torch_seed("layer")
    return _conv_layer(p, ctx, nn.Conv2d(p["in_channels"], p["out_channels"], p["kernel_size"]))


def conv2_transpose(p: P, ctx) -> Result:
    ctx.torch_seed("layer")
    return _conv_layer(p, ctx, nn.ConvTranspose2d(p["in_channels"], p["out_channels"], p["kernel_size"]))


# ---------------------------------------------------------------- convolution_codeChallenge


def expected_size(n: int, kernel: int, stride: int, padding: int) -> int:
    """floor((N + 2p - k) / s) + 1."""
    return (n + 2 * padding - kernel) // stride + 1


def output_size(p: P, ctx) -> Result:
    rows = []
    for name, c in p["cases"].items():
        layer = nn.Conv2d(c["in_channels"], c["out_channels"], c["kernel"], stride=tuple(c["stride"]),
                          padding=c["padding"])
        with torch.no_grad():
            out = layer(torch.zeros(1, c["in_channels"], c["height"], c["width"]))
        expected = [expected_size(n, c["kernel"], s, c["padding"]) for n, s in zip((c["height"], c["width"]),
                                                                                  c["stride"])]
        rows.append({"case": name, "input": f"{c['in_channels']}x{c['height']}x{c['width']}",
                     "kernel": c["kernel"], "stride": str(tuple(c["stride"])), "padding": c["padding"],
                     "expected_height": expected[0], "expected_width": expected[1],
                     "empirical_height": int(out.shape[2]), "empirical_width": int(out.shape[3]),
                     "target_height": c["target"][0], "target_width": c["target"][1],
                     "empirical_channels": int(out.shape[1])})
    summary = pd.DataFrame(rows)
    matches = ((summary["expected_height"] == summary["empirical_height"])
               & (summary["expected_width"] == summary["empirical_width"])
               & (summary["empirical_height"] == summary["target_height"])
               & (summary["empirical_width"] == summary["target_width"]))
    # by name: the cases' order is not kept (Snakemake hands params over as JSON with sorted keys)
    sizes = {f"{r['case']}_{dim}": int(r[f"empirical_{dim}"]) for r in rows for dim in ("height", "width")}
    return Result(metrics={"cases": int(len(summary)), "cases_matching": int(matches.sum()), **sizes},
                  summary=summary.assign(matches=matches))


# ---------------------------------------------------------------- convolution_meanMaxPool


def pooling(p: P, ctx) -> Result:
    ctx.torch_seed("images")
    n, k = p["image_size"], p["pool"]
    one, three = torch.rand(1, 1, n, n), torch.rand(1, 3, n, n)
    max2d, max3d, mean2d = nn.MaxPool2d(k, stride=k), nn.MaxPool3d(k, stride=k), nn.AvgPool2d(k, stride=k)
    shapes = {"maxpool2d_1ch": max2d(one).shape, "maxpool2d_3ch": max2d(three).shape, "maxpool3d_3ch": max3d(three).shape}
    cnn_body = nn.Sequential(nn.Conv2d(3, 10, 5, stride=3, padding=2), nn.ReLU(), nn.AvgPool3d(3, 3), nn.Flatten())
    x = torch.rand(1, 3, p["cnn_image_size"], p["cnn_image_size"])
    with torch.no_grad():
        flat = cnn_body(x)
        head = nn.Sequential(nn.Linear(flat.shape[1], 1), nn.Sigmoid())
        probability = float(head(flat))
        conv_shape = cnn_body[0](x).shape
    return Result(
        metrics={"maxpool2d_3ch_channels": int(shapes["maxpool2d_3ch"][1]),
                 "maxpool3d_channels": int(shapes["maxpool3d_3ch"][1]),
                 "pooled_height": int(shapes["maxpool2d_1ch"][2]), "cnn_conv_height": int(conv_shape[2]),
                 "cnn_flat_features": int(flat.shape[1]), "cnn_probability": probability},
        summary=pd.DataFrame([{"operation": k, "shape": str(list(v))} for k, v in shapes.items()]
                             + [{"operation": "little CNN conv", "shape": str(list(conv_shape))},
                                {"operation": "little CNN flattened", "shape": str(list(flat.shape))}]),
        data={"image": one[0, 0].numpy(), "max_pooled": max2d(one)[0, 0].numpy(), "mean_pooled": mean2d(one)[0, 0].numpy()},
    )


# ---------------------------------------------------------------- convolution_transforms (CIFAR-10)


def transforms(p: P, ctx) -> Result:
    import torchvision.transforms as T

    with np.load(ctx.data_file("cifar10", "train.npz")) as data:
        images, labels, classes = data["images"], data["labels"], [str(c) for c in data["classes"]]
    picks = ctx.rng("examples").choice(len(images), size=min(p["examples"], len(images)), replace=False)
    pipeline = T.Compose([T.ToTensor(), T.Resize(p["resize"]), T.Grayscale(num_output_channels=1)])
    index = p["example_image"] % len(images)
    transformed = pipeline(images[index])
    return Result(
        metrics={"train_images": int(len(images)), "classes": len(classes), "image_height": int(images.shape[1]),
                 "transformed_channels": int(transformed.shape[0]), "transformed_height": int(transformed.shape[1]),
                 "transformed_width": int(transformed.shape[2])},
        summary=pd.DataFrame({"class": classes, "images": np.bincount(labels, minlength=len(classes))}),
        data={"examples": images[picks], "example_labels": pd.DataFrame({"label": [classes[i] for i in labels[picks]]}),
              "original": images[index], "transformed": transformed[0].numpy(),
              "example_class": pd.DataFrame({"label": [classes[labels[index]]]})},
    )


# ---------------------------------------------------------------- convolution_customDataSet


class TransformedTensors(Dataset):
    """A Dataset over in-memory tensors that applies a transform to each image as it is fetched."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, transform=None):
        if len(images) != len(labels):
            raise ValueError(f"{len(images)} images but {len(labels)} labels")
        self.images, self.labels, self.transform = images, labels, transform

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int):
        image = self.images[i]
        return (self.transform(image) if self.transform else image), self.labels[i]


def custom_dataset(p: P, ctx) -> Result:
    import torchvision.transforms as T

    images, labels = load_mnist(ctx)
    n = p["images"]
    x = torch.as_tensor(mnist.normalize(images[:n])).reshape(n, 1, 28, 28)
    y = torch.as_tensor(labels[:n])
    ctx.torch_seed("flips")  # RandomVerticalFlip draws from torch's global RNG
    flip = T.Compose([T.ToPILImage(), T.RandomVerticalFlip(p=p["flip_probability"]), T.ToTensor()])
    loader = DataLoader(TransformedTensors(x, y, flip), batch_size=n)
    xb, yb = next(iter(loader))
    # ToPILImage/ToTensor round-trips through 8-bit pixels: compare at that precision
    same = torch.isclose(xb, x, atol=1 / 255).flatten(1).all(dim=1)
    flipped = torch.isclose(xb, x.flip(dims=(2,)), atol=1 / 255).flatten(1).all(dim=1)
    return Result(
        metrics={"data_images": int(x.shape[0]), "data_channels": int(x.shape[1]), "batch_size": int(xb.shape[0]),
                 "batch_channels": int(xb.shape[1]), "batch_height": int(xb.shape[2]),
                 "flipped": int((flipped & ~same).sum()), "labels_kept": int(torch.equal(yb, y))},
        summary=pd.DataFrame({"image": np.arange(n), "label": y.numpy(), "flipped": (flipped & ~same).numpy()}),
        data={"originals": x[:, 0].numpy(), "loaded": xb[:, 0].numpy()},
    )
