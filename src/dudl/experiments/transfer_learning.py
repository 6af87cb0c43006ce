"""Section transfer_learning: a source net's weights as the start of a target net. MNIST digits -> Fashion-MNIST
(copy everything, fine-tune), EMNIST letters -> digits (new output layer; all trainable, or the feature layers
frozen), frozen ImageNet ResNet-18 / VGG-16 with a new head on STL-10, and autoencoder-pretrained encoders
against random init (Fashion-MNIST, CIFAR-10)."""

from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from dudl.data import weights
from dudl.experiments.cnn import as_images, emnist_letters
from dudl.experiments.cnn_milestone import RandomFlips, dev_test_split, image_sets
from dudl.experiments.common import example_rows, final, split
from dudl.experiments.mnist_recipe import load_mnist, mnist_data
from dudl.experiments.training import adam, loaders, optimizer, sgd, to_tensors, train_run
from dudl.models.cnn import emnist_net, mnist_cnn
from dudl.models.cnn_milestone import cifar_autoencoder
from dudl.models.mlp import count_parameters
from dudl.models.transfer_learning import (cifar_encoder_classifier, convs, copy_encoder, fmnist_autoencoder,
                                           fmnist_encoder_classifier, head_name, replace_head)
from dudl.results import Result
from dudl.steps import AutoencoderStep, freeze
from dudl.train import Batches, accuracy, evaluate, fit, train

P = Mapping[str, Any]
CE = nn.CrossEntropyLoss()


def _err(acc: float) -> float:
    """The EMNIST notebooks' error rate (%): 100 minus the accuracy."""
    return 100.0 - float(acc)


def _score(model: nn.Module, ctx, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(loss, accuracy %) of the whole set as one batch, in eval mode (the course's next(iter(test_loader)))."""
    loss, acc = evaluate(model, [to_tensors(ctx.device, x, y)], CE, accuracy)
    return float(loss), float(acc)


def _max_change(before: Mapping[str, torch.Tensor], model: nn.Module, prefixes: tuple[str, ...]) -> float:
    """The largest absolute change since the copy `before` of the parameters whose names start with one of
    `prefixes` (0: none of them moved)."""
    return max(float((before[n] - q.detach()).abs().max()) for n, q in model.named_parameters()
               if n.startswith(prefixes))


def _params(module: nn.Module) -> dict[str, torch.Tensor]:
    return {n: q.detach().clone() for n, q in module.named_parameters()}


# ---------------------------------------------------------------- MNIST digits -> Fashion-MNIST


def mnist_to_fmnist(p: P, ctx) -> Result:
    digits = as_images(mnist_data(p, ctx, *load_mnist(ctx)))
    source, history, _ = train_run(ctx, digits.as_tuple(), mnist_cnn, CE, sgd(p["lr"]), p["batch_size"],
                                   ctx.scale.epochs(p["source_epochs"]), "digits", show_progress=ctx.show_progress)
    (x_fashion, y_fashion), (x_fashion_test, y_fashion_test), _ = image_sets(ctx, "fashion_mnist")
    _, digit_net_on_fashion = _score(source, ctx, x_fashion_test, y_fashion_test)
    diffs = {}

    def copy_of_source() -> nn.Module:
        """A fresh net (its own random init), then every weight replaced by the digit net's (the course's
        weight-difference prints: non-zero before the copy, zero after)."""
        net = mnist_cnn().to(ctx.device)
        diffs["before"] = float((net[0].weight[0] - source[0].weight[0]).abs().max().detach())
        net.load_state_dict(source.state_dict())
        diffs["after"] = float((net[0].weight[0] - source[0].weight[0]).abs().max().detach())
        return net

    batch = min(p["batch_size"], len(y_fashion))
    target, tuned, _ = train_run(ctx, (x_fashion, x_fashion_test, y_fashion, y_fashion_test), copy_of_source, CE,
                                 sgd(p["lr"]), batch, ctx.scale.epochs(p["target_epochs"], minimum=1), "fashion",
                                 show_progress=ctx.show_progress)
    rows = [("digit net", "digits (test)", float(history["test_acc"][-1])),
            ("digit net", "fashion (test)", digit_net_on_fashion),
            ("fine-tuned copy", "fashion (train)", float(tuned["train_acc"][-1])),
            ("fine-tuned copy", "fashion (test)", float(tuned["test_acc"][-1]))]
    return Result(
        metrics={**final(history), "digit_net_fashion_acc": digit_net_on_fashion,
                 "fashion_train_acc": float(tuned["train_acc"][-1]), "fashion_test_acc": float(tuned["test_acc"][-1]),
                 "conv1_diff_before_copy": diffs["before"], "conv1_diff_after_copy": diffs["after"],
                 "digit_images": int(len(digits.y_train) + len(digits.y_test)), "fashion_images": int(len(y_fashion)),
                 "parameters": count_parameters(target)},
        summary=pd.DataFrame(rows, columns=["net", "data", "accuracy"]),
        history=history.frame(), models={"model": target.state_dict()},
    )


# ---------------------------------------------------------------- EMNIST letters -> digits


def emnist_digits(p: P, ctx):
    """EMNIST digits as the course loads them: N x 1 x 28 x 28 divided by their max, labels 0-9, split at random
    by p["test_size"] (its own seed, not the letters'); a stratified `scale` share below scale 1.0. Returns (raw
    uint8 images kept, their labels, (x_train, x_test, y_train, y_test))."""
    with np.load(ctx.data_file("emnist", "digits.npz")) as f:
        images, labels = f["images"], f["labels"]
    keep = ctx.subset(labels, "digits")
    raw = images[keep]
    x = (raw.astype(np.float32) / raw.max()).reshape(-1, 1, 28, 28)
    return raw, labels[keep], split(x, labels[keep], p["test_size"], ctx.seed_for("split", "digits"))


HEAD = "11"  # the EMNIST net's output layer fc2 (dudl.models.cnn.emnist_net is a Sequential)


def _digit_net(p: P, ctx, letter_net: nn.Module, data, frozen: bool) -> tuple[nn.Module, Any, dict[str, float]]:
    """A copy of the letter net with a new Linear(50, 10) output layer, fine-tuned on the digits; `frozen`: its
    convolution and batchnorm layers keep their weights (freeze), as the course's second run. The course's
    optimizer, built before the output layer is replaced, when p["course_optimizer"] (its bug)."""
    kept: dict[str, Any] = {}

    def build() -> nn.Module:
        net = emnist_net().to(ctx.device)
        net.load_state_dict(letter_net.state_dict())
        kept["stale"] = list(net.parameters())  # what an optimizer built now (the course's) would hold
        replace_head(net, HEAD, 10)
        if frozen:
            for layer in net:
                if isinstance(layer, (nn.Conv2d, nn.BatchNorm2d)):
                    freeze(layer)
        kept["before"] = _params(net)
        return net

    def make_optimizer(params):
        return optimizer("Adam", kept["stale"] if p["course_optimizer"] else params, p["lr"])

    name = "frozen" if frozen else "all"
    net, history, _ = train_run(ctx, data, build, CE, make_optimizer, p["batch_size"],
                                ctx.scale.epochs(p["target_epochs"], minimum=1), name, show_progress=ctx.show_progress)
    feature_layers = [f"{i}." for i, m in enumerate(net) if isinstance(m, (nn.Conv2d, nn.BatchNorm2d))]
    moved = {"head_change": _max_change(kept["before"], net, (f"{HEAD}.",)),
             "feature_change": _max_change(kept["before"], net, tuple(feature_layers)),
             "trainable_parameters": count_parameters(net)}
    return net, history, moved


def letters_to_numbers(p: P, ctx) -> Result:
    raw_letters, letter_labels, classes, letters = emnist_letters(p, ctx)
    letter_net, history, _ = train_run(ctx, letters, emnist_net, CE, adam(p["lr"]), p["batch_size"],
                                       ctx.scale.epochs(p["source_epochs"]), "letters",
                                       show_progress=ctx.show_progress)
    raw_digits, digit_labels, digits = emnist_digits(p, ctx)
    _, letter_net_on_digits = _score(letter_net, ctx, digits[1], digits[3])
    runs = {frozen: _digit_net(p, ctx, letter_net, digits, frozen) for frozen in (False, True)}
    metrics = {**final(history), "final_train_err": _err(history["train_acc"][-1]),
               "final_test_err": _err(history["test_acc"][-1]), "letter_net_digit_err": _err(letter_net_on_digits),
               "letter_images": int(len(raw_letters)), "digit_images": int(len(raw_digits)),
               "parameters": count_parameters(letter_net), "course_optimizer": int(p["course_optimizer"])}
    rows = [("letter net", "letters (test)", _err(history["test_acc"][-1])),
            ("letter net", "digits (test)", _err(letter_net_on_digits))]
    for frozen, (_, tuned, moved) in runs.items():
        name, label = ("frozen", "(b) conv + BN frozen") if frozen else ("all", "(a) all trainable")
        metrics.update({f"{name}_train_err": _err(tuned["train_acc"][-1]),
                        f"{name}_test_err": _err(tuned["test_acc"][-1]),
                        **{f"{name}_{k}": v for k, v in moved.items()}})
        rows += [(label, "digits (train)", metrics[f"{name}_train_err"]),
                 (label, "digits (test)", metrics[f"{name}_test_err"])]
    return Result(
        metrics=metrics, summary=pd.DataFrame(rows, columns=["net", "data", "error_rate"]), history=history.frame(),
        data={"examples": raw_letters[:21].transpose(0, 2, 1),
              "example_labels": np.asarray([classes[i] for i in letter_labels[:21]]),
              "digit_examples": raw_digits[:21].transpose(0, 2, 1), "digit_labels": digit_labels[:21]},
        models={"model": letter_net.state_dict()},
    )


# ---------------------------------------------------------------- frozen ImageNet nets on STL-10

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def imagenet_normalize(x: torch.Tensor) -> torch.Tensor:
    """uint8 images [N, 3, H, W] as the course's ToTensor (/ 255) then Normalize(ImageNet mean, std)."""
    mean = torch.tensor(IMAGENET_MEAN, device=x.device).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, device=x.device).view(1, 3, 1, 1)
    return (x.float() / 255 - mean) / std


class Normalized:
    """Minibatches of uint8 images handed out normalized (the transform of the course's Dataset), so the data
    stay uint8 in memory (STL-10 as float32 would be 1.4 GB). Keeps the inner batches' shuffling generator, which
    resume checkpoints hold."""

    def __init__(self, batches, transform: Callable[[torch.Tensor], torch.Tensor] = imagenet_normalize):
        self.batches, self.transform = batches, transform
        self.generator = getattr(batches, "generator", None)

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self):
        for xb, yb in self.batches:
            yield self.transform(xb), yb


def stl10_sets(ctx) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray], list[str]]:
    """((train images uint8 [N, 3, 96, 96], labels), (test ...), class names); a stratified `scale` share of each
    below scale 1.0."""
    sets = []
    for part in ("train", "test"):
        with np.load(ctx.data_file("stl10", f"{part}.npz")) as f:
            images, labels, classes = f["images"], f["labels"], [str(c) for c in f["classes"]]
        keep = ctx.subset(labels, part)
        sets.append((images[keep], labels[keep]))
    return sets[0], sets[1], classes


def _pretrained(p: P, ctx, arch: str, keep: str) -> Result:
    """The ImageNet net `arch`, every weight frozen, its output layer replaced by a trainable Linear(., 10),
    trained on STL-10 with SGD (the course passes all parameters; the frozen ones have no gradient and stay)."""
    (x_train, y_train), (x_test, y_test), classes = stl10_sets(ctx)
    batch = min(p["batch_size"], len(y_train))  # only a tiny test archive has fewer images than one batch
    train_b, test_b = loaders(ctx, x_train, y_train, x_test, y_test, batch, "model",
                              test_batch_size=p["test_batch_size"])
    model = weights.pretrained(arch, ctx.root)
    imagenet_parameters = count_parameters(model, trainable_only=False)
    freeze(model)
    head = replace_head(model, head_name(arch), len(classes))
    model.to(ctx.device)
    opt = optimizer("SGD", model.parameters(), p["lr"], momentum=p["momentum"])
    history = fit(model, Normalized(train_b), CE, opt, ctx.scale.epochs(p["epochs"]), metric=accuracy,
                  test=Normalized(test_b), show_progress=ctx.show_progress, desc="model")
    k = min(p["examples"], len(y_test))
    model.eval()
    with torch.no_grad():
        guesses = model(imagenet_normalize(torch.as_tensor(x_test[:k], device=ctx.device))).argmax(1).cpu().numpy()
    first = imagenet_normalize(torch.as_tensor(x_train[:batch])).numpy().ravel()  # one training batch's values
    counts, edges = np.histogram(first, bins=100)
    picks = example_rows(ctx, len(y_train), p["examples"])
    return Result(
        metrics={**final(history), "parameters_imagenet": imagenet_parameters,
                 "parameters": count_parameters(model, trainable_only=False),
                 "trainable_parameters": count_parameters(model), "train_images": int(len(y_train)),
                 "test_images": int(len(y_test)), "test_predicted_correct": int((guesses == y_test[:k]).sum())},
        summary=pd.DataFrame({"true": [classes[i] for i in y_test[:k]], "predicted": [classes[i] for i in guesses]}),
        history=history.frame(),
        data={"pixels": pd.DataFrame({"value": (edges[:-1] + edges[1:]) / 2, "count": counts}),
              "examples": x_train[picks], "example_labels": np.asarray([classes[i] for i in y_train[picks]]),
              "test_images": x_test[:k]},
        models={"model": model.state_dict()} if keep == "model" else {"head": head.state_dict()},
    )


def resnet(p: P, ctx) -> Result:
    # the whole net: its frozen batchnorm layers' running statistics moved during training
    return _pretrained(p, ctx, "resnet18", keep="model")


def vgg16(p: P, ctx) -> Result:
    # only the new head (41,000 numbers, not 537 MB): VGG-16 has no batchnorm, so the rest is the ImageNet file
    return _pretrained(p, ctx, "vgg16", keep="head")


# ---------------------------------------------------------------- autoencoder pretraining


def _flips(batches, p: float, generator):
    return RandomFlips(batches, p, generator) if p > 0 else batches


def _autoencoder(ctx, build, x_train: np.ndarray, x_test: np.ndarray, batch_size: int, test_batch_size: int | None,
                 lr: float, weight_decay: float, epochs: int, flip: float = 0.0, test_name: str = "test"):
    """Train an autoencoder (dudl.steps.AutoencoderStep: the target is the input) on shuffled minibatches,
    drop_last, scoring MSE on the held-out images after each epoch (`test_name`_loss); images flipped at random
    when `flip`, input and target alike. Returns (model, history)."""
    generator = ctx.torch_seed("autoencoder")
    xt, xte = to_tensors(ctx.device, x_train, x_test)
    train_b = _flips(Batches(xt, xt, min(batch_size, len(xt)), shuffle=True, drop_last=True, generator=generator),
                     flip, generator)
    test_b = _flips(Batches(xte, xte, test_batch_size), flip, generator)
    model = build().to(ctx.device)
    opt = adam(lr, weight_decay=weight_decay)(model.parameters())
    mse = nn.MSELoss()

    def held_out() -> dict[str, Any]:
        return {f"{test_name}_loss": evaluate(model, ((x, x) for x, _ in test_b), mse)[0]}

    history = train(AutoencoderStep(model, mse, opt), train_b, epochs, modules=model, optimizers=opt,
                    evaluate=held_out, show_progress=ctx.show_progress, desc="autoencoder")
    return model, history


def _with_encoder(build, autoencoder: nn.Module):
    """A builder of the classifier whose conv layers start as the autoencoder's encoder (not frozen)."""
    def pretrained() -> nn.Module:
        net = build()
        copy_encoder(autoencoder, net)
        return net
    return pretrained


def _classifier(ctx, key: str, build, train_xy, test_xy, p: P, test_batch_size: int | None, flip: float = 0.0,
                drop_last: bool = True):
    """One classifier run: Adam at p["lr"], CrossEntropyLoss, p["epochs"] (scaled), test batches scored each
    epoch. Returns (model, history, the shuffling generator, which the flips share)."""
    batch = min(p["batch_size"], len(train_xy[1]))
    train_b, test_b = loaders(ctx, *train_xy, *test_xy, batch, key, drop_last=drop_last,
                              test_batch_size=test_batch_size)
    generator = train_b.generator
    model = build().to(ctx.device)
    history = fit(model, _flips(train_b, flip, generator), CE, adam(p["lr"])(model.parameters()),
                  ctx.scale.epochs(p["epochs"]), metric=accuracy, test=_flips(test_b, flip, generator),
                  show_progress=ctx.show_progress, desc=key)
    return model, history, generator


def _wide(histories: Mapping[str, Any], held_out: str) -> pd.DataFrame:
    """One history table for both classifiers: epoch, naive_train_loss, ..., pretrained_<held_out>_acc."""
    frame = None
    for name, h in histories.items():
        part = h.frame().rename(columns=lambda c: c if c == "epoch" else f"{name}_{c.replace('test', held_out)}")
        frame = part if frame is None else frame.merge(part, on="epoch")
    return frame


def first_layer_maps(model: nn.Module, image: torch.Tensor) -> np.ndarray:
    """The course's first-layer activations: ReLU of the first conv layer's kernels applied to one image with
    stride 1, no padding and no bias (F.conv2d(x, weight)), [channels, H - k + 1, W - k + 1]."""
    with torch.no_grad():
        return F.relu(F.conv2d(image[None], convs(model)[0].weight))[0].cpu().numpy()


def pretrain_fmnist(p: P, ctx) -> Result:
    (x_train, y_train), (x_held, y_held), classes = image_sets(ctx, "fashion_mnist")
    dev, test = dev_test_split(ctx, len(y_held), p["dev_size"])
    ae, ae_history = _autoencoder(ctx, fmnist_autoencoder, x_train, x_held[dev], p["batch_size"], None, p["lr"], 0.0,
                                  ctx.scale.epochs(p["ae_epochs"]), flip=p["flip"], test_name="dev")
    models, histories, tests = {}, {}, {}
    for name, build in (("naive", fmnist_encoder_classifier),
                        ("pretrained", _with_encoder(fmnist_encoder_classifier, ae))):
        model, history, generator = _classifier(ctx, name, build, (x_train, y_train), (x_held[dev], y_held[dev]), p,
                                                None, flip=p["flip"])
        # the test set once, as one batch flipped once (the course's next(iter(test_loader)))
        test_batch = next(iter(_flips(Batches(*to_tensors(ctx.device, x_held[test], y_held[test])), p["flip"],
                                      generator)))
        loss, acc = evaluate(model, [test_batch], CE, accuracy)
        models[name], histories[name], tests[name] = model, history, (float(loss), float(acc), test_batch)
    shown_x, shown_y = (t.cpu().numpy() for t in tests["pretrained"][2])
    image = tests["pretrained"][2][0][min(p["activation_image"], len(shown_y) - 1)]
    dev_x = next(iter(_flips(Batches(*to_tensors(ctx.device, x_held[dev], y_held[dev])), p["flip"],
                             ctx.torch_seed("shown"))))[0][:p["shown"]]
    ae.eval()
    with torch.no_grad():
        reconstructed = ae(dev_x).cpu().numpy()
    k = min(p["examples"], len(shown_y))
    rows = [{"model": name, **final(histories[name]), "test_loss": tests[name][0], "test_acc": tests[name][1]}
            for name in models]
    return Result(
        metrics={**{f"ae_{k}": v for k, v in final(ae_history, ("train_loss", "dev_loss")).items()},
                 **{f"{name}_{key.replace('final_test', 'final_dev')}": v for name in models
                    for key, v in final(histories[name]).items()},
                 **{f"{name}_test_acc": tests[name][1] for name in models},
                 **{f"{name}_test_loss": tests[name][0] for name in models},
                 "train_images": int(len(y_train)), "dev_images": int(len(dev)), "test_images": int(len(test)),
                 "parameters": count_parameters(models["naive"])},
        summary=pd.DataFrame(rows).rename(columns=lambda c: c.replace("final_test", "final_dev")),
        history=_wide(histories, "dev"),
        data={"examples": shown_x[:k], "example_labels": pd.DataFrame({"label": [classes[i] for i in shown_y[:k]]}),
              "ae_history": ae_history.frame(), "originals": dev_x.cpu().numpy(), "reconstructions": reconstructed,
              "maps_pretrained": first_layer_maps(models["pretrained"], image),
              "maps_naive": first_layer_maps(models["naive"], image), "activation_image": image.cpu().numpy()},
        models={"autoencoder": ae.state_dict(), **{name: m.state_dict() for name, m in models.items()}},
    )


def pretrain_cifar(p: P, ctx) -> Result:
    (x_train, y_train), (x_test, y_test), classes = image_sets(ctx, "cifar10")
    ae, ae_history = _autoencoder(ctx, cifar_autoencoder, x_train, x_test, p["batch_size"], p["test_batch_size"],
                                  p["lr"], p["ae_weight_decay"], ctx.scale.epochs(p["ae_epochs"]))
    n_train, n_test = (min(ctx.scale.count(p["small_size"]), n) for n in (len(y_train), len(y_test)))
    small_train, small_test = (x_train[:n_train], y_train[:n_train]), (x_test[:n_test], y_test[:n_test])
    models, histories = {}, {}
    for name, build in (("naive", cifar_encoder_classifier),
                        ("pretrained", _with_encoder(cifar_encoder_classifier, ae))):
        # the course's small loaders: batches of 32 without drop_last, the test set in batches of 32 too
        models[name], histories[name], _ = _classifier(ctx, name, build, small_train, small_test, p,
                                                       p["batch_size"], drop_last=False)
    shown = small_test[0][:p["shown"]]
    ae.eval()
    with torch.no_grad():
        reconstructed = ae(torch.as_tensor(shown, device=ctx.device)).cpu().numpy()
    picks = example_rows(ctx, n_train, p["examples"])
    rows = [{"model": name, **final(histories[name])} for name in models]
    return Result(
        metrics={**{f"ae_{k}": v for k, v in final(ae_history, ("train_loss", "test_loss")).items()},
                 **{f"{name}_{key}": v for name in models for key, v in final(histories[name]).items()},
                 "ae_train_images": int(len(y_train)), "train_images": n_train, "test_images": n_test,
                 "parameters": count_parameters(models["naive"])},
        summary=pd.DataFrame(rows), history=_wide(histories, "test"),
        data={"examples": small_train[0][picks],
              "example_labels": pd.DataFrame({"label": [classes[i] for i in small_train[1][picks]]}),
              "ae_history": ae_history.frame(), "originals": shown, "reconstructions": reconstructed},
        models={"autoencoder": ae.state_dict(), **{name: m.state_dict() for name, m in models.items()}},
    )
