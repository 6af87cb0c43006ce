"""Section cnn: CNNs on the course's MNIST (as 1 x 28 x 28 images) and on Gaussian blobs."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd
import torch
from torch import nn

from dudl.data import gaussians, mnist
from dudl.experiments.common import final, point_curves, split
from dudl.experiments.mnist_recipe import load_mnist, mnist_data
from dudl.experiments.training import adam, predict, train_autoencoder, train_run
from dudl.catalog.cnn import channel_points, unit_points
from dudl.models.cnn import (FeatureMapNet, emnist_deep_net, emnist_net, gauss_autoencoder, gauss_net, gauss_wide_net,
                             mnist_cnn)
from dudl.results import Result
from dudl import performance
from dudl.train import accuracy

P = Mapping[str, Any]
SIDE = 28


def as_images(data: mnist.MnistSplit) -> mnist.MnistSplit:
    """The course's `dataNorm.reshape(N, 1, 28, 28)`."""
    shape = (-1, 1, SIDE, SIDE)
    return mnist.MnistSplit(data.x_train.reshape(shape), data.x_test.reshape(shape), data.y_train, data.y_test)


def roll_rows(images: np.ndarray, shifts: np.ndarray) -> np.ndarray:
    """Each N x 1 x 28 x 28 image rolled by its own number of pixels along dims=1 of the 1 x 28 x 28 image,
    i.e. its rows (the course's torch.roll(img, r, dims=1): a vertical shift)."""
    return np.stack([np.roll(image, int(s), axis=1) for image, s in zip(images, shifts)])


def _train_cnn(p: P, ctx, data, build, loss_fn, metric=accuracy, run_key: Any = "model"):
    return train_run(ctx, data, build, loss_fn, adam(p["lr"]), p["batch_size"], ctx.scale.epochs(p["epochs"]),
                     run_key, metric=metric, show_progress=ctx.show_progress)


def cnn4mnist(p: P, ctx) -> Result:
    data = as_images(mnist_data(p, ctx, *load_mnist(ctx)))
    model, history, _ = _train_cnn(p, ctx, data.as_tuple(), mnist_cnn, nn.CrossEntropyLoss())
    return Result(metrics={**final(history), "parameters": sum(q.numel() for q in model.parameters())},
                  history=history.frame(), models={"model": model.state_dict()})


def shifted(p: P, ctx) -> Result:
    data = as_images(mnist_data(p, ctx, *load_mnist(ctx)))
    rng, k = ctx.rng("shifts"), p["max_shift"]
    train_shifts = rng.integers(-k, k + 1, len(data.x_train))
    test_shifts = rng.integers(-k, k + 1, len(data.x_test))
    moved = mnist.MnistSplit(roll_rows(data.x_train, train_shifts), roll_rows(data.x_test, test_shifts),
                             data.y_train, data.y_test)
    _, history, _ = _train_cnn(p, ctx, moved.as_tuple(), mnist_cnn, nn.CrossEntropyLoss())
    return Result(metrics={**final(history), "shift_min": int(min(train_shifts.min(), test_shifts.min())),
                           "shift_max": int(max(train_shifts.max(), test_shifts.max()))},
                  history=history.frame(),
                  data={"example": data.x_test[0, 0], "example_rolled": np.roll(data.x_test[0, 0], p["example_shift"], 0)})


def two_width_data(p: P, ctx):
    """GaussClass's blobs (a scaled share of them, 20 per class at least) split as the course splits them."""
    per_class = ctx.scale.count(p["per_class"], minimum=20)
    images, labels = gaussians.two_widths(ctx.rng("images"), per_class, p["widths"], p["offset"], p["noise"])
    return images, labels, split(images, labels, p["test_size"], ctx.seed_for("split"))


def gauss_class(p: P, ctx) -> Result:
    images, labels, data = two_width_data(p, ctx)
    model, history, _ = _train_cnn(p, ctx, data, lambda: gauss_net(1), nn.BCEWithLogitsLoss())
    x_test, y_test = data[1], data[3]
    guesses = (predict(model, x_test, ctx.device)[:, 0] > 0).astype(int)
    first, second = (model[i].weight.detach().cpu().numpy() for i in (0, 3))
    n = min(20, len(x_test))
    return Result(
        metrics={**final(history), "images": int(len(images))},
        summary=pd.DataFrame({"true": y_test[:n, 0].astype(int), "guess": guesses[:n]}),
        history=history.frame(),
        data={"examples": images[:21, 0], "example_labels": labels[:21, 0], "test_images": x_test[:n, 0],
              "filters1": first[:, 0], "filters2": second},
    )


def linear_units_point(p: P, ctx, run: str) -> Result:
    """One width u of the fully connected part, on the same blobs, split and seed as every other width."""
    units = int(run[1:])
    images, labels, data = two_width_data(p, ctx)
    _, history, _ = _train_cnn(p, ctx, data, lambda: gauss_wide_net(units), nn.BCEWithLogitsLoss(), run_key=("run", run))
    row = {"run": run, "units": units, **final(history)}
    return Result(metrics=final(history), summary=pd.DataFrame([row]), history=history.frame())


def linear_units_combine(p: P, ctx, parts: Mapping[str, Result]) -> Result:
    runs = [r for r in unit_points(p, ctx.scale) if r in parts]
    summary = pd.concat([parts[r].summary for r in runs], ignore_index=True)
    return Result(
        metrics={"min_test_acc": float(summary["final_test_acc"].min()),
                 "max_test_acc": float(summary["final_test_acc"].max()),
                 "max_test_loss": float(summary["final_test_loss"].max()),
                 "r_units_test_acc": float(np.corrcoef(summary["units"], summary["final_test_acc"])[0, 1])
                 if summary["final_test_acc"].std() > 0 else 0.0},
        summary=summary, history=parts[runs[-1]].history,
        data={"curves": point_curves({r: parts[r] for r in runs})})


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a, b)[0, 1])


def find_gauss(p: P, ctx) -> Result:
    n = ctx.scale.count(p["images"], minimum=40)
    images, targets = gaussians.located(ctx.rng("images"), n, p["width_range"], p["noise"])
    data = split(images, targets, p["test_size"], ctx.seed_for("split"))
    model, history, _ = _train_cnn(p, ctx, data, lambda: gauss_net(3), nn.MSELoss(), metric=None)
    x_test, y_test = data[1], data[3]
    guess = predict(model, x_test, ctx.device)
    fits = pd.DataFrame({"true_x": y_test[:, 0], "pred_x": guess[:, 0], "true_y": y_test[:, 1],
                         "pred_y": guess[:, 1], "true_width": y_test[:, 2], "pred_width": guess[:, 2]})
    return Result(
        metrics={**final(history, ("train_loss", "test_loss")), "r_x": _corr(y_test[:, 0], guess[:, 0]),
                 "r_y": _corr(y_test[:, 1], guess[:, 1]), "r_width": _corr(y_test[:, 2], guess[:, 2])},
        summary=fits, history=history.frame(),
        data={"examples": images[:21, 0], "example_targets": targets[:21], "test_images": x_test[:20, 0]},
    )


# ---------------------------------------------------------------- feature maps (GaussClassFeatureMaps, softcoding)


def _pair_correlations(maps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """maps [images, channels, h, w] -> (per image the correlations of every channel pair [images, pairs],
    their mean matrix [channels, channels])."""
    flat = maps.reshape(maps.shape[0], maps.shape[1], -1)
    with np.errstate(invalid="ignore", divide="ignore"):  # a dead channel (all 0 after its ReLU) correlates with
        mats = np.stack([np.nan_to_num(np.corrcoef(image)) for image in flat])  # nothing: counted as 0
    rows, cols = np.triu_indices(maps.shape[1], k=1)
    return mats[:, rows, cols], mats.mean(axis=0)


def _feature_maps(p: P, ctx, build) -> Result:
    images, labels, data = two_width_data(p, ctx)
    model, history, _ = _train_cnn(p, ctx, data, build, nn.BCEWithLogitsLoss())
    x_test, y_test = data[1], data[3]
    guesses = (predict(model, x_test, ctx.device)[:, 0] > 0).astype(int)
    k = min(p["shown"], len(x_test))
    model.eval()
    with torch.no_grad():
        conv1, conv2 = (a.cpu().numpy() for a in model.maps(torch.as_tensor(x_test, device=ctx.device)))
    pairs1, mean1 = _pair_correlations(conv1)
    pairs2, mean2 = _pair_correlations(conv2)
    n = min(20, len(x_test))
    off = lambda m: np.abs(m[np.triu_indices(len(m), k=1)]).mean()  # noqa: E731
    return Result(
        metrics={**final(history), "images": int(len(images)), "conv1_shape_h": int(conv1.shape[2]),
                 "conv1_shape_w": int(conv1.shape[3]), "conv2_shape_h": int(conv2.shape[2]),
                 "conv2_shape_w": int(conv2.shape[3]), "code_size": int(model.fc1.in_features),
                 "mean_abs_corr_conv1": float(off(mean1)), "mean_abs_corr_conv2": float(off(mean2))},
        summary=pd.DataFrame({"true": y_test[:n, 0].astype(int), "guess": guesses[:n]}),
        history=history.frame(),
        data={"examples": images[:21, 0], "example_labels": labels[:21, 0], "test_images": x_test[:n, 0],
              "shown_images": x_test[:k, 0], "conv1": conv1[:k], "conv2": conv2[:k],
              "pairs1": pairs1, "pairs2": pairs2, "mean1": mean1, "mean2": mean2},
    )


def feature_maps(p: P, ctx) -> Result:
    return _feature_maps(p, ctx, FeatureMapNet)


def softcoding(p: P, ctx) -> Result:
    return _feature_maps(p, ctx, lambda: FeatureMapNet(tuple(p["channels"]), tuple(p["kernel"]), tuple(p["stride"]),
                                                       padding=0))


# ---------------------------------------------------------------- convolutional autoencoders on barred blobs


def l1_loss(yhat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return torch.mean(torch.abs(yhat - y))


def l2_mean_loss(yhat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """MSE plus the absolute mean of the output (the course's L2Ave)."""
    return torch.mean((yhat - y) ** 2) + torch.abs(torch.mean(yhat))


def correlation_loss(yhat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Minus the Pearson correlation between output and target over the whole batch: blind to offset and scale."""
    a, b = yhat - yhat.mean(), y - y.mean()
    return -(a * b).sum() / (a.norm() * b.norm())


CUSTOM_LOSSES = {"l1": l1_loss, "l2_mean": l2_mean_loss, "correlation": correlation_loss}


def _blobs(p: P, ctx) -> tuple[np.ndarray, np.ndarray]:
    n = ctx.scale.count(p["images"], minimum=40)
    return gaussians.occluded(ctx.rng("images"), n, p["width_range"], p["offset"], p["noise"], p["bar_start"],
                              p["bar_thickness"])


def _conv_ae(p: P, ctx, x: np.ndarray, targets: np.ndarray | None = None, loss_fn=None) -> tuple[Result, Any]:
    k = p["shown"]
    model, losses, history, untrained = train_autoencoder(ctx, p, gauss_autoencoder, x, before=x[:k],
                                                          targets=targets, loss_fn=loss_fn)
    outputs = predict(model, x[:k], ctx.device)
    result = Result(metrics={"final_loss": float(losses[-1]), "mean_loss_last_10": float(losses[-10:].mean()),
                             "iterations": int(len(losses)), "images": int(len(x))},
                    history=history.frame(),
                    data={"losses": losses, "inputs": x[:k, 0], "untrained": untrained[:, 0], "outputs": outputs[:, 0],
                          "examples": x[:21, 0]})
    return result, model


def gauss_ae(p: P, ctx) -> Result:
    _, barred = _blobs(p, ctx)
    return _conv_ae(p, ctx, barred)[0]


def ae_occlusion(p: P, ctx) -> Result:
    clean, barred = _blobs(p, ctx)
    result, _ = _conv_ae(p, ctx, barred, targets=clean)
    result.data["clean_examples"] = clean[:10, 0]
    result.data["barred_examples"] = barred[:10, 0]
    return result


def custom_loss(p: P, ctx) -> Result:
    _, barred = _blobs(p, ctx)
    result, _ = _conv_ae(p, ctx, barred, loss_fn=CUSTOM_LOSSES[p["loss"]])
    result.metrics["output_means_mean"] = float(np.mean(result.data["outputs"].mean(axis=(1, 2))))
    result.metrics["input_means_mean"] = float(np.mean(result.data["inputs"].mean(axis=(1, 2))))
    return result


# ---------------------------------------------------------------- EMNIST letters


def emnist_letters(p: P, ctx):
    """The course's EMNIST: letters as N x 1 x 28 x 28 floats divided by their max, labels 1-26 moved to 0-25
    (class 0, "N/A", has no images), split at random by p["test_size"]; a stratified `scale` share of them below
    scale 1.0. Returns (raw uint8 images kept, their labels, letter names, (x_train, x_test, y_train, y_test))."""
    with np.load(ctx.data_file("emnist", "letters.npz")) as f:
        images, labels, classes = f["images"], f["labels"] - 1, [str(c) for c in f["classes"][1:]]
    keep = ctx.subset(labels)
    raw = images[keep]
    x = (raw.astype(np.float32) / raw.max()).reshape(-1, 1, SIDE, SIDE)
    return raw, labels[keep], classes, split(x, labels[keep], p["test_size"], ctx.seed_for("split"))


def _pixels_divided(raw: np.ndarray) -> pd.DataFrame:
    """pixel_counts of the raw letters and of raw / max, counted once: dividing by a scalar moves each value and
    keeps its count, so the 98 million floats need not be sorted again."""
    values = np.arange(256)
    counts = np.bincount(raw.ravel(), minlength=256)
    seen = counts > 0
    before = pd.DataFrame({"stage": "before", "value": values[seen].astype(float), "count": counts[seen]})
    return pd.concat([before, before.assign(stage="after", value=before["value"] / values[seen].max())],
                     ignore_index=True)


def _errors(history) -> dict[str, float]:
    """Final error rates (%) as the notebooks report them: 100 minus accuracy."""
    return {f"final_{part}_err": 100.0 - float(history[f"{part}_acc"][-1]) for part in ("train", "test")}


def _letters_result(raw: np.ndarray, labels: np.ndarray, classes, history, extra: Mapping[str, Any] | None = None):
    return Result(metrics={**final(history), **_errors(history), "images": int(len(raw)), **(extra or {})},
                  history=history.frame(),
                  data={"pixels": _pixels_divided(raw), "examples": raw[:21].transpose(0, 2, 1),
                        "example_labels": np.asarray([classes[i] for i in labels[:21]])})


def _train_letters(p: P, ctx, data, build, run_key: Any = "model"):
    return _train_cnn(p, ctx, data, build, nn.CrossEntropyLoss(), run_key=run_key)


def emnist(p: P, ctx) -> Result:
    raw, labels, classes, data = emnist_letters(p, ctx)
    model, history, _ = _train_letters(p, ctx, data, lambda: emnist_net(tuple(p["channels"])))
    x_test, y_test = data[1], data[3]
    guesses = predict(model, x_test, ctx.device).argmax(axis=1)
    result = _letters_result(raw, labels, classes, history, {"parameters": sum(q.numel() for q in model.parameters())})
    n = min(21, len(x_test))
    result.summary = pd.DataFrame({"true": [classes[i] for i in y_test[:n]], "guess": [classes[i] for i in guesses[:n]]})
    result.data.update(test_images=x_test[:n, 0].transpose(0, 2, 1), classes=np.asarray(classes),
                       confusion=performance.confusion(y_test, guesses, range(len(classes)), normalize="true"))
    result.models = {"model": model.state_dict()}
    return result


def num_chans_point(p: P, ctx, run: str) -> Result:
    """One model of the channel grid (run `c<c1>_<c2>`), on the same letters and split as every other."""
    c1, c2 = (int(v) for v in run[1:].split("_"))
    *_, data = emnist_letters(p, ctx)
    _, history, _ = _train_letters(p, ctx, data, lambda: emnist_net((c1, c2)), run_key=("run", run))
    row = {"run": run, "c1": c1, "c2": c2, **_errors(history)}
    return Result(metrics=_errors(history), summary=pd.DataFrame([row]), history=history.frame())


def num_chans_combine(p: P, ctx, parts: Mapping[str, Result]) -> Result:
    runs = [r for r in channel_points(p, ctx.scale) if r in parts]
    single = runs[0]
    grid_runs = [f"c{a}_{b}" for a in p["values"] for b in p["values"] if f"c{a}_{b}" in parts]
    summary = pd.concat([parts[r].summary for r in grid_runs], ignore_index=True)
    total = summary["c1"] + summary["c2"]
    r_of = lambda col: float(np.corrcoef(total, summary[col])[0, 1]) if summary[col].std() > 0 else 0.0  # noqa: E731
    return Result(
        metrics={"example_test_err": parts[single].metrics["final_test_err"],
                 "example_train_err": parts[single].metrics["final_train_err"],
                 "min_test_err": float(summary["final_test_err"].min()),
                 "max_test_err": float(summary["final_test_err"].max()),
                 "r_channels_train_err": r_of("final_train_err"), "r_channels_test_err": r_of("final_test_err")},
        summary=summary, history=parts[single].history,
        data={"curves": point_curves({r: parts[r] for r in runs})})


def beat_this(p: P, ctx) -> Result:
    raw, labels, classes, data = emnist_letters(p, ctx)
    _, history, _ = _train_letters(p, ctx, data, emnist_deep_net)
    return _letters_result(raw, labels, classes, history)
