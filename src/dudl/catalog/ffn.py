"""Section ffn (course folder FFN/): 10 notebooks, feed-forward networks on the course's MNIST."""

from typing import Literal

from dudl.catalog import Expect, Experiment
from dudl.paramspec import (OPTIMIZERS, BatchSize, Block, Count, Depth, Epochs, Layers, Lr, Pair, Proportion, Units,
                           grid_of, sweep_of)
from dudl.params import grid

S = "ffn"
MNIST = ("mnist",)
CURVES = ("train_loss", "train_acc", "test_loss", "test_acc")
RECIPE = ("The course's MNIST: the 20,000-digit stand-in for Colab's mnist_train_small.csv divided by its max, "
          "split 90/10, batches of 32 (drop_last), the test set as one batch; the 784-64-32-32-10 ReLU net and "
          "SGD at lr .01.")
TEST_2000 = "2,000 test digits: one digit is 0.05 points"


# ---------------------------------------------------------------- params, declared once (values: params.yaml)


class AboutMnistParams(Block):
    """FFN_aboutMNIST: The MNIST dataset."""

    examples: Count
    correlation_sevens: Count  # sevens in the correlation-matrix image (the histogram uses all of them)


class MnistTrainParams(Block):
    """The FFN notebooks' recipe: mnistNet, SGD, batch 32 drop_last, a 90/10 split."""

    layers: Layers
    test_size: Proportion
    batch_size: BatchSize
    lr: Lr
    epochs: Epochs


class FfnOnMnistParams(MnistTrainParams):
    """FFN_FFNonMNIST: FFN to classify digits (log_softmax output, NLLLoss)."""

    evidence_sample: int


class BinarizedParams(FfnOnMnistParams):
    """FFN_CodeChallenge_binMNIST: CodeChallenge: Binarized MNIST images."""

    error_example: int


class NormalizationParams(MnistTrainParams):
    """FFN_CodeChallenge_normalization: CodeChallenge: Data normalization."""

    normalize: sweep_of(Literal["train", "test"])  # which split is divided by its own max after the split


class OptimizersParams(MnistTrainParams):
    """FFN_CodeChallenge_optimizers: CodeChallenge: Optimizers and MNIST."""

    optimizers: sweep_of(OPTIMIZERS)
    lrs: grid_of(Lr, "Lr", log=True)
    last_epochs: Count  # the metric is the mean test accuracy over these last epochs


class BreadthDepthParams(Block):
    """FFN_CodeChallengeBreadthDepth: CodeChallenge: MNIST and breadth vs. depth."""

    hidden_layers: sweep_of(Depth)
    units: grid_of(Units, "Units")
    test_size: Proportion
    batch_size: BatchSize
    lr: Lr
    epochs: Epochs
    last_epochs: Count


class Missing7Params(Block):
    """FFN_CodeChallenge_missing7: CodeChallenge: The mystery of the missing 7."""

    layers: Layers
    batch_size: BatchSize
    lr: Lr
    epochs: Epochs
    examples: Count


class ShiftedParams(MnistTrainParams):
    """FFN_shiftedMNIST: Shifted MNIST."""

    max_shift: Count  # each test image is rolled by a random whole number of pixels in [-max_shift, max_shift]
    example_shift: int


class WeightHistogramsParams(MnistTrainParams):
    """FFN_weightHistograms: Distributions of weights pre- and post-learning."""

    bins: Count
    value_range: Pair  # [low, high] of the histogram bins


def optimizer_points(p, scale) -> list[str]:
    return [f"{name}_lr{lr:.2g}" for name in p["optimizers"] for lr in grid(p["lrs"], scale)]


def breadth_depth_points(p, scale) -> list[str]:
    return [f"L{layers}_U{int(units)}" for layers in p["hidden_layers"] for units in grid(p["units"], scale)]


def _training(what: str) -> str:
    return f"Train loss per epoch, and train and test accuracy per epoch, {what}. " + RECIPE


# ---------------------------------------------------------------- experiments

EXPERIMENTS = [
    Experiment(
        S, "about_mnist", ("FFN_aboutMNIST",), "The MNIST dataset", datasets=MNIST,
        figures={
            "digits": "Twelve random digits as images, titled with their labels: how humans see the data.",
            "vectors": "The same twelve digits as 784-pixel vectors: how the FFN sees the data.",
            "sevens": "The first twelve sevens of the file.",
            "seven_correlations": "Left: correlations between the first sevens' pixel vectors (the image shows the "
                                  "first ones only, to stay legible). Middle: histogram of all unique pairwise "
                                  "correlations among every seven. Right: the mean seven.",
        },
        expect=(Expect("images", 20000, 20000, "reference_results 12: 20,000 images (data provenance)"),
                Expect("sevens", 1900, 2300, "reference_results 12: Colab's file has 2,126 sevens; our stand-in is a random "
                                               "20,000 of the MNIST training set, so about a tenth of it")),
        params=AboutMnistParams,
    ),
    Experiment(
        S, "ffn_on_mnist", ("FFN_FFNonMNIST",), "FFN to classify digits", datasets=MNIST,
        figures={
            "pixel_histograms": "Histograms of all pixel values before (0 to 255) and after dividing by the max "
                                "(0 to 1); most pixels are 0 (log counts).",
            "training": _training("over 60 epochs with log_softmax outputs and NLLLoss"),
            "evidence": "The model's log-softmax evidence for each digit for one test image.",
            "error_example": "One misclassified test image and the model's evidence (softmax) for each digit.",
        },
        expect=(Expect("final_test_acc", 93, 97.5, f"catalog: an FFN reaches about 95% ({TEST_2000})"),),
        history=CURVES, models=("model",), params=FfnOnMnistParams, summary=False, cpu_minutes=1.5,
    ),
    Experiment(
        S, "binarized", ("FFN_CodeChallenge_binMNIST",), "CodeChallenge: Binarized MNIST images", datasets=MNIST,
        figures={
            "pixel_histograms": "Pixel values before and after binarizing (every pixel above 0 becomes 1).",
            "training": _training("on binarized images (log_softmax and NLLLoss, 60 epochs)"),
            "evidence": "Log-softmax evidence for one test image.",
            "error_example": "One misclassified test image (the course shows error 14) and its softmax evidence.",
        },
        expect=(Expect("final_test_acc", 93, 97, "catalog: about 94-95%, as without binarizing"),
                Expect("unique_values_binarized", 2, 2, "catalog: binarized pixels are 0 or 1 (exact)")),
        history=CURVES, params=BinarizedParams, summary=False, cpu_minutes=1.5,
    ),
    Experiment(
        S, "normalization", ("FFN_CodeChallenge_normalization",), "CodeChallenge: Data normalization",
        datasets=MNIST,
        figures={
            "losses": "Train and test loss per epoch (CrossEntropyLoss); the raw pixels were split first, then "
                      "the splits named in the params were each divided by their own max.",
            "accuracy": "Train and test accuracy per epoch; the title says which splits were normalized and "
                        "their ranges.",
        },
        expect=(Expect("final_test_acc", 93, 97.5, "catalog: about 95% when both splits are normalized"),
                Expect("train_max", 1, 1, "catalog: Training data range 0 to 1 (exact)"),
                Expect("test_max", 1, 1, "catalog: Test data range 0 to 1 (exact)")),
        history=CURVES, params=NormalizationParams, summary=False, cpu_minutes=1.5,
    ),
    Experiment(
        S, "optimizers", ("FFN_CodeChallenge_optimizers",), "CodeChallenge: Optimizers and MNIST", datasets=MNIST,
        figures={
            "accuracy_by_lr": "Mean test accuracy over the last 10 of 100 epochs against the learning rate (log "
                              "axis), one line per optimizer: 3 optimizers times 6 learning rates, each its own "
                              "training (and its own Snakemake job).",
            "curves": "Test accuracy per epoch of every training, one panel per optimizer, coloured by learning "
                      "rate.",
        },
        curves=("test_acc",), curves_by="run", history=CURVES,  # history.csv: the best training's curves
        points=optimizer_points,
        expect=(Expect("test_acc_Adam_lr0.0004", 94, 98.5, "reference_results 17: Adam about 95-97% at lr 1e-4 to 1e-3"),
                Expect("test_acc_RMSprop_lr0.0004", 94, 98.5,
                       "reference_results 17: RMSprop about 95-97% at lr 1e-4 to 1e-3"),
                Expect("test_acc_Adam_lr0.1", 0, 60, "reference_results 17: Adam fails at lr .1"),
                Expect("test_acc_RMSprop_lr0.1", 0, 60, "reference_results 17: RMSprop fails at lr .1"),
                Expect("best_lr_SGD", 0.01, 0.1, "reference_results 17: SGD is best at lr .01 or above")),
        params=OptimizersParams, cpu_minutes=40.0,
    ),
    Experiment(
        S, "breadth_depth", ("FFN_CodeChallengeBreadthDepth",), "CodeChallenge: MNIST and breadth vs. depth",
        datasets=MNIST,
        figures={
            "accuracy_by_units": "Mean train (left) and test (right) accuracy over the last 5 of 60 epochs against "
                                 "units per hidden layer, one line per number of hidden layers: 15 trainings, each "
                                 "its own Snakemake job (SGD lr .01, CrossEntropyLoss).",
        },
        curves=("test_acc",), curves_by="run", history=CURVES,  # history.csv: the best training's curves
        points=breadth_depth_points,
        expect=(Expect("min_test_acc", 93, 98, "catalog: all about 95-97% test"),
                Expect("max_test_acc", 95, 98.5, "catalog: all about 95-97% test; more units slightly better")),
        params=BreadthDepthParams, cpu_minutes=25.0,
    ),
    Experiment(
        S, "missing7", ("FFN_CodeChallenge_missing7",), "CodeChallenge: The mystery of the missing 7",
        datasets=MNIST,
        figures={
            "training": "Train loss and train accuracy per epoch; the net never sees a seven (its output 7 is "
                        "never a target). The test curve is the share of all the sevens called 7.",
            "sevens": "Twelve random sevens titled with the model's guess.",
            "guesses": "Share of the sevens given each label: the model can only answer with digits it knows.",
            "evidence": "The model's softmax evidence for each digit for one seven.",
        },
        expect=(Expect("share_called_7", 0, 0.005, "reference_results 16: 0% of the sevens labelled 7"),
                Expect("share_called_9_2_3_1", 0.5, 1, "reference_results 16: most called 9, 2, 3 or 1"),
                Expect("final_train_acc", 97, 100, "catalog: train about 99%")),
        history=CURVES, params=Missing7Params, cpu_minutes=2.5,
    ),
    Experiment(
        S, "scrambled", ("FFN_scrambledMNIST",), "Scrambled MNIST", datasets=MNIST,
        figures={
            "scrambled": "Twelve digits after one fixed random permutation of the 784 pixels, applied to every "
                         "image.",
            "training": _training("over 100 epochs on the scrambled images: an FFN has no notion of which pixels "
                                  "are neighbours, so it learns them as well as the originals"),
        },
        expect=(Expect("final_test_acc", 93, 97.5, "reference_results 15: test about 95%, as unscrambled"),),
        history=CURVES, params=MnistTrainParams, summary=False, cpu_minutes=2.5,
    ),
    Experiment(
        S, "shifted", ("FFN_shiftedMNIST",), "Shifted MNIST", datasets=MNIST,
        figures={
            "shift_example": "One test image as it is and rolled sideways by 8 pixels (torch.roll).",
            "training": _training("over 50 epochs; the train images are as they are, every test image is rolled "
                                  "sideways by a random number of pixels from -10 to 10"),
        },
        expect=(Expect("final_test_acc", 25, 45, "reference_results 14: test collapses to about 30-40%"),
                Expect("final_train_acc", 96, 100, "reference_results 14: train stays about 98%")),
        history=CURVES, params=ShiftedParams, summary=False, cpu_minutes=1.5,
    ),
    Experiment(
        S, "weight_histograms", ("FFN_weightHistograms",), "Distributions of weights pre- and post-learning",
        datasets=MNIST,
        figures={
            "initial": "Density histogram of all the parameters (weights and biases) of the untrained net.",
            "training": _training("over 100 epochs"),
            "histograms": "The parameters' density histogram before training and after every epoch: overlaid "
                          "lines coloured by epoch (left) and an image of epoch by parameter value (right). "
                          "Training widens the distribution.",
        },
        expect=(Expect("final_test_acc", 93, 97.5, "catalog: test about 96%"),
                Expect("std_ratio", 1.05, 10, "catalog: the distribution widens with training")),
        history=CURVES, params=WeightHistogramsParams, cpu_minutes=2.5,
    ),
]
