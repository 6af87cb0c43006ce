"""Section data_handling (course folder data/): the course's data-handling notebooks (9): torch datasets and loaders, getting external data in,
sample size vs depth, unbalanced classes, oversampling, noise and feature augmentation, saving and loading
models and keeping the best one.

The sweeps run one Snakemake job per point (`<name>_point`, `<name>_combine`): a sample size (all four
architectures), a quality threshold, or one training of the oversampling and augmentation grids.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd
import torch
from torch import nn

from dudl.catalog.data_handling import depth_points, noise_points, oversampling_points, unbalanced_points
from dudl.checkpoints import load_checkpoint, save_checkpoint
from dudl.data import fetch, mnist, prepare, registry, tabular
from dudl.data.external import Unavailable, read_table
from dudl.experiments.common import binary_targets, example_rows, final, point_curves, qwerties, split
from dudl.experiments.mnist_recipe import load_mnist, log_softmax_net, mnist_data
from dudl.experiments.training import adam, loaders, predict, sgd, train_run
from dudl.models.mlp import MLP, count_parameters, mlp
from dudl.results import Result
from dudl.train import KeepBest, accuracy, fit

P = Mapping[str, Any]


def _summary(parts: Mapping[str, Result], runs) -> pd.DataFrame:
    return pd.concat([parts[r].summary for r in runs if r in parts], ignore_index=True)


# ---------------------------------------------------------------- datasets and loaders


def dataset_loader(p: P, ctx) -> Result:
    """A random matrix and sorted labels through torch's own TensorDataset and DataLoader, without and with
    shuffling: the batches come out in the data's order unless the loader shuffles."""
    from torch.utils.data import DataLoader, TensorDataset

    rng = ctx.rng("data")
    x = rng.standard_normal((p["rows"], p["features"]))  # float64, as the course's np.random.randn
    lo, hi = p["label_range"]
    labels = np.ceil(np.linspace(lo, hi, p["rows"]))
    dataset = TensorDataset(torch.tensor(x).float(), torch.tensor(labels).long())
    tables = {}
    for shuffle in (False, True):
        generator = ctx.torch_seed("loader")
        loader = DataLoader(dataset, batch_size=p["batch_size"], shuffle=shuffle, generator=generator)
        tables["shuffled" if shuffle else "in_order"] = [yb.numpy() for _, yb in loader]
    in_order, shuffled = tables["in_order"], tables["shuffled"]
    rows = [{"order": order, "batch": b, "position": i, "label": int(v)}
            for order, batches in tables.items() for b, batch in enumerate(batches) for i, v in enumerate(batch)]
    return Result(
        metrics={"rows": len(dataset), "features": int(dataset.tensors[0].shape[1]),
                 "x_dtype_is_float32": int(dataset.tensors[0].dtype == torch.float32),
                 "batches": len(in_order), "batch_size": int(len(in_order[0])),
                 **{f"count_label_{int(k)}": int(v) for k, v in zip(*np.unique(labels, return_counts=True))},
                 "first_batch_unique_labels": int(len(np.unique(in_order[0]))),
                 "shuffled_first_batch_unique_labels": int(len(np.unique(shuffled[0]))),
                 "labels_in_order": int(np.all(np.diff(np.concatenate(in_order)) >= 0))},
        summary=pd.DataFrame(rows),
    )


# ---------------------------------------------------------------- getting data in


def cifar10_info(ctx, examples: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """CIFAR-10 through torchvision, its archive fetched by the data layer (mirror, then upstream). Raises
    Unavailable with the reason when the archive cannot be had."""
    dataset = registry.get("cifar10")
    why = fetch.unavailable_reason(dataset, ctx.root, fetch.mirror_roots())
    if why:
        raise Unavailable(why)
    fetch.fetch(dataset, ctx.root, fetch.mirror_roots())
    # torchvision's CIFAR10 on the verified archive, unpacked by the data layer's safe_extract (not torchvision's
    # unguarded extractall) into a scratch folder: the arrays are loaded before it goes
    train, test = prepare.open_cifar10(ctx.root / dataset.raw_dir)
    picks = example_rows(ctx, len(train), examples, key="cifar")
    info = {"cifar10_train": len(train), "cifar10_test": len(test), "cifar10_height": int(train.data.shape[1]),
            "cifar10_width": int(train.data.shape[2]), "cifar10_channels": int(train.data.shape[3]),
            "cifar10_classes": len(train.classes)}
    data = {"cifar_examples": train.data[picks],
            "cifar_labels": pd.DataFrame({"label": [train.classes[train.targets[i]] for i in picks]})}
    return info, data


def data2colab(p: P, ctx) -> Result:
    """What still applies outside Colab: an external table read through the data layer, and CIFAR-10 through
    torchvision. Whatever cannot be had is skipped with its reason (the summary's `reason`)."""
    rows, metrics, data = [], {}, {}
    try:
        table, path = read_table(p["table"], ctx.root, p["header"])
        metrics.update(table_rows=int(len(table)), table_columns=int(table.shape[1]))
        rows.append({"source": p["table"], "status": "read", "shape": f"{table.shape[0]} x {table.shape[1]}",
                     "reason": f"local copy {path}"})
    except (Unavailable, ValueError, ImportError) as exc:  # ValueError/ImportError: pandas cannot parse it
        rows.append({"source": p["table"], "status": "skipped", "shape": "", "reason": str(exc)})
    if p["cifar10"]:
        try:
            info, cifar = cifar10_info(ctx, p["examples"])
            metrics.update(info)
            data.update(cifar)
            rows.append({"source": "torchvision CIFAR10", "status": "read",
                         "shape": f"{info['cifar10_train']} + {info['cifar10_test']} images", "reason": ""})
        except (Unavailable, fetch.FetchError, RuntimeError) as exc:
            rows.append({"source": "torchvision CIFAR10", "status": "skipped", "shape": "", "reason": str(exc)})
    summary = pd.DataFrame(rows, columns=["source", "status", "shape", "reason"])
    metrics.update(sources_tried=len(rows), sources_read=int((summary["status"] == "read").sum()),
                   table_read=int("table_rows" in metrics), cifar10_read=int("cifar10_train" in metrics))
    return Result(metrics=metrics, summary=summary, data=data)


# ---------------------------------------------------------------- sample size vs depth


def _arch(layers: float, units: float) -> str:
    return f"L{int(layers)}_U{int(units)}"


def depth_net(layers: int, units: int, classes: int = 3) -> nn.Module:
    """`layers` Linear layers of `units` (the input layer counts as the first), then the output layer."""
    return MLP(2, units, layers - 1, classes)


def data_vs_depth_point(p: P, ctx, run: str) -> Result:
    """One sample size: the same qwerties train every architecture."""
    n = int(run[1:])
    x, y = qwerties({**p["qwerties"], "n_per_cluster": n}, ctx.rng("data", n))
    data = split(x, y, p["test_size"], ctx.seed_for("split", n))
    epochs, last = ctx.scale.epochs(p["epochs"]), p["last_epochs"]
    rows, histories = [], []
    for layers, units in p["architectures"]:
        arch = _arch(layers, units)
        model, history, _ = train_run(ctx, data, lambda: depth_net(int(layers), int(units)), nn.CrossEntropyLoss(),
                                      sgd(p["lr"]), p["batch_size"], epochs, ("run", run, arch),
                                      show_progress=ctx.show_progress)
        rows.append({"n_per_class": n, "architecture": arch, "layers": int(layers), "units": int(units),
                     "parameters": count_parameters(model), "test_loss": float(history.last("test_loss", last)),
                     "test_acc": float(history.last("test_acc", last)),
                     "train_acc": float(history.last("train_acc", last))})
        histories.append(history.frame().assign(architecture=arch))
    summary = pd.DataFrame(rows)
    return Result(metrics={f"acc_{r['architecture']}": r["test_acc"] for r in rows}, summary=summary,
                  history=pd.concat(histories, ignore_index=True))


def data_vs_depth_combine(p: P, ctx, parts: Mapping[str, Result]) -> Result:
    runs = [r for r in depth_points(p, ctx.scale) if r in parts]
    summary = _summary(parts, runs)
    sizes = sorted(summary["n_per_class"].unique())
    metrics: dict[str, Any] = {}
    for arch, rows in summary.groupby("architecture", sort=False):
        rows = rows.set_index("n_per_class")
        metrics[f"parameters_{arch}"] = int(rows["parameters"].iloc[0])
        metrics[f"acc_{arch}_smallest"] = float(rows.loc[sizes[0], "test_acc"])
        metrics[f"acc_{arch}_largest"] = float(rows.loc[sizes[-1], "test_acc"])
        metrics[f"mean_acc_{arch}"] = float(rows["test_acc"].mean())
    example = f"N{p['example_n']}" if f"N{p['example_n']}" in parts else runs[len(runs) // 2]
    first = _arch(*p["architectures"][0])
    history = parts[example].history
    history = history[history["architecture"] == first].drop(columns="architecture")
    curves = pd.concat([parts[r].history.assign(run=lambda f, r=r: r + "_" + f["architecture"]) for r in runs],
                       ignore_index=True)
    x, y = qwerties(p["qwerties"], ctx.rng("figure"))
    return Result(metrics={**metrics, "hidden_units": int(np.prod(p["architectures"][0]))},
                  summary=summary, history=history,
                  data={"curves": curves[["run", "epoch", "test_acc"]], "qwerties": x, "qwerty_labels": y},
                  meta={"example_run": f"{example} {first}"})


# ---------------------------------------------------------------- unbalanced classes


def per_class_accuracy(predicted: np.ndarray, truth: np.ndarray, classes) -> dict[Any, float]:
    """Percent correct within each class (recall); NaN for a class with no samples."""
    return {c: float((predicted[truth == c] == c).mean() * 100) if (truth == c).any() else float("nan")
            for c in classes}


def unbalanced_point(p: P, ctx, run: str) -> Result:
    """One quality threshold: the course's wine net (leaky ReLU) with BCEWithLogits and Adam."""
    threshold = float(run[1:])
    frame = tabular.wine_binary(tabular.wine(ctx.data_file("wine_quality", "wine.csv")), threshold=threshold)
    x = frame[tabular.WINE_FEATURES].to_numpy(np.float32)
    y = binary_targets(frame["boolQuality"].to_numpy())
    data = split(x, y, p["test_size"], ctx.seed_for("split", run))
    model, history, _ = train_run(ctx, data, lambda: mlp(p["layers"], hidden="leakyrelu"), nn.BCEWithLogitsLoss(),
                                  adam(p["lr"]), p["batch_size"], ctx.scale.epochs(p["epochs"]), ("run", run),
                                  show_progress=ctx.show_progress)
    truth = data[3][:, 0].astype(np.int64)
    guess = (predict(model, data[1], ctx.device)[:, 0] > 0).astype(np.int64)
    acc = per_class_accuracy(guess, truth, (0, 1))
    train_counts = np.bincount(data[2][:, 0].astype(np.int64), minlength=2)
    test_counts = np.bincount(truth, minlength=2)
    row = {"run": run, "threshold": threshold, "acc_bad": acc[0], "acc_good": acc[1],
           "gap": abs(acc[0] - acc[1]), "train_bad": int(train_counts[0]), "train_good": int(train_counts[1]),
           "test_bad": int(test_counts[0]), "test_good": int(test_counts[1]), **final(history)}
    return Result(metrics={k: v for k, v in row.items() if k != "run"}, summary=pd.DataFrame([row]),
                  history=history.frame())


def unbalanced_combine(p: P, ctx, parts: Mapping[str, Result]) -> Result:
    runs = [r for r in unbalanced_points(p, ctx.scale) if r in parts]
    summary = _summary(parts, runs)
    metrics: dict[str, Any] = {}
    for row in summary.to_dict("records"):
        t = row["run"]
        metrics.update({f"acc_bad_{t}": row["acc_bad"], f"acc_good_{t}": row["acc_good"], f"gap_{t}": row["gap"],
                        f"test_acc_{t}": row["final_test_acc"], f"train_bad_{t}": row["train_bad"],
                        f"train_good_{t}": row["train_good"]})
    histories = point_curves({r: parts[r] for r in runs})
    worst = summary.loc[summary["gap"].idxmax()]
    metrics.update(largest_gap=float(worst["gap"]), largest_gap_threshold=float(worst["threshold"]))
    return Result(metrics=metrics, summary=summary, history=parts[runs[len(runs) // 2]].history,
                  data={"curves": histories[["run", "epoch", "test_acc"]], "histories": histories})


# ---------------------------------------------------------------- oversampling and noise augmentation


def _first_rows(ctx, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The first n digits of the file, divided by the max (the course's head of mnist_train_small)."""
    images, labels = load_mnist(ctx)
    return mnist.normalize(images[:n]), labels[:n]


def _size_run(run: str) -> tuple[int, str]:
    size, copy = run.split("_")
    return int(size[1:]), copy


def _train_size_point(p: P, ctx, run: str, data: tuple) -> tuple[nn.Module, Any]:
    model, history, _ = train_run(ctx, data, lambda: mlp(p["layers"]), nn.CrossEntropyLoss(), sgd(p["lr"]),
                                  p["batch_size"], ctx.scale.epochs(p["epochs"]), ("run", run),
                                  show_progress=ctx.show_progress)
    return model, history


def _size_row(p: P, run: str, n: int, copy: str, history, train_size: int, **extra) -> dict[str, Any]:
    last = p["last_epochs"]
    return {"run": run, "unique": n, "copies": copy, "train_size": train_size,
            "train_acc": float(history.last("train_acc", last)), "dev_acc": float(history.last("test_acc", last)),
            "dev_loss": float(history.last("test_loss", last)), **extra}


def oversampling_point(p: P, ctx, run: str) -> Result:
    """The first N digits, doubled (exact copies) before the 90/10 split when asked: twins leak into the
    devset."""
    n, copy = _size_run(run)
    x, y = _first_rows(ctx, n)
    if copy == "doubled":
        x, y = np.concatenate([x, x]), np.concatenate([y, y])
    data = split(x, y, p["test_size"], ctx.seed_for("split", run))
    _, history = _train_size_point(p, ctx, run, data)
    row = _size_row(p, run, n, copy, history, len(data[0]))
    return Result(metrics={k: v for k, v in row.items() if isinstance(v, (int, float))}, summary=pd.DataFrame([row]),
                  history=history.frame())


def _leak(summary: pd.DataFrame, treated: str) -> pd.DataFrame:
    wide = summary[summary["copies"] != "single"].pivot(index="unique", columns="copies", values="dev_acc")
    return (wide[treated] - wide["original"]).rename("gain") if treated in wide and "original" in wide else None


def oversampling_combine(p: P, ctx, parts: Mapping[str, Result]) -> Result:
    runs = [r for r in oversampling_points(p, ctx.scale) if r in parts]
    summary = _summary(parts, runs)
    single = next(r for r in runs if r.endswith("_single"))
    grid_rows = summary[summary["copies"] != "single"]
    metrics: dict[str, Any] = {f"dev_acc_{r['run']}": r["dev_acc"] for r in grid_rows.to_dict("records")}
    gain = _leak(summary, "doubled")
    if gain is not None:
        metrics.update(leak_gain_smallest=float(gain.iloc[0]), leak_gain_largest=float(gain.iloc[-1]),
                       leak_gain_mean=float(gain.mean()))
    metrics.update(single_test_acc=float(parts[single].history["test_acc"].iloc[-1]),
                   single_size=int(parts[single].summary["unique"].iloc[0]))
    return Result(metrics=metrics, summary=summary, history=parts[single].history,
                  data={"curves": point_curves({r: parts[r] for r in runs})[["run", "epoch", "test_acc"]]})


def noisy_copies(x: np.ndarray, rng: np.random.Generator, noise: float) -> np.ndarray:
    """Each image plus uniform noise on [0, noise] (the course's augmentation; values may exceed 1)."""
    return (x + rng.uniform(0, noise, size=x.shape)).astype(np.float32)


def noise_augmentation_point(p: P, ctx, run: str) -> Result:
    """The first N digits, with a noisy copy of each appended when augmented, then split 90/10 into train and
    devset; the test set is every digit after the first N (never augmented, never seen)."""
    n, copy = _size_run(run)
    images, labels = load_mnist(ctx)
    x, y = mnist.normalize(images[:n]), labels[:n]
    if copy == "augmented":
        x, y = np.concatenate([x, noisy_copies(x, ctx.rng("noise", n), p["noise"])]), np.concatenate([y, y])
    data = split(x, y, p["test_size"], ctx.seed_for("split", run))
    model, history = _train_size_point(p, ctx, run, data)
    rest = np.arange(n, len(labels))
    rest = rest[ctx.subset(labels[rest], "test")]  # at scale < 1 a stratified share of the held-out digits
    guess = predict(model, mnist.normalize(images[rest]), ctx.device).argmax(axis=1)
    test_acc = float((guess == labels[rest]).mean() * 100)
    row = _size_row(p, run, n, copy, history, len(data[0]), test_acc=test_acc, test_digits=len(rest))
    return Result(metrics={k: v for k, v in row.items() if isinstance(v, (int, float))}, summary=pd.DataFrame([row]),
                  history=history.frame())


def noise_augmentation_combine(p: P, ctx, parts: Mapping[str, Result]) -> Result:
    runs = [r for r in noise_points(p, ctx.scale) if r in parts]
    summary = _summary(parts, runs)
    metrics: dict[str, Any] = {f"dev_acc_{r['run']}": r["dev_acc"] for r in summary.to_dict("records")}
    metrics.update({f"test_acc_{r['run']}": r["test_acc"] for r in summary.to_dict("records")})
    report = int(p["report_size"]) if (summary["unique"] == p["report_size"]).any() else int(summary["unique"].min())
    for copy in p["copies"]:
        row = summary[(summary["unique"] == report) & (summary["copies"] == copy)].iloc[0]
        metrics.update({f"report_{k}_{copy}": float(row[k]) for k in ("train_acc", "dev_acc", "test_acc")})
    gain = _leak(summary, "augmented")
    if gain is not None:
        metrics.update(dev_gain_mean=float(gain.mean()))
    metrics["report_size"] = report
    images, _ = load_mnist(ctx)
    k = p["examples"]
    originals = mnist.normalize(images[:k])
    return Result(metrics=metrics, summary=summary, history=parts[runs[0]].history,
                  data={"curves": point_curves({r: parts[r] for r in runs})[["run", "epoch", "test_acc"]],
                        "originals": originals, "noisy": noisy_copies(originals, ctx.rng("examples"), p["noise"])})


# ---------------------------------------------------------------- feature augmentation


def with_distance(x: np.ndarray) -> np.ndarray:
    """The two coordinates plus each point's Euclidean distance to the origin as a third feature."""
    return np.column_stack([x, np.linalg.norm(x, axis=1)]).astype(np.float32)


def feature_augmentation(p: P, ctx) -> Result:
    """Two features against three (the extra one: distance to the origin), once in full and then repeated;
    an independent t-test on the repetitions' final test accuracies."""
    from scipy import stats

    x, y = qwerties(p["qwerties"], ctx.rng("data"))
    data = {2: x, 3: with_distance(x)}
    epochs = ctx.scale.epochs(p["epochs"])
    reps = ctx.scale.reps(p["repetitions"])
    finals: dict[int, list[float]] = {2: [], 3: []}
    singles: dict[int, dict[str, Any]] = {}
    for rep in range(reps):
        for k, features in data.items():
            parts = split(features, y, p["test_size"], ctx.seed_for("split", rep))
            model, history, _ = train_run(ctx, parts, lambda k=k: mlp([k, *p["hidden"], 3]), nn.CrossEntropyLoss(),
                                          sgd(p["lr"]), p["batch_size"], epochs, ("rep", rep, k),
                                          show_progress=ctx.show_progress)
            finals[k].append(float(history["test_acc"][-1]))
            if rep == 0:
                guess = predict(model, features, ctx.device).argmax(axis=1)
                singles[k] = {"history": history.frame(), "guess": guess,
                              "per_class": per_class_accuracy(guess, y, range(3))}
    t, pval = stats.ttest_ind(finals[2], finals[3])
    reps_frame = pd.DataFrame({"repetition": np.tile(np.arange(reps), 2),
                               "features": np.repeat([2, 3], reps), "test_acc": finals[2] + finals[3]})
    history = pd.concat([singles[k]["history"].assign(features=k) for k in (2, 3)], ignore_index=True)
    return Result(
        metrics={"mean_acc_2": float(np.mean(finals[2])), "mean_acc_3": float(np.mean(finals[3])),
                 "single_acc_2": finals[2][0], "single_acc_3": finals[3][0],
                 "t_statistic": float(t), "p_value": float(pval), "repetitions": reps,
                 **{f"class{c}_acc_{k}": v for k in (2, 3) for c, v in singles[k]["per_class"].items()}},
        summary=reps_frame, history=singles[2]["history"],
        data={"points": x, "labels": y, "distance": data[3][:, 2], "histories": history,
              "guess_2": singles[2]["guess"], "guess_3": singles[3]["guess"]},
    )


# ---------------------------------------------------------------- saving and loading


def save_load(p: P, ctx) -> Result:
    """Train 10 epochs, save through the checkpoint functions, load into a fresh net with weights_only, and
    compare one output node on a run of test digits against the trained and an untrained net."""
    data = mnist_data(p, ctx, *load_mnist(ctx))
    model, history, _ = train_run(ctx, data.as_tuple(), lambda: log_softmax_net(p["layers"]), nn.NLLLoss(),
                                  sgd(p["lr"]), p["batch_size"], ctx.scale.epochs(p["epochs"]), "model",
                                  show_progress=ctx.show_progress)
    with tempfile.TemporaryDirectory() as tmp:
        path = save_checkpoint(Path(tmp) / "trained.pt", model)
        loaded = log_softmax_net(p["layers"]).to(ctx.device)
        load_checkpoint(path, loaded, map_location=ctx.device)
    ctx.torch_seed("untrained")
    untrained = log_softmax_net(p["layers"]).to(ctx.device)
    lo, hi = (int(v) for v in p["items"])
    lo = max(0, min(lo, len(data.y_test) - (hi - lo)))  # at small scales, the last test items instead
    hi = min(len(data.y_test), lo + (hi - lo))
    items = data.x_test[lo:hi]
    node = int(p["node"])
    outputs = {name: predict(net, items, ctx.device)[:, node] for name, net in
               (("trained", model), ("loaded", loaded), ("untrained", untrained))}
    same_weights = all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), loaded.state_dict().values()))
    return Result(
        metrics={**final(history), "max_abs_difference": float(np.abs(outputs["trained"] - outputs["loaded"]).max()),
                 "untrained_abs_difference": float(np.abs(outputs["trained"] - outputs["untrained"]).mean()),
                 "weights_identical": int(same_weights), "items_compared": int(hi - lo), "node": node},
        history=history.frame(),
        data={"outputs": pd.DataFrame({"item": np.arange(lo, hi), **outputs})},
        models={"model": model.state_dict()},
    )


def best_of_randoms(rng: np.random.Generator, runs: int) -> tuple[float, int]:
    """The notebook's aside: the highest of `runs` uniform random 'accuracies' (percent) and its run (from 1)."""
    values = rng.uniform(size=runs) * 100
    return float(values.max()), int(values.argmax()) + 1


def save_the_best(p: P, ctx) -> Result:
    """Train on 500 qwerties, choose the epoch by devset accuracy (KeepBest restores its weights), and only
    then score that model on the 200 test qwerties."""
    x, y = qwerties(p["qwerties"], ctx.rng("data"))
    n_train, n_dev, n_test = (ctx.scale.count(n, 30) for n in p["split"])
    order = ctx.rng("split").permutation(len(y))
    train_idx, dev_idx = order[:n_train], order[n_train:n_train + n_dev]
    test_idx = order[n_train + n_dev:n_train + n_dev + n_test]
    train_b, dev_b = loaders(ctx, x[train_idx], y[train_idx], x[dev_idx], y[dev_idx], p["batch_size"], "model")
    model = mlp(p["layers"]).to(ctx.device)
    keep = KeepBest(metric="test_acc")  # the trainer's held-out column is the devset here
    history = fit(model, train_b, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=p["lr"]),
                  ctx.scale.epochs(p["epochs"]), metric=accuracy, test=dev_b, keep_best=keep,
                  show_progress=ctx.show_progress, desc="best")
    test_acc = float((predict(model, x[test_idx], ctx.device).argmax(axis=1) == y[test_idx]).mean() * 100)
    frame = history.frame().rename(columns={"test_loss": "dev_loss", "test_acc": "dev_acc"})
    best_random, best_run = best_of_randoms(ctx.rng("aside"), p["random_runs"])
    return Result(
        metrics={"best_epoch": int(history.best_epoch), "best_dev_acc": float(keep.value), "best_test_acc": test_acc,
                 "final_dev_acc": float(frame["dev_acc"].iloc[-1]), "final_train_acc": float(frame["train_acc"].iloc[-1]),
                 "samples": int(len(y)), "train_size": int(len(train_idx)), "dev_size": int(len(dev_idx)),
                 "test_size": int(len(test_idx)), "best_random_accuracy": best_random, "best_random_run": best_run},
        history=frame, models={"best": model.state_dict()},
    )
