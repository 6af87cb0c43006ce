"""Section overfitting (course folder overfitting/): 5 notebooks."""

from typing import Annotated

from pydantic import Field

from dudl.catalog import Expect, Experiment
from dudl.paramspec import BatchSize, Block, Count, Epochs, Layers, Lr, NonNegative, Proportion, grid_of

S = "overfitting"
IRIS_CURVES = ("train_loss", "train_acc", "test_loss", "test_acc")


# ---------------------------------------------------------------- params, declared once (values: params.yaml)


class ManualParams(Block):
    """overfitting_manual: Cross-validation -- manual separation."""

    layers: Layers
    train_proportion: Proportion
    lr: Lr
    epochs: Epochs


class ScikitlearnParams(Block):
    """overfitting_scikitlearn: Cross-validation -- scikitlearn."""

    layers: Layers
    lr: Lr
    epochs: Epochs
    single_train_proportion: Proportion
    train_proportions: grid_of(Proportion, "Proportion")
    fake_test_size: Proportion


class DataLoaderParams(Block):
    """overfitting_dataLoader: Cross-validation -- DataLoader."""

    layers: Layers
    test_size: Proportion
    batch_size: BatchSize
    lr: Lr
    epochs: Epochs
    fake_test_size: Proportion
    fake_batch_size: BatchSize


class RegressionParams(Block):
    """overfitting_regression: Cross-validation on regression."""

    n: Annotated[int, Field(ge=2)]
    slope: float
    noise_std: NonNegative
    n_train: Count
    lr: Lr
    epochs: Epochs


class TrainDevsetTestParams(Block):
    """overfitting_trainDevsetTest: Splitting data into train, devset, test."""

    partitions: Annotated[list[Proportion], Field(min_length=3, max_length=3)]


EXPERIMENTS = [
    Experiment(
        S, "manual", ("overfitting_manual",), "Cross-validation -- manual separation", datasets=("iris",),
        figures={
            "accuracy": "Left: train and test accuracy per epoch of the 4-64-64-3 network (full batch, SGD lr .01), "
                        "trained on 120 flowers picked at random and tested on the other 30. The notebook prints "
                        "only the final accuracies; the per-epoch test curve is ours. Right: flowers of each species "
                        "in the two sets, the notebook's balance check (a random pick is balanced only roughly).",
        },
        history=IRIS_CURVES, models=("model",),
        expect=(Expect("train_accuracy", 95, 100, "catalog: expect ~98% train"),
                Expect("test_accuracy", 90, 100, "catalog: expect ~95-100% test (one of 30 flowers is 3.3 points)")),
        params=ManualParams,
    ),
    Experiment(
        S, "scikitlearn", ("overfitting_scikitlearn",), "Cross-validation -- scikitlearn", datasets=("iris",),
        curves=("train_loss", "train_acc", "test_loss", "test_acc"), curves_by="train_proportion",
        figures={
            "single_run": "Train and test accuracy per epoch with 80% of the flowers for training (200 epochs, full "
                          "batch). As in the course, every epoch draws a fresh train_test_split, so over the epochs "
                          "the network sees every flower and the test flowers are not unseen.",
            "heatmaps": "Train and test accuracy (colour, clipped to 50-90% as the course does) by epoch and by "
                        "training proportion (10 proportions from .2 to .95), one network per proportion, each "
                        "epoch on a fresh split.",
        },
        history=IRIS_CURVES,
        params=ScikitlearnParams,
    ),
    Experiment(
        S, "data_loader", ("overfitting_dataLoader",), "Cross-validation -- DataLoader", datasets=("iris",),
        figures={
            "accuracy": "Train accuracy (mean over the epoch's minibatches of 12) and test accuracy (30 held-out "
                        "flowers, one batch) per epoch over 500 epochs.",
        },
        history=IRIS_CURVES, models=("model",),
        expect=(Expect("final_train_accuracy", 95, 100, "catalog: expect train ~98%"),
                Expect("final_test_accuracy", 90, 100, "catalog: expect test ~95-100% (30 flowers)")),
        params=DataLoaderParams,
    ),
    Experiment(
        S, "regression", ("overfitting_regression",), "Cross-validation on regression",
        figures={
            "predictions": "All 100 points of y = x + N(0, 1), the model's predictions for the 80 training points "
                           "and for the 20 held-out test points; the title gives both final mean squared errors.",
            "losses": "Train and test mean squared error per epoch (the notebook's exploration 3); the dashed line "
                      "is the noise variance, 1, the best any model can do.",
        },
        history=("train_loss", "test_loss"), models=("model",),
        expect=(Expect("train_mse", 0.6, 1.4, "catalog: final train MSE ~1.0, the noise variance"),
                Expect("test_mse", 0.4, 1.8, "catalog: final test MSE ~1.0 (only 20 test points)")),
        params=RegressionParams,
    ),
    Experiment(
        S, "train_devset_test", ("overfitting_trainDevsetTest",), "Splitting data into train, devset, test",
        figures={
            "partitions": "Where each of the 10 rows of the course's fake data lands (train, devset, test), split "
                          "80/10/10 with train_test_split twice and by hand with np.cumsum boundaries over a random "
                          "permutation. The course's second train_test_split passes train_size=.1 of the 2 left-over "
                          "rows, which current scikit-learn refuses (no training rows); we pass the intended "
                          "proportion .1/(.1+.1) = .5.",
        },
        expect=tuple(Expect(f"{method}_{part}_size", n, n, "course: 8/1/1 (exact)")
                     for method in ("sklearn", "manual") for part, n in (("train", 8), ("devset", 1), ("test", 1))),
        params=TrainDevsetTestParams,
    ),
]
