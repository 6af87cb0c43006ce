"""Section regularization (course folder regularization/): 8 notebooks."""

from typing import Annotated

from pydantic import Field

from dudl.catalog import Expect, Experiment
from dudl.paramspec import (BatchSize, Block, Count, Doughnuts, DropoutRate, Epochs, Layers, Lr, NonNegative,
                           Proportion, grid_of)

S = "regularization"
CURVES = ("train_loss", "train_acc", "test_loss", "test_acc")
DOUGHNUTS = ("The doughnut qwerties: two noisy rings (radius 10, noisier in x; radius 15, noisier in y), 200 points "
             "each, drawn from the run's seed.")


def _penalty_figures(kind: str, how: str, single: str) -> dict[str, str]:
    return {
        "single_run": f"One network with {kind} lambda = {single}: training loss (mean over the epoch's single "
                      f"minibatch of 64; 120 training flowers with drop_last leave one batch) and train and test "
                      f"accuracy per epoch. {how}",
        "curves": f"Train and test accuracy per epoch for every {kind} lambda, smoothed as the course does (boxcar of "
                  "10 epochs, zero-padded, hence the dips at both ends).",
        "sweep": "Mean smoothed accuracy over epochs 500 to 950 against the regularization amount (train, test), "
                 "one network per amount.",
    }



# ---------------------------------------------------------------- params, declared once (values: params.yaml)


class DropoutParams(Block):
    """regular_dropout: Dropout regularization."""

    data: Doughnuts
    test_size: Proportion
    batch_size: BatchSize
    drop_last: bool
    layers: Layers
    lr: Lr
    epochs: Epochs
    dropout_rates: Annotated[list[DropoutRate], Field(min_length=1)]
    last_epochs: Epochs
    smoothing: Count


class DropoutInPytorchParams(Block):
    """regular_dropoutInPytorch: Dropout regularization in practice."""

    p: DropoutRate
    n: Count
    n_check: Count


class DropoutExample2Params(Block):
    """regular_dropout_example2: Dropout example 2."""

    layers: Layers
    test_size: Proportion
    batch_size: BatchSize
    drop_last: bool
    lr: Lr
    epochs: Epochs
    dropout_rates: Annotated[list[DropoutRate], Field(min_length=1)]
    last_epochs: Epochs


class L2ReguParams(Block):
    """regular_L2regu: L2 regularization in practice."""

    layers: Layers
    test_size: Proportion
    batch_size: BatchSize
    drop_last: bool
    lr: Lr
    epochs: Epochs
    single_lambda: NonNegative
    lambdas: grid_of(NonNegative, "NonNegative")
    smoothing: Count
    average_epochs: Annotated[list[Annotated[int, Field(ge=0)]], Field(min_length=2, max_length=2)]


class L1ReguParams(Block):
    """regular_L1regu: L1 regularization in practice."""

    layers: Layers
    test_size: Proportion
    batch_size: BatchSize
    drop_last: bool
    lr: Lr
    epochs: Epochs
    single_lambda: NonNegative
    lambdas: grid_of(NonNegative, "NonNegative")
    smoothing: Count
    average_epochs: Annotated[list[Annotated[int, Field(ge=0)]], Field(min_length=2, max_length=2)]


class MinibatchParams(Block):
    """regular_minibatch: Batch training in action."""

    layers: Layers
    test_size: Proportion
    batch_size: BatchSize
    drop_last: bool
    lr: Lr
    epochs: Epochs


class CodeChallengeMinibatchParams(Block):
    """regular_codeChallenge_minibatch: CodeChallenge: Effects of mini-batch size."""

    layers: Layers
    test_size: Proportion
    batch_sizes: Annotated[list[BatchSize], Field(min_length=1)]
    drop_last: bool
    lr: Lr
    epochs: Epochs


class TestBatchT2Params(Block):
    """regular_testBatchT2: The importance of equal batch sizes."""

    data: Doughnuts
    test_size: Proportion
    batch_size: BatchSize
    drop_last: bool
    test_batch_short_by: Count
    layers: Layers
    lr: Lr
    epochs: Epochs


EXPERIMENTS = [
    Experiment(
        S, "dropout", ("regular_dropout",), "Dropout regularization",
        curves=("train_loss", "train_acc", "test_loss", "test_acc"), curves_by="dropout_rate",
        figures={
            "data": DOUGHNUTS,
            "single_run": "Train and test accuracy per epoch (smoothed over 5 epochs, as the course does) of the "
                          "2-128-128-1 network without dropout: minibatches of 16 from 320 points, tested on 80.",
            "sweep": "Left: mean train and test accuracy over the last 100 of 1000 epochs against the dropout "
                     "proportion (one network each). Train accuracy is measured with dropout on, test accuracy "
                     "with it off. With this small learning rate the networks are still undertrained after 1000 "
                     "epochs, and at high rates the network with dropout switched off calls nearly every test "
                     "point one class. Right: their difference, train minus test.",
        },
        history=CURVES,
        points=lambda p, scale: scale.grid(list(p["dropout_rates"])),
        params=DropoutParams,
    ),
    Experiment(
        S, "dropout_in_pytorch", ("regular_dropoutInPytorch",), "Dropout regularization in practice",
        figures={
            "demo": "A vector of ten ones through dropout with p = .5: nn.Dropout in train mode zeroes about half "
                    "and scales the survivors by 1/(1-p) = 2, so the mean stays near 1; in eval mode it passes the "
                    "input through; F.dropout ignores the module's eval mode (its training flag defaults to True) "
                    "unless given training=False. Crosses mark zeroed elements; with ten elements the count "
                    "varies from draw to draw (binomial), so the last row repeats nn.Dropout on 10,000 ones.",
        },
        expect=(Expect("survivor_value", 2.0, 2.0, "catalog: survivors scaled by 1/(1-p) = 2 (exact)"),
                Expect("eval_max_abs_change", 0.0, 0.0, "catalog: eval mode passes through (exact)"),
                Expect("functional_training_false_max_abs_change", 0.0, 0.0,
                       "catalog: F.dropout(training=False) passes through (exact)"),
                Expect("large_zero_fraction", 0.48, 0.52, "catalog: zeros about half")),
        figure_data=False,
        params=DropoutInPytorchParams,
    ),
    Experiment(
        S, "dropout_example2", ("regular_dropout_example2",), "Dropout example 2", datasets=("iris",),
        curves=("train_loss", "train_acc", "test_loss", "test_acc"), curves_by="dropout_rate",
        figures={
            "single_run": "Train and test accuracy per epoch of the 4-12-12-3 network without dropout (minibatches "
                          "of 16 from 120 flowers, SGD lr .005, 500 epochs).",
            "sweep": "Left: mean train and test accuracy over the last 50 epochs against the dropout proportion "
                     "(one network each). Right: their difference, train minus test.",
        },
        history=CURVES,
        params=DropoutExample2Params,
    ),
    Experiment(
        S, "l2_regu", ("regular_L2regu",), "L2 regularization in practice", datasets=("iris",),
        curves=("train_acc", "test_acc"), curves_by="lambda",
        figures=_penalty_figures("L2", "L2 is SGD's weight_decay, as in the course.", "0.01"),
        history=CURVES,
        params=L2ReguParams,
    ),
    Experiment(
        S, "l1_regu", ("regular_L1regu",), "L1 regularization in practice", datasets=("iris",),
        curves=("train_acc", "test_acc"), curves_by="lambda",
        figures=_penalty_figures(
            "L1", "The optimized loss adds lambda times the mean absolute weight (biases excluded), as the course "
                  "does; the plotted loss is the data loss alone (the course's includes the penalty, about lambda "
                  "times 0.1, invisible at this scale).", "0.001"),
        history=CURVES,
        params=L1ReguParams,
    ),
    Experiment(
        S, "minibatch", ("regular_minibatch",), "Batch training in action", datasets=("iris",),
        figures={
            "data": "The raw iris measurements against sample number (the course's iris.plot): flowers are sorted "
                    "by species, which is why the data must be shuffled before splitting.",
            "training": "Loss and train and test accuracy per epoch with minibatches of 16 (7 per epoch with "
                        "drop_last), SGD lr .0005, 2500 epochs.",
        },
        history=CURVES, models=("model",),
        params=MinibatchParams,
    ),
    Experiment(
        S, "code_challenge_minibatch", ("regular_codeChallenge_minibatch",),
        "CodeChallenge: Effects of mini-batch size", datasets=("iris",),
        curves=("train_acc", "test_acc"), curves_by="batch_size",
        figures={
            "curves": "Train and test accuracy per epoch for minibatch sizes 2 to 64 (drop_last; SGD lr .001, 500 "
                      "epochs), one network each.",
            "sweep": "Final train and test accuracy against minibatch size (log scale): at a fixed number of "
                     "epochs, smaller batches take more steps and learn faster.",
        },
        history=CURVES,
        points=lambda p, scale: [int(b) for b in scale.grid(list(p["batch_sizes"]))],
        expect=(Expect("final_train_acc_smallest_batch", 90, 100, "catalog: batch 2-8 reach ~95%+"),
                Expect("final_train_acc_largest_batch", 0, 80, "catalog: batch 64 stays much lower in 500 epochs")),
        params=CodeChallengeMinibatchParams,
    ),
    Experiment(
        S, "test_batch_t2", ("regular_testBatchT2",), "The importance of equal batch sizes",
        figures={
            "data": DOUGHNUTS,
            "accuracy": "Train and test accuracy per epoch. The 40 test points come in batches of 38 and 2, and "
                        "the test accuracy is the mean of the two batch accuracies, as the course computes it, so "
                        "the 2-point batch weighs as much as the 38-point one: one point of the small batch moves the "
                        "test accuracy by 25 percentage points. The title compares the final value with the accuracy "
                        "over all 40 points at once.",
        },
        history=CURVES,
        expect=(Expect("first_test_batch_size", 38, 38, "catalog: test batches of 38 and 2 (exact)"),
                Expect("last_test_batch_size", 2, 2, "catalog: test batches of 38 and 2 (exact)")),
        params=TestBatchT2Params,
    ),
]
