"""Section autoencoders: denoising, how many units, the latent code, occlusion and tied weights, all on the
course's 20,000 MNIST digits divided by their max, without labels (MSELoss on the reconstruction, Adam lr .001).

Two recipes, as the course has them: *iterations* (every step one batch of 32 drawn at random with replacement;
RandomBatches) and *passes* (shuffled passes over all digits in batches of 32; Batches). Every step's loss is
kept (History.steps), since the course plots them. At scale < 1 they train on a stratified share of the digits
and run a share of the iterations; the shown and tested digits are always the course's.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd
import torch
from sklearn.decomposition import PCA
from torch import nn

from dudl.catalog.autoencoders import unit_points
from dudl.data import mnist
from dudl.experiments.mnist_recipe import load_mnist
from dudl.experiments.training import predict, train_autoencoder
from dudl.models.autoencoders import CodeAutoencoder, TiedAutoencoder, autoencoder
from dudl.models.mlp import count_parameters
from dudl.params import grid
from dudl.results import Result

P = Mapping[str, Any]
LAST = 100  # iterations averaged for the steadier final loss


def digits(ctx) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(all 20,000 digits / max, their labels, the rows to train on: all at scale 1.0, a stratified share below)."""
    images, labels = load_mnist(ctx)
    return mnist.normalize(images), labels, ctx.subset(labels)


def loss_metrics(losses: np.ndarray, model: nn.Module) -> dict[str, float]:
    return {"final_loss": float(losses[-1]), f"mean_loss_last_{LAST}": float(losses[-LAST:].mean()),
            "iterations": int(len(losses)), "parameters": count_parameters(model)}


def add_noise(ctx, images: np.ndarray, amount: float) -> np.ndarray:
    """The course's `X + torch.rand_like(X)/4` (amount .25), clipped at 1."""
    return np.minimum(images + ctx.rng("noise").uniform(0, amount, images.shape).astype(np.float32), 1.0)


def _mse(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return ((a - b) ** 2).mean(axis=1)


def _denoising_report(p: P, ctx, model: nn.Module, x_all: np.ndarray, losses: np.ndarray) -> tuple[dict, dict]:
    clean = x_all[:p["shown"]]
    noisy = add_noise(ctx, clean, p["noise"])
    denoised = predict(model, noisy, ctx.device)
    metrics = {**loss_metrics(losses, model), "noisy_input_mse": float(_mse(noisy, clean).mean()),
               "denoised_mse": float(_mse(denoised, clean).mean()),
               "clean_reconstruction_mse": float(_mse(predict(model, clean, ctx.device), clean).mean())}
    k = p["examples"]
    data = {"losses": losses, "originals": x_all[:k], "trained": predict(model, x_all[:k], ctx.device),
            "clean": clean, "noisy": noisy, "denoised": denoised, "denoised_mse": _mse(denoised, clean)}
    return metrics, data


def denoising(p: P, ctx) -> Result:
    x_all, _, keep = digits(ctx)
    model, losses, history, untrained = train_autoencoder(ctx, p, lambda: autoencoder(p["layers"]), x_all[keep],
                                                        before=x_all[:p["examples"]])
    metrics, data = _denoising_report(p, ctx, model, x_all, losses)
    return Result(metrics=metrics, history=history.frame(), data={**data, "untrained": untrained})


def tied_weights(p: P, ctx) -> Result:
    x_all, _, keep = digits(ctx)
    build = lambda: TiedAutoencoder(mnist.PIXELS, p["hidden"], p["code"])  # noqa: E731
    model, losses, history, _ = train_autoencoder(ctx, p, build, x_all[keep])
    metrics, data = _denoising_report(p, ctx, model, x_all, losses)
    return Result(metrics=metrics, history=history.frame(), data=data)


# ---------------------------------------------------------------- how many units (one job per encoder width)


def n_units_point(p: P, ctx, run: str) -> Result:
    """The bottleneck sizes for one encoder/decoder width E: 784-E-B-E-784, a few shuffled passes each."""
    width = int(run[1:])
    x_all, _, keep = digits(ctx)
    rows = []
    for bottleneck in (int(b) for b in grid(p["bottleneck_units"], ctx.scale)):
        model, losses, _, _ = train_autoencoder(ctx, p, lambda: autoencoder([mnist.PIXELS, width, bottleneck, width,
                                                                           mnist.PIXELS]),
                                              x_all[keep], ("run", run, bottleneck),
                                              passes=ctx.scale.epochs(p["epochs"]))
        rows.append({"encoder_units": width, "bottleneck_units": bottleneck,
                     "loss": float(losses[-p["last_batches"]:].mean()), "parameters": count_parameters(model)})
    summary = pd.DataFrame(rows)
    return Result(metrics={"mean_loss": float(summary["loss"].mean())}, summary=summary)


def n_units_combine(p: P, ctx, parts: Mapping[str, Result]) -> Result:
    runs = [r for r in unit_points(p, ctx.scale) if r in parts]
    summary = pd.concat([parts[r].summary for r in runs], ignore_index=True)
    smallest = summary.loc[(summary["encoder_units"] == summary["encoder_units"].min())
                           & (summary["bottleneck_units"] == summary["bottleneck_units"].min()), "loss"]
    large = summary.loc[(summary["encoder_units"] >= 200) & (summary["bottleneck_units"] >= 30), "loss"]
    return Result(
        metrics={"loss_smallest": float(smallest.iloc[0]), "loss_largest_net": float(summary.loc[
                     summary["parameters"].idxmax(), "loss"]),
                 "mean_loss_large": float(large.mean()) if len(large) else float("nan"),
                 "min_loss": float(summary["loss"].min()), "max_loss": float(summary["loss"].max()),
                 "r_loss_encoder_units": float(np.corrcoef(summary["encoder_units"], summary["loss"])[0, 1]),
                 "r_loss_bottleneck_units": float(np.corrcoef(summary["bottleneck_units"], summary["loss"])[0, 1]),
                 "trainings": int(len(summary))},
        summary=summary)


# ---------------------------------------------------------------- the latent code


@torch.no_grad()
def encode(model: CodeAutoencoder, x: np.ndarray, device) -> np.ndarray:
    model.eval()
    return model.encode(torch.as_tensor(x, device=device)).cpu().numpy()


def latent_code(p: P, ctx) -> Result:
    x_all, labels, keep = digits(ctx)
    model, losses, history, _ = train_autoencoder(ctx, p, lambda: CodeAutoencoder(p["layers"]), x_all[keep])
    x, y = x_all[keep], labels[keep]  # the analysis uses the digits trained on: all of them at scale 1.0
    code = encode(model, x, ctx.device)
    k = p["components"]
    # the exact solver: scikit-learn's default picks a randomized, unseeded one for the 784 pixels, and the
    # data's shares then moved in the 6th digit from run to run
    pca_data, pca_code = (PCA(n_components=k, svd_solver="full").fit(a) for a in (x, code))
    shares = pd.DataFrame({"component": np.arange(1, k + 1), "data": pca_data.explained_variance_ratio_ * 100,
                           "code": pca_code.explained_variance_ratio_ * 100})
    mean_code = pd.DataFrame([{"digit": d, "unit": u, "activation": float(code[y == d, u].mean())}
                              for d in range(mnist.CLASSES) for u in range(code.shape[1]) if (y == d).any()])
    counts, edges = np.histogram(code, bins=40)
    example = p["example"] % len(x)
    return Result(
        metrics={**loss_metrics(losses, model), "code_units": int(code.shape[1]),
                 "silent_units": int((code.max(axis=0) == 0).sum()),
                 "share_of_zero_activations": float((code == 0).mean()),
                 "data_pc12_share": float(shares["data"][:2].sum()), "code_pc12_share": float(shares["code"][:2].sum())},
        summary=shares, history=history.frame(),
        data={"losses": losses, "code_counts": counts, "code_edges": edges, "code_image": code[:200],
              "mean_code": mean_code, "labels": y,
              "data_projection": pca_data.transform(x)[:, :2], "code_projection": pca_code.transform(code)[:, :2],
              "example_image": x[example], "example_code": code[example], "example_label": np.array(y[example])},
    )


# ---------------------------------------------------------------- occlusion


def occlude(ctx, images: np.ndarray, low: int, high: int) -> tuple[np.ndarray, pd.DataFrame]:
    """A one-pixel white bar per image at a random position from low to high: a row for even-numbered images,
    a column for odd ones (the course's test)."""
    rng = ctx.rng("bars")
    out, rows = images.copy().reshape(-1, 28, 28), []
    for i, image in enumerate(out):
        at = int(rng.integers(low, high + 1))
        if i % 2 == 0:
            image[at, :] = 1
        else:
            image[:, at] = 1
        rows.append({"image": i, "bar": "row" if i % 2 == 0 else "column", "position": at})
    return out.reshape(len(images), -1), pd.DataFrame(rows)


def occlusion(p: P, ctx) -> Result:
    x_all, _, keep = digits(ctx)
    model, losses, history, _ = train_autoencoder(ctx, p, lambda: autoencoder(p["layers"]), x_all[keep],
                                                passes=ctx.scale.epochs(p["epochs"]))
    demo = x_all[p["demo_image"]].reshape(28, 28).copy()
    first, last = p["demo_rows"]
    demo_occluded = demo.copy()
    demo_occluded[first:last] = 1
    originals = x_all[:p["shown"]]
    occluded, bars = occlude(ctx, originals, *p["bar_positions"])
    from_clean, from_occluded = predict(model, originals, ctx.device), predict(model, occluded, ctx.device)
    tol = p["tolerance"]
    r_clean, r_occluded = [], []
    for orig, clean, occ in zip(originals, from_clean, from_occluded):
        mask = (orig > tol) & (clean > tol) & (occ > tol)
        r_clean.append(float(np.corrcoef(orig[mask], clean[mask])[0, 1]))
        r_occluded.append(float(np.corrcoef(orig[mask], occ[mask])[0, 1]))
    j = p["correlation_image"]
    nonzero = (originals[j] > tol) & (from_occluded[j] > tol)
    summary = bars.assign(r_clean=r_clean, r_occluded=r_occluded)
    return Result(
        metrics={**loss_metrics(losses, model),
                 "r_image_all_pixels": float(np.corrcoef(originals[j], from_occluded[j])[0, 1]),
                 "r_image_nonzero_pixels": float(np.corrcoef(originals[j][nonzero], from_occluded[j][nonzero])[0, 1]),
                 "mean_r_clean": float(np.mean(r_clean)), "mean_r_occluded": float(np.mean(r_occluded)),
                 "mean_r_drop": float(np.mean(r_clean) - np.mean(r_occluded))},
        summary=summary, history=history.frame(),
        data={"losses": losses, "demo": demo, "demo_occluded": demo_occluded, "originals": originals,
              "occluded": occluded, "deoccluded": from_occluded, "nonzero_mask": nonzero},
    )
