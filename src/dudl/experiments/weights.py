"""Section weights: weight-matrix shapes, what initial weights do (zeros, ones, Xavier, Kaiming, their spread,
seeding) and how the weights move during learning (frozen layers, per-epoch change and condition number).

The MNIST notebooks use the course's recipe (dudl.experiments.mnist_recipe) and its mnistNet, whose four Linear
layers the course names input, fc1, fc2 and output; the Xavier-vs-Kaiming challenge uses the binary red wine.
"""

from __future__ import annotations

import copy
from typing import Any, Mapping

import numpy as np
import pandas as pd
import torch
from scipy import stats
from torch import nn

from dudl.catalog.weights import weight_std_points
from dudl.experiments.common import final, point_curves, wine_split
from dudl.experiments.mistakes import outcome
from dudl.experiments.mnist_recipe import load_mnist, mnist_data, sgd_recipe_parts, train_mnist
from dudl.experiments.training import loaders
from dudl.models.mlp import mlp
from dudl.models.stacked import StackedMLP, stacked_loss
from dudl.params import grid
from dudl.results import Result
from dudl.train import accuracy, evaluate, fit, supervised_step, train

P = Mapping[str, Any]
LAYER_NAMES = ("input", "fc1", "fc2", "output")  # mnistNet's layers as the course names them
INIT_CONDITIONS = ("baseline", "fc1_zero", "all_zero", "all_one")
CHALLENGE_INITS = ("xavier", "kaiming")
LAST = ("train_loss", "train_acc", "test_acc")


def linear_layers(model: nn.Module) -> list[nn.Linear]:
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


def named_layers(model: nn.Module) -> dict[str, nn.Linear]:
    """mnistNet's Linear layers by the course's names."""
    layers = linear_layers(model)
    if len(layers) != len(LAYER_NAMES):
        raise ValueError(f"the course names the layers of a {len(LAYER_NAMES)}-layer net; this one has {len(layers)}")
    return dict(zip(LAYER_NAMES, layers))


def linear_stack(sizes) -> nn.Sequential:
    """Linear layers only, no activation between them (the weights notebooks' demo nets are never trained)."""
    return nn.Sequential(*[nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])])


def _flat(tensors) -> np.ndarray:
    return torch.cat([t.detach().flatten().cpu() for t in tensors]).numpy()


# ---------------------------------------------------------------- weights_matrixsizes


def matrix_sizes(p: P, ctx) -> Result:
    """A consistent Linear stack and one whose sizes do not chain, both on the same fake input."""
    ctx.torch_seed("nets")
    model = linear_stack(p["layers"])
    broken = nn.Sequential(*[nn.Linear(a, b) for a, b in p["broken_layers"]])
    x = torch.randn(p["samples"], p["layers"][0])
    out = model(x)
    broken_outcome, _ = outcome(lambda: broken(x))
    layers = linear_layers(model)
    summary = pd.DataFrame([{"layer": i, "in_features": l.in_features, "out_features": l.out_features,
                             "weight_shape": str(list(l.weight.shape)), "bias_length": len(l.bias)}
                            for i, l in enumerate(layers)])
    summary["broken_model"] = broken_outcome
    return Result(
        metrics={"output_rows": int(out.shape[0]), "output_columns": int(out.shape[1]),
                 "broken_model_fails": int(broken_outcome.startswith("raises")),
                 **{f"weight_rows_{i}": int(l.weight.shape[0]) for i, l in enumerate(layers)},
                 **{f"weight_columns_{i}": int(l.weight.shape[1]) for i, l in enumerate(layers)}},
        summary=summary,
        data={**{f"weight_{i}": l.weight.detach().numpy() for i, l in enumerate(layers)},
              "outcome": pd.DataFrame({"model": ["consistent", "inconsistent"],
                                       "result": [f"output {list(out.shape)}", broken_outcome]})},
    )


# ---------------------------------------------------------------- weights_demoinits


def set_initial(model: nn.Module, condition: str) -> nn.Module:
    """The demo's four starts: PyTorch's default, fc1's weights at 0, every parameter at 0, every parameter at 1."""
    with torch.no_grad():
        if condition == "fc1_zero":
            named_layers(model)["fc1"].weight.zero_()
        elif condition == "all_zero":
            for q in model.parameters():
                q.zero_()
        elif condition == "all_one":
            for q in model.parameters():
                q.fill_(1.0)
        elif condition != "baseline":
            raise ValueError(f"unknown initial condition '{condition}': one of {', '.join(INIT_CONDITIONS)}")
    return model


def demo_inits(p: P, ctx) -> Result:
    """Four trainings of the recipe (Adam) from the same seed, each starting from one of the demo's inits."""
    data = mnist_data(p, ctx, *load_mnist(ctx))
    histories, trained, rows = {}, {}, []
    for condition in INIT_CONDITIONS:
        model, history, _ = train_mnist(p, ctx, data, "model",
                                        build=lambda c=condition: set_initial(mlp(p["layers"]), c))
        histories[condition], trained[condition] = history, named_layers(model)
        weights = _flat(l.weight for l in trained[condition].values())
        rows.append({"condition": condition, **final(history), "nonzero_weights": int(np.count_nonzero(weights))})
    summary = pd.DataFrame(rows)
    zero = trained["all_zero"]
    parameters = [(name, kind, getattr(layer, kind)) for name, layer in zero.items() for kind in ("weight", "bias")]
    curves = pd.concat([histories[c].frame().assign(run=c) for c in INIT_CONDITIONS], ignore_index=True)
    return Result(
        metrics={**{f"final_{k}_{r['condition']}": float(r[f"final_{k}"]) for r in rows for k in ("train_acc", "test_acc")},
                 "all_zero_nonzero_weights": int(summary.set_index("condition").loc["all_zero", "nonzero_weights"]),
                 "all_zero_output_bias_std": float(zero["output"].bias.detach().std())},
        summary=summary,
        history=histories["baseline"].frame(),
        data={"runs": curves,
              **{f"{c}_{layer}": trained[c][layer].weight.detach().flatten().cpu().numpy()
                 for c in ("baseline", "fc1_zero", "all_zero") for layer in ("fc1", "fc2")},
              "all_zero_parameters": pd.DataFrame({
                  "layer": np.concatenate([[f"{n} {k}"] * t.numel() for n, k, t in parameters]),
                  "value": _flat(t for _, _, t in parameters)})},
    )


# ---------------------------------------------------------------- weights_XavierKaiming


def xavier_kaiming(p: P, ctx) -> Result:
    """The default init of a 4 x Linear(100,100) + Linear(100,2) net against nn.init.xavier_normal_."""
    ctx.torch_seed("net")
    sizes = [p["units"]] * (p["square_layers"] + 1) + [p["outputs"]]
    model = linear_stack(sizes)
    layers = linear_layers(model)
    default = [l.weight.detach().clone() for l in layers]
    biases = _flat(l.bias for l in layers)
    for layer in layers:
        nn.init.xavier_normal_(layer.weight)
    rows = []
    for i, (layer, before) in enumerate(zip(layers, default)):
        fan_out, fan_in = layer.weight.shape
        bound = 1 / np.sqrt(fan_in)  # kaiming_uniform_(a=sqrt(5)) -> U(-1/sqrt(fan_in), 1/sqrt(fan_in))
        rows.append({"layer": i, "fan_in": fan_in, "fan_out": fan_out, "default_bound": bound,
                     "default_variance_theory": bound ** 2 / 3, "default_variance": float(before.var()),
                     "default_max_abs": float(before.abs().max()), "bias_max_abs": float(layer.bias.detach().abs().max()),
                     "xavier_variance_theory": 2 / (fan_in + fan_out),
                     "xavier_variance": float(layer.weight.detach().var())})
    summary = pd.DataFrame(rows)
    first, last = summary.iloc[0], summary.iloc[-1]
    weight_layer = np.concatenate([[i] * t.numel() for i, t in enumerate(default)])
    return Result(
        metrics={"biases": int(biases.size), "weights": int(sum(t.numel() for t in default)),
                 "fc1_default_bound": float(first["default_bound"]), "fc1_weight_max_abs": float(first["default_max_abs"]),
                 "fc1_bias_max_abs": float(first["bias_max_abs"]),
                 "fc1_xavier_variance": float(first["xavier_variance"]),
                 "fc1_xavier_variance_theory": float(first["xavier_variance_theory"]),
                 "output_xavier_variance": float(last["xavier_variance"]),
                 "output_xavier_variance_theory": float(last["xavier_variance_theory"])},
        summary=summary,
        data={"biases": biases, "weight_layer": weight_layer, "default_weights": _flat(default),
              "xavier_weights": _flat(l.weight for l in layers)},
    )


# ---------------------------------------------------------------- weights_CodeChallenge_XavierKaiming


def init_stack(stack: StackedMLP, kinds: list[str]) -> StackedMLP:
    """Model m's weights by kinds[m]: xavier_normal_ or kaiming_uniform_ for ReLU, on the [out, in] view that
    nn.Linear would hold (so fan_in is the layer's input size); biases keep nn.Linear's default."""
    with torch.no_grad():
        for w in stack.weights:
            for m, kind in enumerate(kinds):
                view = w[m].T
                if kind == "xavier":
                    nn.init.xavier_normal_(view)
                elif kind == "kaiming":
                    nn.init.kaiming_uniform_(view, nonlinearity="relu")
                else:
                    raise ValueError(f"unknown init '{kind}': xavier or kaiming")
    return stack


def xavier_kaiming_challenge(p: P, ctx) -> Result:
    """Repetitions x {Xavier, Kaiming} wine nets, trained together as independent stacked models."""
    x_train, x_test, y_train, y_test = wine_split(p, ctx)
    reps = ctx.scale.reps(p["repetitions"])
    kinds = [kind for kind in CHALLENGE_INITS for _ in range(reps)]
    runs = [f"{kind}_{r}" for kind in CHALLENGE_INITS for r in range(reps)]
    train_batches, test_batches = loaders(ctx, x_train, y_train, x_test, y_test, p["batch_size"], "stack")
    stack = init_stack(StackedMLP(len(kinds), p["layers"]), kinds).to(ctx.device)
    history = fit(stack, train_batches, stacked_loss("bce_logits"), torch.optim.SGD(stack.parameters(), lr=p["lr"]),
                  ctx.scale.epochs(p["epochs"]), metric=accuracy, test=test_batches,
                  show_progress=ctx.show_progress, desc=f"{len(kinds)} wine nets")
    n = p["last_epochs"]
    summary = pd.DataFrame({"run": runs, "init": kinds, "repetition": [r for _ in CHALLENGE_INITS for r in range(reps)],
                            **{c: history.last(c, n) for c in LAST}})
    metrics: dict[str, Any] = {}
    for column in LAST:
        groups = [summary.loc[summary["init"] == kind, column].to_numpy() for kind in CHALLENGE_INITS]
        t, pval = stats.ttest_ind(*groups)
        metrics.update({f"mean_{column}_{kind}": float(g.mean()) for kind, g in zip(CHALLENGE_INITS, groups)})
        metrics.update({f"t_{column}": float(t), f"p_{column}": float(pval)})
    curves = pd.concat([history.frame(model=i).assign(run=run) for i, run in enumerate(runs)], ignore_index=True)
    return Result(metrics={**metrics, "repetitions": reps}, summary=summary, history=history.frame(model=0),
                  data={"curves": curves})


# ---------------------------------------------------------------- weights_codeChallenge_identicalRandom


def _copy_labels(seeds) -> list[str]:
    labels, seen = [], set()
    for s in seeds:
        labels.append(f"seed{s}" + ("_again" if s in seen else ""))
        seen.add(s)
    return labels


def identical_random(p: P, ctx) -> Result:
    """Deep copies of one net, re-initialized with xavier_normal_: once without reseeding, then after each seed.
    The run itself is seeded first, so even the 'unseeded' copy repeats from run to run."""
    ctx.torch_seed("net")
    base = linear_stack(p["layers"])

    def reinitialized() -> np.ndarray:
        net = copy.deepcopy(base)
        for layer in linear_layers(net):
            nn.init.xavier_normal_(layer.weight)
        return _flat(l.weight for l in linear_layers(net))

    copies = {"unseeded": reinitialized()}
    for seed, label in zip(p["seeds"], _copy_labels(p["seeds"])):
        torch.manual_seed(seed)  # the literal seeds, as the course calls them: the point is that they repeat
        copies[label] = reinitialized()
    first = _copy_labels(p["seeds"])[0]
    diffs = {f"max_abs_diff_{first}_{other}": float(np.abs(copies[first] - values).max())
             for other, values in copies.items() if other != first}
    weights = pd.DataFrame({"copy": np.repeat(list(copies), len(copies[first])),
                            "index": np.tile(np.arange(len(copies[first])), len(copies)),
                            "weight": np.concatenate(list(copies.values()))})
    return Result(metrics={**diffs, "weights": int(len(copies[first]))},
                  summary=pd.DataFrame([{"pair": k.removeprefix("max_abs_diff_"), "max_abs_difference": v}
                                        for k, v in diffs.items()]),
                  data={"weights": weights})


# ---------------------------------------------------------------- weights_codeChallenge_weightstd (one job per sd)


def normal_init(model: nn.Module, std: float) -> nn.Module:
    with torch.no_grad():
        for q in model.parameters():
            q.normal_(0.0, std)
    return model


def weight_std_point(p: P, ctx, run: str) -> Result:
    """Every parameter drawn from N(0, sd^2), then the recipe with Adam; the mean test accuracy of the last 3."""
    std = next(v for v in grid(p["stds"]) if f"std{v:.3g}" == run)
    data = mnist_data(p, ctx, *load_mnist(ctx))
    model, history, _ = train_mnist(p, ctx, data, ("run", run), build=lambda: normal_init(mlp(p["layers"]), std))
    last = float(history.last("test_acc", p["last_epochs"]))
    density, edges = np.histogram(_flat(model.parameters()), bins=p["bins"], density=True)
    row = {"run": run, "std": std, "last_test_acc": last, **final(history)}
    return Result(metrics={"last_test_acc": last, **final(history)}, summary=pd.DataFrame([row]),
                  history=history.frame(),
                  data={"histogram": pd.DataFrame({"run": run, "std": std, "value": (edges[:-1] + edges[1:]) / 2,
                                                   "density": density})})


def weight_std_combine(p: P, ctx, parts: Mapping[str, Result]) -> Result:
    runs = [r for r in weight_std_points(p, ctx.scale) if r in parts]
    summary = pd.concat([parts[r].summary for r in runs], ignore_index=True)
    best = summary.loc[summary["last_test_acc"].idxmax()]
    largest = summary.loc[summary["std"].idxmax()]
    return Result(
        metrics={"best_test_acc": float(best["last_test_acc"]), "best_std": float(best["std"]),
                 "test_acc_at_largest_std": float(largest["last_test_acc"]), "largest_std": float(largest["std"]),
                 "drop_at_largest_std": float(best["last_test_acc"] - largest["last_test_acc"]),
                 "test_acc_at_smallest_std": float(summary.loc[summary["std"].idxmin(), "last_test_acc"])},
        summary=summary, history=parts[best["run"]].history,
        data={"curves": point_curves({r: parts[r] for r in runs}),
              "histograms": pd.concat([parts[r].table("histogram") for r in runs], ignore_index=True)})


# ---------------------------------------------------------------- weights_freezeWeights


class FreezeBody:
    """Before epoch `until` only the output layer learns (the others' requires_grad is False); records how far
    the frozen parameters moved meanwhile (nothing should). Its state goes into resume checkpoints."""

    def __init__(self, body: list[nn.Parameter], until: int):
        self.body, self.until = body, until
        self.initial = [q.detach().clone() for q in body]
        self.moved = -1.0  # set when learning switches on

    def apply(self, epoch: int) -> None:
        learning = epoch >= self.until
        if learning and self.moved < 0:
            self.moved = max(float((q.detach() - q0).abs().max()) for q, q0 in zip(self.body, self.initial))
        for q in self.body:
            q.requires_grad_(learning)

    def state_dict(self) -> dict:
        return {"initial": self.initial, "moved": self.moved}

    def load_state_dict(self, state: Mapping) -> None:
        self.initial, self.moved = list(state["initial"]), float(state["moved"])


def freeze_weights(p: P, ctx) -> Result:
    model, loss_fn, opt, train_batches, test_batches = sgd_recipe_parts(p, ctx)
    epochs = ctx.scale.epochs(p["epochs"])
    until = max(1, round(epochs * p["frozen_epochs"] / p["epochs"]))
    layers = named_layers(model)
    freeze = FreezeBody([q for name, layer in layers.items() if name != "output" for q in layer.parameters()], until)
    inner = supervised_step(model, loss_fn, opt, accuracy)

    def step(batch, tools):
        freeze.apply(tools.epoch)
        return inner(batch, tools)

    def after_epoch() -> dict[str, Any]:
        test_loss, test_acc = evaluate(model, test_batches, loss_fn, accuracy)
        return {"test_loss": test_loss, "test_acc": test_acc}

    history = train(step, train_batches, epochs, modules=model, optimizers=opt, evaluate=after_epoch,
                    stateful=[freeze], show_progress=ctx.show_progress, desc="freeze")
    return Result(
        metrics={**final(history), "frozen_epochs": until,
                 "frozen_test_acc": float(history["test_acc"][until - 1]),
                 "frozen_train_acc": float(history["train_acc"][until - 1]),
                 "frozen_body_changed": freeze.moved},
        history=history.frame(),
    )


# ---------------------------------------------------------------- weights_weightchanges


class WeightTracker:
    """Per epoch and layer: the Frobenius norm of the weight change since the last epoch and the weight matrix's
    condition number. Keeps the last epoch's weights (in resume checkpoints too)."""

    def __init__(self, layers: Mapping[str, nn.Linear]):
        self.layers = dict(layers)
        self.previous = {n: l.weight.detach().clone() for n, l in self.layers.items()}

    def record(self) -> dict[str, torch.Tensor]:
        values = {}
        for name, layer in self.layers.items():
            w = layer.weight.detach()
            values[f"change_{name}"] = torch.linalg.matrix_norm(w - self.previous[name])
            values[f"cond_{name}"] = torch.linalg.cond(w)
            self.previous[name] = w.clone()
        return values

    def state_dict(self) -> dict:
        return {"previous": dict(self.previous)}

    def load_state_dict(self, state: Mapping) -> None:
        self.previous = dict(state["previous"])


def _z(values: np.ndarray) -> np.ndarray:
    return (values - values.mean()) / (values.std() or 1.0)


def weight_changes(p: P, ctx) -> Result:
    model, loss_fn, opt, train_batches, test_batches = sgd_recipe_parts(p, ctx)
    tracker = WeightTracker(named_layers(model))

    def after_epoch() -> dict[str, Any]:
        test_loss, test_acc = evaluate(model, test_batches, loss_fn, accuracy)
        return {"test_loss": test_loss, "test_acc": test_acc, **tracker.record()}

    history = train(supervised_step(model, loss_fn, opt, accuracy), train_batches, ctx.scale.epochs(p["epochs"]),
                    modules=model, optimizers=opt, evaluate=after_epoch, stateful=[tracker],
                    show_progress=ctx.show_progress, desc="weight changes")
    frame = history.frame()
    change = frame[[f"change_{n}" for n in LAYER_NAMES]].mean(axis=1).to_numpy()
    d_acc = np.diff(frame["train_acc"].to_numpy())
    z_change, z_acc = _z(change[1:]), _z(d_acc)
    r = float(np.corrcoef(z_change, z_acc)[0, 1]) if len(d_acc) > 1 else float("nan")
    return Result(
        metrics={**final(history), "change_first_over_last": float(change[0] / change[-1]),
                 "peak_change_epoch": int(change.argmax()) + 1, "change_peak_over_last": float(change.max() / change[-1]),
                 **{f"final_cond_{n}": float(frame[f"cond_{n}"].iloc[-1]) for n in LAYER_NAMES},
                 "r_change_accuracy": r},
        summary=frame,
        history=frame,
        data={"change_vs_accuracy": pd.DataFrame({"epoch": frame["epoch"].to_numpy()[1:],
                                                  "z_weight_change": z_change, "z_accuracy_change": z_acc})},
    )
