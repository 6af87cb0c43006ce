"""The experiments `python -m benchmarks` measures: for each, its `dudl run` experiment, the bound of each mode (the
params both sides train with), the metric both sides report and the band within which they agree.

A bound is a set of `--set` overrides of the experiment's params block (and, in the smoke mode only, `scale`):
the harness hands them to `dudl run` and builds the reference's params slice from params.yaml with the same
overrides, so both sides train the same model on the same data for the same epochs, steps and sweep.

Tolerances ("agree"): the two sides draw different initial weights, splits and batch orders (the reference with
torch's and numpy's generators as a notebook does, ours with the pipeline's derived seeds), so their metrics differ
by seed noise, never bit for bit. Each band below is set to about three times the seed-to-seed standard deviation
of the metric at the default bound, estimated as its `why` says; a pair outside its band is a real difference in
what the two sides train, not noise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

Metrics = Mapping[str, float]


def key(name: str) -> Callable[[Metrics], float]:
    return lambda m: float(m[name])


def mean_of(prefix: str) -> Callable[[Metrics], float]:
    """The mean of every metric whose name starts with `prefix` (one per sweep point)."""

    def pick(m: Metrics) -> float:
        values = [float(v) for k, v in m.items() if k.startswith(prefix)]
        if not values:
            raise KeyError(f"no metric starts with {prefix}")
        return sum(values) / len(values)

    return pick


@dataclass(frozen=True)
class Case:
    name: str  # short label in the table and the CSV
    experiment: str  # `dudl run` id; its name is also the reference's (benchmarks.reference.REFERENCES)
    metric: str  # what both sides report
    ours: Callable[[Metrics], float]  # the metric from ours' metrics.json
    tolerance: float  # |reference - ours| within this (in the metric's units, or relative: a share of ours)
    why: str  # where the tolerance comes from
    bounds: Mapping[str, Mapping[str, object]]  # mode -> overrides of the experiment's params (and "scale")
    relative: bool = False
    reference: str = field(default="")

    @property
    def section(self) -> str:
        return self.experiment.split("/")[0]

    @property
    def reference_name(self) -> str:
        return self.reference or self.experiment.split("/")[1]

    def overrides(self, mode: str) -> list[str]:
        """`--set` items of the mode's bound: `scale=...` at the top level, the rest in the experiment's block."""
        import json

        items = []
        for k, v in self.bounds[mode].items():
            name = k if k == "scale" else f"{self.experiment.replace('/', '.')}.{k}"
            items.append(f"{name}={json.dumps(v)}")
        return items

    def bound_text(self, mode: str) -> str:
        """The bound as the table and the CSV say it ('course settings' where nothing is overridden)."""
        import json

        parts = [f"{k}={json.dumps(v, separators=(',', ':'))}" for k, v in self.bounds[mode].items()]
        return " ".join(parts) or "course settings"

    def agree(self, reference: float, ours: float) -> bool:
        band = self.tolerance * abs(ours) if self.relative else self.tolerance
        return abs(reference - ours) <= band

    def tolerance_text(self) -> str:
        return f"{self.tolerance:.0%} of ours" if self.relative else f"±{self.tolerance:g}"


SMOKE_SCALE = 0.05  # smoke only: a stratified 5% of the MNIST-size data sets (and grids/epochs as Scale thins them)

CASES: tuple[Case, ...] = (
    Case("lr sweep (qwerties)", "ann/learning_rates", "meta mean accuracy %", key("meta_mean_accuracy"), 12.0,
         "each 2-1-1 net ends near 50% or near 95% by its initial weights, so the mean over the 40 x r meta "
         "models has a seed SD of about 45*sqrt(.25/(40r)) = 3.6 points at r = 1",
         {"default": {"meta_repetitions": 1},
          "quick": {"epochs": 300, "meta_repetitions": 1, "meta_epochs": 150},
          "smoke": {"epochs": 20, "lrs": {"start": 0.001, "stop": 0.1, "num": 3}, "meta_repetitions": 1,
                    "meta_epochs": 10}}),
    Case("momentum sweep (qwerties)", "metaparams/momentum", "mean final test acc %",
         mean_of("final_test_acc_momentum_"), 8.0,
         "90 test qwerties: a binomial SD of about 3 points a net at 90%, the five momenta averaged but sharing "
         "one split",
         {"default": {}, "quick": {"epochs": 20}, "smoke": {"epochs": 2, "momenta": [0.0, 0.9]}}),
    Case("wine MLP, batches 2-32", "metaparams/code_challenge_batches", "mean final test acc %",
         mean_of("final_test_acc_batch_"), 8.0,
         "160 test wines: a binomial SD of about 3.4 points a batch size at 75%, three sizes averaged over one split",
         {"default": {"batch_sizes": [2, 8, 32], "epochs": 30}, "quick": {"batch_sizes": [2, 8, 32], "epochs": 8},
          "smoke": {"batch_sizes": [8, 32], "epochs": 1}}),
    Case("FFN on MNIST", "ffn/ffn_on_mnist", "final test acc %", key("final_test_acc"), 2.0,
         "2,000 test digits at about 94%: a binomial SD of 0.5 points, seed to seed about as much",
         {"default": {"epochs": 10}, "quick": {"epochs": 3}, "smoke": {"epochs": 1, "scale": SMOKE_SCALE}}),
    Case("breadth x depth", "ffn/breadth_depth", "mean test acc %", mean_of("test_acc_L"), 3.0,
         "after one epoch of SGD a net's test accuracy moves about 1-2 points with its seed; 15 nets averaged",
         {"default": {"epochs": 1}, "quick": {"epochs": 1, "hidden_layers": [1, 3],
                                               "units": {"start": 50, "stop": 250, "num": 2}},
          "smoke": {"epochs": 1, "hidden_layers": [1], "units": {"start": 50, "stop": 100, "num": 2},
                    "scale": SMOKE_SCALE}}),
    Case("CNN on MNIST", "cnn/cnn4mnist", "final test acc %", key("final_test_acc"), 2.0,
         "2,000 test digits at about 97%: a binomial SD of 0.4 points, seed to seed about as much",
         {"default": {"epochs": 2}, "quick": {"epochs": 1}, "smoke": {"epochs": 1, "scale": SMOKE_SCALE}}),
    Case("denoising autoencoder", "autoencoders/denoising", "mean loss, last 100 steps", key("mean_loss_last_100"),
         0.15, "the mean MSE of 100 random batches moves a few percent with the batches drawn and the seed",
         {"default": {"iterations": 2000}, "quick": {"iterations": 1000}, "smoke": {"iterations": 100}},
         relative=True),
    Case("GAN on MNIST (linear)", "gans/linear_mnist", "D loss, last 10% of steps", key("d_loss_last"), 1.0,
         "a GAN's losses are chaotic: at 1,000 steps D's mean loss over the last 100 ranged 0.76-1.60 over two seeds "
         "of the reference and 0.55-0.93 over two of ours (2026-12-07), so the band (100% of ours) only tells a "
         "loop that trains from one that collapses",
         {"default": {"steps": 1000}, "quick": {"steps": 300}, "smoke": {"steps": 20}}, relative=True),
    Case("sine RNN", "rnn/sine_extrapolate", "last epoch train loss", key("final_train_loss"), 1.0,
         "a 9-unit RNN's loss after a few epochs of SGD at lr .001 depends on its initial weights several-fold; "
         "the band (100% of ours) tells a loop that learns from one that does not",
         {"default": {"epochs": 10}, "quick": {"epochs": 3}, "smoke": {"epochs": 1, "n": 100}}, relative=True),
    Case("character LSTM", "text/char_lstm", "held-out perplexity", key("test_perplexity"), 0.08,
         "held-out perplexity after one pass moves a few percent with the seed",
         {"default": {"epochs": 1}, "quick": {"epochs": 1, "scale": 0.3},
          "smoke": {"epochs": 1, "hidden": 16, "embedding": 8, "scale": 0.02}}, relative=True),
    Case("transfer MNIST -> FMNIST", "transfer_learning/mnist_to_fmnist", "fine-tuned FMNIST test acc %",
         key("fashion_test_acc"), 3.0,
         "10,000 test images at about 80%: a binomial SD of 0.4 points, but one epoch of SGD fine-tuning moves "
         "about 1 point with the seed",
         {"default": {"source_epochs": 1, "target_epochs": 1},
          "quick": {"source_epochs": 1, "target_epochs": 1, "scale": 0.3},
          "smoke": {"source_epochs": 1, "target_epochs": 1, "scale": 0.02}}),
)

BY_NAME = {c.experiment.split("/")[1]: c for c in CASES}
