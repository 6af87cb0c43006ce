"""The reference side of `python -m benchmarks`: each benchmarked experiment as a notebook runs it, with the loops
of benchmarks.course, on the data, model, batch size, epochs and sweep of the pipeline's params slice.

    python -m benchmarks.reference NAME '{"experiment": {...}, "scale": 1.0, "seed": 17, "threads": 1}'

prints one JSON line, {"metric": value}. The harness (benchmarks.run) builds the slice from params.yaml with the same
--set overrides it hands `dudl run`, so both sides train the same thing. Data are read from the pipeline's prepared
files (the notebooks read the same numbers from CSVs or torchvision); splits are seeded where a notebook draws
them unseeded, so a repeat is repeatable. `scale` below 1.0 (the smoke setting only) thins grids, epochs and
samples as dudl.params.Scale thins ours.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import torch
from sklearn.model_selection import train_test_split
from torch import nn

from benchmarks import course as C
from dudl.params import Scale, grid

ROOT = Path(__file__).resolve().parents[1]


def processed(data_root: Path, dataset: str, name: str) -> Path:
    return data_root / "data" / "processed" / dataset / name


def subset(labels: np.ndarray, scale: Scale, seed: int) -> np.ndarray:
    from dudl.data.subsets import stratified_subset

    return stratified_subset(labels, scale.factor, np.random.default_rng(seed))


def mnist_split(p, scale: Scale, seed: int, data_root: Path, images_shape=(-1, 784)):
    """The course's MNIST: the 20,000-digit file / its max, a split of p["test_size"], as tensors."""
    from dudl.data import mnist

    images, labels = mnist.load_small(processed(data_root, "mnist", "train_small.npz"))
    keep = subset(labels, scale, seed)
    data = (images[keep] / np.max(images)).astype(np.float32).reshape(images_shape)
    x_train, x_test, y_train, y_test = train_test_split(data, labels[keep], test_size=p["test_size"],
                                                        random_state=seed)
    return [torch.tensor(a) for a in (x_train, y_train, x_test, y_test)]


# ---------------------------------------------------------------- tabular


def learning_rates(p, scale: Scale, seed: int, data_root: Path) -> float:
    """ANN_learningrates: the 2-1-1 qwerty classifier at one lr, the lr sweep, then the meta experiment (each lr
    again, repetition after repetition); the meta experiment's mean accuracy."""
    from dudl.data import synthetic

    x, y = synthetic.qwerties(np.random.default_rng(seed), p["data"]["centers"], p["data"]["n_per_cluster"],
                              p["data"]["blur"])
    data, labels = torch.tensor(x).float(), torch.tensor(y).float()[:, None]

    def create():
        return nn.Sequential(nn.Linear(2, 1), nn.ReLU(), nn.Linear(1, 1))

    epochs, lrs = scale.epochs(p["epochs"]), grid(p["lrs"], scale)
    C.full_batch_loop(create(), data, labels, epochs, p["single_lr"])
    for lr in lrs:  # the sweep (its accuracies feed the notebook's figure only)
        C.full_batch_loop(create(), data, labels, epochs, lr)
    meta_epochs = scale.epochs(p["meta_epochs"])
    acc_meta = [[C.full_batch_loop(create(), data, labels, meta_epochs, lr) for lr in lrs]
                for _ in range(scale.reps(p["meta_repetitions"]))]
    return float(np.mean(acc_meta))


def momentum(p, scale: Scale, seed: int, data_root: Path) -> float:
    """metaparams_momentum: the 2-8-8-3 qwertyNet with SGD at each momentum; mean final test accuracy."""
    from dudl.data import synthetic

    x, y = synthetic.qwerties(np.random.default_rng(seed), p["data"]["centers"], p["data"]["n_per_cluster"],
                              p["data"]["blur"])
    x_train, x_test, y_train, y_test = (torch.tensor(a) for a in train_test_split(
        x, y, test_size=p["test_size"], random_state=seed))
    accs = []
    for m in scale.grid(list(p["momenta"])):
        accs.append(C.course_loop(C.CourseNet(p["layers"]), x_train, y_train, x_test, y_test, scale.epochs(p["epochs"]),
                                  seed, make_optimizer=lambda params: C.sgd(params, p["lr"], momentum=m),
                                  batch_size=p["batch_size"]))
    return float(np.mean(accs))


def code_challenge_batches(p, scale: Scale, seed: int, data_root: Path) -> float:
    """metaparams_CodeChallengeBatches: ANNwine (11-16-32-32-1) at each batch size, BCEWithLogitsLoss, SGD; mean
    final test accuracy over the batch sizes."""
    from dudl.data import tabular

    frame = tabular.wine_binary(tabular.wine(processed(data_root, "wine_quality", "wine.csv")))
    x = frame[tabular.WINE_FEATURES].to_numpy(np.float32)
    y = frame["boolQuality"].to_numpy(np.float32)[:, None]
    x_train, x_test, y_train, y_test = (torch.tensor(a) for a in train_test_split(
        x, y, test_size=p["test_size"], random_state=seed))
    accs = [C.course_loop(C.CourseNet(p["layers"]), x_train, y_train, x_test, y_test, scale.epochs(p["epochs"]), seed,
                          make_optimizer=lambda params: C.sgd(params, p["lr"]), loss_fn=nn.BCEWithLogitsLoss(),
                          batch_size=int(b), binary=True)
            for b in p["batch_sizes"]]
    return float(np.mean(accs))


# ---------------------------------------------------------------- MNIST


def ffn_on_mnist(p, scale: Scale, seed: int, data_root: Path) -> float:
    """FFN_FFNonMNIST: mnistNet (784-64-32-32-10, log_softmax), NLLLoss, SGD; final test accuracy."""
    data = mnist_split(p, scale, seed, data_root)
    return C.course_loop(C.CourseNet(p["layers"], log_softmax=True), *data, scale.epochs(p["epochs"]), seed,
                         make_optimizer=lambda params: C.sgd(params, p["lr"]), loss_fn=nn.NLLLoss(),
                         test_no_grad=False, batch_size=p["batch_size"])


def breadth_depth(p, scale: Scale, seed: int, data_root: Path) -> float:
    """FFN_CodeChallengeBreadthDepth: a net per (hidden layers, units), one after another; the mean over the nets
    of each net's test accuracy averaged over its last p["last_epochs"] epochs."""
    data = mnist_split(p, scale, seed, data_root)
    accs = []
    for layers in p["hidden_layers"]:
        for units in grid(p["units"], scale):
            history: dict = {}
            C.course_loop(C.BreadthDepthNet(int(units), int(layers)), *data, scale.epochs(p["epochs"]), seed,
                          make_optimizer=lambda params: C.sgd(params, p["lr"]), batch_size=p["batch_size"],
                          history=history)
            accs.append(np.mean(history["test_acc"][-p["last_epochs"]:]))
    return float(np.mean(accs))


def cnn4mnist(p, scale: Scale, seed: int, data_root: Path) -> float:
    """CNN_CNN4MNIST: the two-conv mnistNet, CrossEntropyLoss, Adam; final test accuracy."""
    data = mnist_split(p, scale, seed, data_root, images_shape=(-1, 1, 28, 28))
    return C.course_loop(C.CourseMnistCnn(), *data, scale.epochs(p["epochs"]), seed,
                         make_optimizer=lambda params: C.adam(params, p["lr"]), batch_size=p["batch_size"])


def denoising(p, scale: Scale, seed: int, data_root: Path) -> float:
    """autoenc_denoisingMNIST: the 784-250-50-250-784 autoencoder, random batches with replacement, MSE, Adam;
    the mean loss of the last 100 iterations."""
    from dudl.data import mnist

    images, labels = mnist.load_small(processed(data_root, "mnist", "train_small.npz"))
    x = torch.tensor((images / np.max(images)).astype(np.float32)[subset(labels, scale, seed)])
    losses = C.autoencoder_loop(C.DenoisingAE(), x, scale.count(p["iterations"]), seed, p["lr"], p["batch_size"])
    return float(losses[-100:].mean())


def linear_mnist(p, scale: Scale, seed: int, data_root: Path) -> float:
    """GAN_MNIST: the linear G and D, BCELoss, Adam each; D's mean loss over the last p["last_share"] of the steps."""
    from dudl.data import mnist

    images, labels = mnist.load_small(processed(data_root, "mnist", "train_small.npz"))
    keep = subset(labels, scale, seed)
    x = torch.tensor((images[keep] / np.max(images)).astype(np.float32) * 2 - 1)
    steps = scale.count(p["steps"])
    records = C.gan_loop(C.linear_generator(), C.linear_discriminator(), x, steps, seed, p["lr"], p["batch_size"])
    last = max(1, int(round(steps * p["last_share"])))
    return float(records["d_loss"][-last:].mean())


def mnist_to_fmnist(p, scale: Scale, seed: int, data_root: Path) -> float:
    """transfer_MNISTtoFMNIST: the CNN trained on digits (SGD), copied, and fine-tuned on Fashion-MNIST (pixels
    in -1..1); the fine-tuned net's final Fashion-MNIST test accuracy."""
    digits = mnist_split(p, scale, seed, data_root, images_shape=(-1, 1, 28, 28))
    make_sgd = lambda params: C.sgd(params, p["lr"])  # noqa: E731
    source = C.CourseMnistCnn()
    C.course_loop(source, *digits, scale.epochs(p["source_epochs"]), seed, make_optimizer=make_sgd,
                  batch_size=p["batch_size"])
    sets = []
    for part in ("train", "test"):
        with np.load(processed(data_root, "fashion_mnist", f"{part}.npz")) as f:
            images, labels = f["images"], f["labels"]
        keep = subset(labels, scale, seed)
        sets += [torch.tensor(images[keep][:, None].astype(np.float32) / 127.5 - 1), torch.tensor(labels[keep])]
    with torch.no_grad():  # the digit net on fashion, before the copy (the notebook prints it)
        torch.mean((torch.argmax(source(sets[2]), axis=1) == sets[3]).float())
    target = C.CourseMnistCnn()
    target.load_state_dict(source.state_dict())
    return C.course_loop(target, *sets, scale.epochs(p["target_epochs"], minimum=1), seed, make_optimizer=make_sgd,
                         batch_size=min(p["batch_size"], len(sets[1])))


# ---------------------------------------------------------------- sequences


def sine_extrapolate(p, scale: Scale, seed: int, data_root: Path) -> float:
    """RNN_codeChallenge_SineExtrapolate: a 9-unit RNN on sin(t + cos(t)), one window a step, the state carried;
    the last epoch's mean training loss."""
    t = np.linspace(0, p["periods_pi"] * np.pi, p["n"])
    data = torch.tensor(np.sin(t + np.cos(t)), dtype=torch.float32)
    losses = C.sine_loop(C.RnnNet(p["hidden"], p["layers"]), data, p["seq_length"], scale.epochs(p["epochs"]), p["lr"])
    return float(losses[-1])


def char_lstm(p, scale: Scale, seed: int, data_root: Path) -> float:
    """The character LSTM (the RNN section's LSTM on a Gutenberg book): held-out chapters, 64 streams of 100
    characters, Adam, gradient clipping, the held-out cross-entropy after every epoch; the final held-out
    perplexity."""
    from dudl import text as T

    book = processed(data_root, "text", f"{p['book']}.txt").read_text(encoding="utf-8")
    train_text, test_text, _ = T.held_out_split(book, p["test_every"])
    vocab = T.Vocabulary.of_characters(T.plain(book))
    length = p["seq_length"]
    tensors = []
    for part in (train_text, test_text):
        ids = vocab.encode(part[:scale.count(len(part))])
        x, y = T.streams(ids, max(1, min(p["batch"], (len(ids) - 1) // length)), length)
        tensors += [torch.tensor(x), torch.tensor(y)]
    net = C.LstmNet(len(vocab), p["embedding"], p["hidden"], p["layers"])
    _, test_losses = C.char_loop(net, *tensors, scale.epochs(p["epochs"]), p["lr"], p["clip_grad"])
    return float(math.exp(test_losses[-1]))


REFERENCES = {f.__name__: f for f in (learning_rates, momentum, code_challenge_batches, ffn_on_mnist, breadth_depth,
                                      cnn4mnist, denoising, linear_mnist, mnist_to_fmnist, sine_extrapolate, char_lstm)}


def run(name: str, job: dict) -> float:
    """One reference run: `job` = {"experiment": params slice, "scale", "seed", "threads", "data_root"}."""
    torch.set_num_threads(int(job["threads"]))
    torch.manual_seed(int(job["seed"]))
    return REFERENCES[name](job["experiment"], Scale(float(job["scale"])), int(job["seed"]),
                            Path(job.get("data_root") or ROOT))


if __name__ == "__main__":
    print(json.dumps({"metric": run(sys.argv[1], json.loads(sys.argv[2]))}))
