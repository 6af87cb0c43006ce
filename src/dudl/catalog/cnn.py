"""Section cnn (course folder CNN/): CNNs on MNIST, on Gaussian blobs and on EMNIST letters (all 13 notebooks)."""

from dudl.catalog import Expect, Experiment
from typing import Literal

from dudl.paramspec import (BatchSize, Block, Count, Epochs, Lr, NonNegative, Pair, Proportion, Samples, Units,
                           linspace_of, pair_of, sweep_of)
from dudl.params import grid

S = "cnn"
CURVES = ("train_loss", "train_acc", "test_loss", "test_acc")
MNIST_CNN = ("The course's MNIST (20,000 digits divided by their max, as 1 x 28 x 28 images, split 90/10, batches "
             "of 32 with drop_last, the test set as one batch); Conv2d(1,10,5) -> maxpool -> ReLU -> Conv2d(10,20,5) "
             "-> maxpool -> ReLU -> 50 -> 10, CrossEntropyLoss, Adam lr .001.")
GAUSS = ("Gaussian blobs on a 91 x 91 grid over -4..4 with N(0, 1) noise; Conv2d(1,6,3) -> ReLU -> AvgPool -> "
         "Conv2d(6,4,3) -> ReLU -> AvgPool -> 1,936 -> 50 -> out; Adam lr .001.")


class CnnMnistParams(Block):
    """CNN_CNN4MNIST: CNN to classify MNIST digits."""

    test_size: Proportion
    batch_size: BatchSize
    lr: Lr
    epochs: Epochs


class CnnShiftedParams(CnnMnistParams):
    """CNN_shiftedMNIST: Shifted MNIST (train and test images rolled)."""

    max_shift: Count
    example_shift: int


class GaussClassParams(Block):
    """CNN_GaussClass: Classify Gaussian blurs."""

    per_class: Samples
    widths: Pair
    offset: NonNegative
    noise: NonNegative
    test_size: Proportion
    batch_size: BatchSize
    lr: Lr
    epochs: Epochs


class FindGaussParams(Block):
    """CNN_findGauss: Find the Gaussian!"""

    images: Samples
    width_range: Pair
    noise: NonNegative
    test_size: Proportion
    batch_size: BatchSize
    lr: Lr
    epochs: Epochs


class LinearUnitsParams(GaussClassParams):
    """CNN_CodeChallengeLinearUnits: CodeChallenge: How wide the FC?"""

    units: linspace_of(Units, "Units")       # rounded, as the course's np.round(np.linspace(5, 500, 20))


def unit_points(p, scale) -> list[str]:
    return [f"U{int(round(u))}" for u in grid(p["units"], scale)]


class FeatureMapsParams(GaussClassParams):
    """CNN_GaussClassFeatureMaps: Examine feature map activations."""

    shown: Count          # test images whose feature maps are drawn


class SoftcodingParams(FeatureMapsParams):
    """CNN_codeChallengeSoftcoding: CodeChallenge: Kernel sizes and feature maps."""

    channels: pair_of(Units)
    kernel: pair_of(Count)   # [rows, columns]
    stride: pair_of(Count)


class GaussAEParams(Block):
    """CNN_GaussAE: Do autoencoders clean Gaussians? (and the occlusion and custom-loss challenges)"""

    images: Samples
    width_range: Pair
    offset: NonNegative
    noise: NonNegative
    bar_start: pair_of(int)      # [low, high) of the bar's first row or column
    bar_thickness: pair_of(int)  # [low, high)
    lr: Lr
    batch_size: BatchSize
    iterations: Epochs         # random batches of 32 drawn with replacement
    shown: Count


class CustomLossParams(GaussAEParams):
    """CNN_codeChallengeCustomLoss: CodeChallenge: Custom loss functions."""

    loss: Literal["l1", "l2_mean", "correlation"]   # the notebook trains with L1; the others swap in


class EmnistParams(Block):
    """CNN_EMNIST: The EMNIST dataset (letter recognition)."""

    channels: pair_of(Units)      # (c1, c2) of the two conv blocks
    test_size: Proportion
    batch_size: BatchSize
    lr: Lr
    epochs: Epochs


class NumChansParams(EmnistParams):
    """CNN_codeChallengeNumChans: CodeChallenge: Varying number of channels."""

    values: sweep_of(Units)        # c1 and c2 each take every value: a len(values)^2 grid


def channel_points(p, scale) -> list[str]:
    """The single run of the notebook (its `channels`) first, then the grid, each `c<c1>_<c2>`."""
    grid_runs = [f"c{a}_{b}" for a in p["values"] for b in p["values"]]
    single = "c{}_{}".format(*p["channels"])
    return [single] + [r for r in grid_runs if r != single]


class BeatThisParams(Block):
    """CNN_codeChallengeBeatThis: CodeChallenge: How low can you go?"""

    test_size: Proportion
    batch_size: BatchSize
    lr: Lr
    epochs: Epochs


EMNIST = ("EMNIST letters (124,800 images, labels 1-26 shifted to 0-25, divided by their max), split {split}, "
          "batches of 32 with drop_last, the test set as one batch; CrossEntropyLoss, Adam lr .001.")
EMNIST_NET = ("Conv2d(1,c1,3,p1) -> maxpool -> BatchNorm -> leaky_relu -> Conv2d(c1,c2,3,p1) -> maxpool -> BatchNorm "
              "-> leaky_relu -> 50 -> 26.")
PIXELS = "How often each pixel value occurs in the raw images (0-255) and after dividing by their max."
LETTERS = "Twenty-one EMNIST letters with their labels (drawn transposed back, as the course's I.T, since EMNIST stores them transposed)."


CONV_AE = ("1,000 blobs exp(-r^2/w) with w from 2 to 20, + N(0, 1)/5 noise, each crossed by one bar of 1s; "
           "conv autoencoder Conv2d(1,6,3) -> maxpool -> Conv2d(6,4,3) -> maxpool -> ConvTranspose2d x 2; Adam "
           "lr .001, random batches of 32.")
FEATURES = ("The first {n} test images (top) and each feature map of the {layer} layer after its ReLU, one row "
            "per channel.")


EXPERIMENTS = [
    Experiment(
        S, "cnn4mnist", ("CNN_CNN4MNIST",), "CNN to classify MNIST digits", datasets=("mnist",),
        figures={"training": "Train loss per epoch, and train and test accuracy per epoch over 10 epochs. " + MNIST_CNN},
        expect=(Expect("final_test_acc", 96, 99.5, "estimate: above the FFN's 95% (the catalog gives no number)"),),
        history=CURVES, models=("model",), params=CnnMnistParams, summary=False, cpu_minutes=4.0,
    ),
    Experiment(
        S, "shifted", ("CNN_shiftedMNIST",), "Shifted MNIST", datasets=("mnist",),
        figures={
            "shift_example": "One test image as it is and rolled by 8 pixels. The course's torch.roll(dims=1) on "
                             "a 1 x 28 x 28 image rolls the rows, so the shift is vertical; we keep it.",
            "training": "Train loss, and train and test accuracy per epoch over 30 epochs, every train and test "
                        "image rolled by a random whole number of pixels from -10 to 10: the CNN learns shifted "
                        "digits (the FFN of ffn/shifted could not). " + MNIST_CNN,
        },
        expect=(Expect("final_test_acc", 93, 99, "catalog: a CNN still reaches about 95-97% on shifted digits"),),
        history=CURVES, params=CnnShiftedParams, summary=False, cpu_minutes=12.0,
    ),
    Experiment(
        S, "gauss_class", ("CNN_GaussClass",), "Classify Gaussian blurs",
        figures={
            "examples": "Twenty-one of the 2,000 blobs, titled with their class (0: width 1.8, 1: width 2.4).",
            "training": "Train and test loss (BCEWithLogitsLoss) and accuracy per epoch. " + GAUSS,
            "predictions": "Twenty test images titled T (true class) and P (the model's guess).",
            "filters": "The trained 3 x 3 filters: the six of the first layer, and the 4 x 6 of the second.",
        },
        expect=(Expect("final_test_acc", 90, 100, "catalog: the CNN tells the widths apart (about 95-100%)"),),
        history=CURVES, params=GaussClassParams, cpu_minutes=3.0,
    ),
    Experiment(
        S, "find_gauss", ("CNN_findGauss",), "Find the Gaussian!",
        figures={
            "examples": "Twenty-one of the 1,000 blobs titled with their centre and width (targets).",
            "training": "Train and test loss (MSE over x, y and width) per epoch. " + GAUSS,
            "predictions": "Twenty test images with the predicted centre (cross) and a circle of radius "
                           "sqrt(predicted width), true centre as a dot.",
            "fits": "Predicted against true centre x, centre y and width of every test image, with r.",
        },
        expect=(Expect("r_x", 0.9, 1, "catalog: r about 0.95-0.99 for the centre"),
                Expect("r_y", 0.9, 1, "catalog: r about 0.95-0.99 for the centre"),
                Expect("r_width", 0.7, 1, "catalog: r about 0.8-0.95 for the width")),
        history=("train_loss", "test_loss"), params=FindGaussParams, cpu_minutes=4.0,
    ),
    Experiment(
        S, "feature_maps", ("CNN_GaussClassFeatureMaps",), "Examine feature map activations",
        figures={
            "examples": "Twenty-one of the 2,000 blobs, titled with their class.",
            "training": "Train and test loss and accuracy per epoch (the net of gauss_class with explicit layers "
                        "and a ReLU after fc1). " + GAUSS,
            "predictions": "Twenty test images titled T (true class) and P (the model's guess).",
            "conv1_maps": FEATURES.format(n=10, layer="first (6 channels, 91 x 91)"),
            "conv2_maps": FEATURES.format(n=10, layer="second (4 channels, 45 x 45)"),
            "correlations": "Correlations between pairs of feature maps of a layer over the test images, per "
                            "image (dots) and their mean (matrix), for both layers.",
        },
        expect=(Expect("final_test_acc", 90, 100, "catalog: test about 95-99%"),),
        history=CURVES, params=FeatureMapsParams, cpu_minutes=3.0,
    ),
    Experiment(
        S, "softcoding", ("CNN_codeChallengeSoftcoding",), "CodeChallenge: Kernel sizes and feature maps",
        figures={
            "examples": "Twenty-one of the 2,000 blobs, titled with their class.",
            "training": "Train and test loss and accuracy per epoch of the coarser net: 3 x 2 kernels with stride "
                        "(2, 3), 3 then 6 channels, a 60-value code (sizes computed from the layers, not by "
                        "hand). " + GAUSS,
            "predictions": "Twenty test images titled T (true class) and P (the model's guess).",
            "conv1_maps": FEATURES.format(n=10, layer="first (3 channels, 45 x 30)"),
            "conv2_maps": FEATURES.format(n=10, layer="second (6 channels, 10 x 5)"),
            "correlations": "Correlations between pairs of feature maps of a layer, per image and their mean.",
        },
        expect=(Expect("final_test_acc", 80, 100, "catalog: test about 85-97% (a coarser model)"),),
        history=CURVES, params=SoftcodingParams, cpu_minutes=1.0,
    ),
    Experiment(
        S, "gauss_ae", ("CNN_GaussAE",), "Do autoencoders clean Gaussians?",
        figures={
            "examples": "Twenty-one of the 1,000 barred blobs.",
            "untrained": "Ten inputs (top) and the untrained autoencoder's outputs (bottom).",
            "loss": "MSE between output and input of every one of the 500 iterations. " + CONV_AE,
            "outputs": "Ten inputs (top) and outputs (bottom): the bars largely go, the blobs stay.",
        },
        expect=(Expect("final_loss", 0.02, 0.08, "catalog: final MSE about 0.04-0.06 (about the noise variance .04)"),),
        history=("train_loss",), params=GaussAEParams, summary=False, cpu_minutes=1.0,
    ),
    Experiment(
        S, "ae_occlusion", ("CNN_CodeChallengeAEocclusion",), "CodeChallenge: Autoencoders and occluded Gaussians",
        figures={
            "examples": "Ten blobs without (top) and with (bottom) their bar (bars start at 10 to 80).",
            "untrained": "Ten occluded inputs (top) and the untrained autoencoder's outputs (bottom).",
            "loss": "MSE between the output for the occluded blob and the clean blob, every one of the 1,000 "
                    "iterations. " + CONV_AE,
            "outputs": "Ten occluded inputs (top) and outputs (bottom), trained to give the clean blob.",
        },
        expect=(Expect("final_loss", 0.02, 0.07, "catalog: final MSE about 0.04-0.05"),),
        history=("train_loss",), params=GaussAEParams, summary=False, cpu_minutes=2.0,
    ),
    Experiment(
        S, "custom_loss", ("CNN_codeChallengeCustomLoss",), "CodeChallenge: Custom loss functions",
        figures={
            "examples": "Twenty-one of the 1,000 barred blobs.",
            "loss": "The custom loss (params: l1 as the notebook trains, or l2_mean, or correlation) of every one "
                    "of the 1,000 iterations. " + CONV_AE,
            "outputs": "Ten inputs (top) and outputs (bottom) titled with their means.",
        },
        expect=(Expect("final_loss", 0.1, 0.22, "catalog: L1 final about 0.16 (the mean absolute noise)"),),
        history=("train_loss",), params=CustomLossParams, summary=False, cpu_minutes=2.0,
    ),
    Experiment(
        S, "linear_units", ("CNN_CodeChallengeLinearUnits",), "CodeChallenge: How wide the FC?",
        figures={
            "loss_by_units": "Final-epoch train and test loss against u, the width of the fully connected part "
                             "(1,936 -> 2u -> u -> 1, ReLU after the first): 20 widths from 5 to 500, each its own "
                             "Snakemake job. " + GAUSS,
            "accuracy_by_units": "Final-epoch train and test accuracy against u.",
        },
        curves=("test_acc",), curves_by="run", history=CURVES, points=unit_points,
        expect=(Expect("min_test_acc", 90, 100, "reference_results 29: every width reaches about 93-100%"),
                Expect("max_test_loss", 0, 0.25, "reference_results 29: loss 0.02-0.18")),
        params=LinearUnitsParams, cpu_minutes=40.0,
    ),
    Experiment(
        S, "emnist", ("CNN_EMNIST",), "The EMNIST dataset (letter recognition)", datasets=("emnist",),
        figures={
            "pixels": PIXELS,
            "examples": LETTERS,
            "training": "Train and test loss and error rate per epoch over 10 epochs (channels 6, 6). "
                        + EMNIST.format(split="90/10") + " " + EMNIST_NET,
            "predictions": "Twenty-one test letters titled with the true and the predicted letter; errors drawn in "
                           "the hot colour map.",
            "confusion": "The 26 x 26 confusion matrix of the test set, each row normalized to sum to 1.",
        },
        expect=(Expect("final_test_err", 5, 11, "reference_results 31: test error about 7-9% (an estimate)"),),
        history=CURVES, models=("model",), params=EmnistParams, mem_mb=3000,
        cpu_minutes=3.0,  # estimate: 3.2 ms a training step on one thread here (35,100 steps), plus evaluation
    ),
    Experiment(
        S, "num_chans", ("CNN_codeChallengeNumChans",), "CodeChallenge: Varying number of channels",
        datasets=("emnist",),
        figures={
            "example_training": "Train and test loss and error rate per epoch of the single run with 3 and 7 "
                                "channels, 5 epochs. " + EMNIST.format(split="90/10") + " " + EMNIST_NET,
            "error_maps": "Final train and test error rate over the grid of channel counts c1 (rows) and c2 "
                          "(columns), each from 2, 5 or 8; one Snakemake job per model.",
            "error_by_channels": "Final train and test error rate against the total number of channels c1 + c2, "
                                 "with the correlation r.",
        },
        curves=("test_acc",), curves_by="run", history=CURVES, points=channel_points,
        expect=(Expect("example_test_err", 6, 12, "reference_results 30: 8.93% test error with channels (3, 7)"),
                Expect("min_test_err", 5, 12, "reference_results 30: grid errors about 8-12%"),
                Expect("max_test_err", 7, 15, "reference_results 30: grid errors about 8-12%"),
                Expect("r_channels_test_err", -1, -0.5, "reference_results 30: r = -0.85 on test")),
        params=NumChansParams, mem_mb=3000,
        cpu_minutes=12.0,  # estimate: ten 5-epoch trainings at 3.2-3.7 ms a step (one thread here)
    ),
    Experiment(
        S, "beat_this", ("CNN_codeChallengeBeatThis",), "CodeChallenge: How low can you go?", datasets=("emnist",),
        figures={
            "pixels": PIXELS,
            "examples": LETTERS,
            "training": "Train and test loss and error rate per epoch over 10 epochs of the deep net: 64, 128 and "
                        "256 channels, dropout .25 after each block, 1024 -> 256 -> 64 -> 26 with dropout .5. "
                        + EMNIST.format(split="95/5"),
        },
        expect=(Expect("final_test_err", 4, 7, "catalog: test error about 5-6%"),),
        history=CURVES, params=BeatThisParams, summary=False, mem_mb=4000, gpu=1,
        # estimate: 51 ms a training step on one thread here (37,050 steps); the course's "CPU: hours" is older
        # hardware. Under the 2-hour GPU-scale line, so it runs on a CPU too.
        cpu_minutes=35.0,
    ),
]
