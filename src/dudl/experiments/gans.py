"""Section gans: the course's GANs through the one trainer (dudl.train.train with dudl.steps.GANStep).

Two ways of drawing batches, as the notebooks have them: every step `batch_size` random indices with replacement
(GAN_MNIST and the Gaussian blobs: dudl.train.RandomBatches, `steps` of them) or shuffled passes over a dataset
with drop_last (the Fashion-MNIST, CIFAR-10 and CelebA notebooks' DataLoader: dudl.train.Batches, `epochs`
of them). Every step's D and G loss and D's outputs are kept (History.steps). A grid of samples at fixed latent
vectors is taken every `snapshot_every` steps; the latents come from their own seed and the snapshots draw no
random numbers, so the training is the same with or without them. Below scale 1.0 the steps (or passes), the
data and the snapshot interval shrink alike.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd
import torch

from dudl.data import gaussians, mnist
from dudl.experiments.cnn_milestone import FASHION_CLASSES
from dudl.experiments.common import example_rows
from dudl.experiments.mnist_recipe import load_mnist
from dudl.experiments.training import STEPS_PER_RECORD
from dudl.models import gans
from dudl.models.mlp import count_parameters
from dudl.results import Result
from dudl.steps import GANStep
from dudl.train import Batches, RandomBatches, train

P = Mapping[str, Any]
RECORDED = ("d_loss", "g_loss", "d_real", "d_fake", "real_judged_real", "fake_judged_real")


# ---------------------------------------------------------------- images


def to_signed(images: torch.Tensor, size: int | None = None) -> torch.Tensor:
    """uint8 images [N, H, W] or [N, H, W, C] as float32 [N, C, size, size] in -1..1: the course's ToTensor
    (/ 255, channels first), Resize(size) (bilinear, antialiased, as torchvision resizes tensors) and Normalize(.5,
    .5). Runs on the images' device; the resize is per image, so a batch gives what a Dataset transform gives."""
    x = images[:, None] if images.ndim == 3 else images.permute(0, 3, 1, 2)
    x = x.float() / 255
    if size is not None and tuple(x.shape[-2:]) != (size, size):
        x = torch.nn.functional.interpolate(x, size=(size, size), mode="bilinear", align_corners=False,
                                            antialias=True)
    return (x - 0.5) / 0.5


class Transformed:
    """Minibatches of uint8 images turned into the nets' input one batch at a time (CIFAR-10 and CelebA stay
    uint8 in memory: 50,000 CIFAR images at 3 x 64 x 64 as float32 would be 2.5 GB)."""

    def __init__(self, batches: Batches, transform: Callable[[torch.Tensor], torch.Tensor]):
        self.batches, self.transform = batches, transform
        self.generator = batches.generator  # resume checkpoints keep the shuffling generator

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self):
        for xb, yb in self.batches:
            yield self.transform(xb), yb


# ---------------------------------------------------------------- snapshots at fixed latent vectors


class Snapshots:
    """The generator's samples at fixed latent vectors, taken in eval mode and without gradients at step 0 and
    every `every` steps (a stateful object: resume checkpoints keep the snapshots taken so far)."""

    def __init__(self, generator: torch.nn.Module, latents: torch.Tensor, every: int):
        self.generator, self.latents, self.every = generator, latents, every
        self.images: dict[int, torch.Tensor] = {}

    @torch.no_grad()
    def take(self, step: int) -> None:
        was_training = self.generator.training
        self.generator.eval()
        self.images[step] = self.generator(self.latents).float().cpu()
        self.generator.train(was_training)

    def after(self, step: int) -> None:
        if step % self.every == 0:
            self.take(step)

    def steps(self) -> np.ndarray:
        return np.array(sorted(self.images), dtype=np.int64)

    def stacked(self) -> np.ndarray:
        return torch.stack([self.images[s] for s in sorted(self.images)]).numpy()

    def state_dict(self) -> dict:
        return {"steps": torch.from_numpy(self.steps()), "images": torch.from_numpy(self.stacked())}

    def load_state_dict(self, state: Mapping) -> None:
        self.images = {int(s): image for s, image in zip(state["steps"], state["images"])}


def snapshot_step(step: GANStep, snapshots: Snapshots):
    """The GAN step, then a snapshot when the step count reaches a multiple of the interval."""

    def run(batch, tools):
        values = step(batch, tools)
        snapshots.after(tools.step + 1)  # the trainer counts the step after it returns
        return values

    return run


# ---------------------------------------------------------------- one training


def adam(parameters, p: P) -> torch.optim.Adam:
    """The course's Adam. foreach=True: the multi-tensor implementation, bit for bit the default single-tensor
    loop on a CPU, in a fraction of its time (benchmarks/gan.py)."""
    return torch.optim.Adam(parameters, lr=p["lr"], betas=tuple(p["betas"]), foreach=True)


def train_gan(p: P, ctx, net: str, batches, epochs: int, channels: int = 1,
              nets: tuple[torch.nn.Module, torch.nn.Module] | None = None) -> dict[str, Any]:
    """Seed, build G and D (or take `nets`, as benchmarks/gan.py does), and train them on `batches` for
    `epochs` passes (each pass one epoch of the history); returns the nets, the history, every step's records
    and the snapshots."""
    ctx.torch_seed("model")
    generator, discriminator = (m.to(ctx.device) for m in (nets or gans.build(net, channels)))
    g_opt, d_opt = adam(generator.parameters(), p), adam(discriminator.parameters(), p)
    fixed = torch.Generator().manual_seed(ctx.seed_for("latent"))
    latents = torch.randn(gans.latent_shape(net, p["shown"]), generator=fixed).to(ctx.device)
    steps_total = epochs * len(batches)
    every = ctx.scale.count(p["snapshot_every"])
    snapshots = Snapshots(generator, latents, every)
    snapshots.take(0)
    step = GANStep(generator, discriminator, g_opt, d_opt,
                   latent=lambda n, device: torch.randn(gans.latent_shape(net, n), device=device), joint=p["joint"])
    history = train(snapshot_step(step, snapshots), batches, epochs,
                    modules={"generator": generator, "discriminator": discriminator},
                    optimizers={"generator": g_opt, "discriminator": d_opt}, record_steps=True,
                    stateful=[snapshots], show_progress=ctx.show_progress, desc="gan")
    if steps_total not in snapshots.images:
        snapshots.take(steps_total)
    records = {k: np.asarray(history.steps[k], dtype=np.float32) for k in RECORDED}
    return {"generator": generator, "discriminator": discriminator, "history": history, "records": records,
            "snapshots": snapshots}


def random_steps(p: P, ctx, x: np.ndarray) -> tuple[RandomBatches, int]:
    """(batches, epochs): p["steps"] (scaled) random batches with replacement, in history rows of
    STEPS_PER_RECORD steps (the autoencoders' iterations recipe)."""
    steps = ctx.scale.count(p["steps"])
    epochs = max(1, steps // STEPS_PER_RECORD)
    generator = ctx.torch_seed("batches")
    return RandomBatches(torch.as_tensor(x, device=ctx.device), p["batch_size"], steps // epochs, generator), epochs


def passes(p: P, ctx, x: torch.Tensor, y: np.ndarray) -> Batches:
    """Shuffled passes in batches of p["batch_size"] with drop_last (at least one batch on a tiny subset)."""
    batch = min(p["batch_size"], len(x))
    return Batches(x, torch.as_tensor(y, device=ctx.device), batch, shuffle=True, drop_last=True,
                   generator=ctx.torch_seed("batches"))


def gan_metrics(p: P, trained: Mapping[str, Any]) -> dict[str, float]:
    """Means over the last p["last_share"] of the steps (losses, D's outputs and decisions), the final smoothed
    losses (mean of the last p["smooth"] steps), the number of steps and the nets' sizes."""
    r = trained["records"]
    n = len(r["d_loss"])
    last = max(1, int(round(n * p["last_share"])))
    metrics: dict[str, float] = {"steps": n}
    for key in RECORDED:
        metrics[f"{key}_last"] = float(r[key][-last:].mean())
    for key in ("d_loss", "g_loss"):
        metrics[f"final_{key}_smoothed"] = float(r[key][-p["smooth"]:].mean())
    metrics["parameters_generator"] = count_parameters(trained["generator"])
    metrics["parameters_discriminator"] = count_parameters(trained["discriminator"])
    return metrics


def gan_result(p: P, trained: Mapping[str, Any], data: Mapping[str, Any] | None = None) -> Result:
    snapshots = trained["snapshots"]
    frames = snapshots.stacked()
    return Result(
        metrics=gan_metrics(p, trained),
        history=trained["history"].frame(),
        data={**trained["records"], "snapshot_steps": snapshots.steps(), "snapshots": frames[:, :p["strip_images"]],
              "samples": frames[-1], "untrained": frames[0], **(data or {})},
        models={"generator": trained["generator"].state_dict(),
                "discriminator": trained["discriminator"].state_dict()},
    )


def _examples(ctx, p: P, x: np.ndarray, labels: list[str] | None = None,
              transform: Callable[[np.ndarray], np.ndarray] | None = None) -> dict[str, Any]:
    """p["examples"] training images drawn at random (as the net sees them) and, when given, their labels."""
    picks = example_rows(ctx, len(x), p["examples"])
    out: dict[str, Any] = {"examples": transform(x[picks]) if transform else x[picks]}
    if labels is not None:
        out["example_labels"] = pd.DataFrame({"label": [labels[i] for i in picks]})
    return out


# ---------------------------------------------------------------- GAN_MNIST


def linear_mnist(p: P, ctx) -> Result:
    images, labels = load_mnist(ctx)
    x = mnist.normalize(images[ctx.subset(labels)]) * 2 - 1  # the course's data / max, then 2x - 1
    batches, epochs = random_steps(p, ctx, x)
    return gan_result(p, train_gan(p, ctx, "linear", batches, epochs))


# ---------------------------------------------------------------- Fashion-MNIST (linear and DCGAN)


def fashion_classes(ctx, p: P) -> tuple[np.ndarray, np.ndarray]:
    """The training images (uint8 [N, 28, 28]) of p["classes"], class by class as the course concatenates their
    indices, and their labels; a stratified share below scale 1.0."""
    with np.load(ctx.data_file("fashion_mnist", "train.npz")) as data:
        images, labels = data["images"], data["labels"]
    rows = np.concatenate([np.flatnonzero(labels == FASHION_CLASSES.index(c)) for c in p["classes"]])
    rows = rows[ctx.subset(labels[rows])]
    return images[rows], labels[rows]


def _fashion(p: P, ctx, net: str) -> Result:
    images, labels = fashion_classes(ctx, p)
    size = None if p["size"] == images.shape[-1] else p["size"]
    x = torch.cat([to_signed(torch.as_tensor(images[i:i + 2000]), size) for i in range(0, len(images), 2000)])
    if net == "linear":
        x = x.reshape(len(x), -1)
    data = _examples(ctx, p, x.numpy(), [FASHION_CLASSES[i] for i in labels])
    trained = train_gan(p, ctx, net, passes(p, ctx, x.to(ctx.device), labels), ctx.scale.epochs(p["epochs"]))
    return gan_result(p, trained, data)


def linear_fmnist(p: P, ctx) -> Result:
    return _fashion(p, ctx, "linear")


def cnn_fmnist(p: P, ctx) -> Result:
    return _fashion(p, ctx, "dcgan64")


# ---------------------------------------------------------------- Gaussian blobs


def blobs(p: P, ctx) -> np.ndarray:
    return gaussians.random_widths(ctx.rng("blobs"), ctx.scale.count(p["images"]), offset=p["offset"],
                                   width_low=p["width_low"], width_scale=p["width_scale"], noise=p["noise"])


def _blobs(p: P, ctx, net: str) -> Result:
    x = blobs(p, ctx)
    batches, epochs = random_steps(p, ctx, x)
    return gan_result(p, train_gan(p, ctx, net, batches, epochs), _examples(ctx, p, x))


def fewer_layers_gauss(p: P, ctx) -> Result:
    return _blobs(p, ctx, "shallow")


def cnn_gauss(p: P, ctx) -> Result:
    return _blobs(p, ctx, "dcgan64")


# ---------------------------------------------------------------- CIFAR-10 and CelebA (uint8 in memory)


def _uint8_passes(p: P, ctx, images: np.ndarray, labels: np.ndarray, names: list[str] | None) -> Result:
    keep = ctx.subset(labels)
    images, labels = images[keep], labels[keep]
    signed = lambda xb: to_signed(xb, p["size"])  # noqa: E731
    data = _examples(ctx, p, images, None if names is None else [names[i] for i in labels],
                     transform=lambda a: signed(torch.as_tensor(a)).numpy())
    batches = Transformed(passes(p, ctx, torch.as_tensor(images, device=ctx.device), labels), signed)
    trained = train_gan(p, ctx, "dcgan64", batches, ctx.scale.epochs(p["epochs"]), channels=3)
    return gan_result(p, trained, data)


def cnn_cifar10(p: P, ctx) -> Result:
    with np.load(ctx.data_file("cifar10", "train.npz")) as data:
        images, labels, names = data["images"], data["labels"], [str(c) for c in data["classes"]]
    return _uint8_passes(p, ctx, images, labels, names)


def cnn_faces(p: P, ctx) -> Result:
    with np.load(ctx.data_file("celeba", "train.npz")) as data:
        images = data["images"]
    return _uint8_passes(p, ctx, images, np.zeros(len(images), dtype=np.int64), None)
