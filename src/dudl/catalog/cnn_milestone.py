"""Section cnn_milestone (course folder CNNmilestone/): the four CNN milestone projects: classify CIFAR-10, a
CIFAR-10 convolutional autoencoder, classify Fashion-MNIST, and psychometric functions of a bar-orientation CNN."""

from dudl.catalog import Expect, Experiment
from dudl.paramspec import (BatchSize, Block, Count, Epochs, ImageSize, Lr, NonNegative, Probability, Proportion,
                           Samples, pair_of)

S = "cnn_milestone"
DEV_CURVES = ("train_loss", "train_acc", "dev_loss", "dev_acc")
CIFAR_MEM_MB = 4000  # CIFAR-10's 50,000 training images as float32 tensors are 614 MB, and a copy is made on the way
CIFAR_NOTE = ("Images ToTensor + Normalize(.5, .5), so pixels in -1..1. CIFAR-10 has no offline copy: "
              "without internet the pipeline skips this experiment.")


class ClassifyParams(Block):
    """CNNmilestone_project1 (CIFAR-10) and project3 (Fashion-MNIST): train on the training set, split the official
    test set at random into a devset (scored every epoch) and a test set (scored once, at the end)."""

    dev_size: Count           # of the 10,000 official test images; the rest is the test set
    batch_size: BatchSize
    dev_batch_size: BatchSize     # the devset is scored in batches of this many (the mean of the batch means)
    flip: Probability         # RandomHorizontalFlip probability applied to train, dev and test images (0: none)
    lr: Lr                    # Adam
    weight_decay: NonNegative
    epochs: Epochs
    examples: Count           # training (or devset) images drawn with their class


class AutoencoderParams(Block):
    """CNNmilestone_project2: CIFAR10 autoencoder."""

    batch_size: BatchSize
    test_batch_size: BatchSize
    lr: Lr                    # Adam
    weight_decay: NonNegative
    epochs: Epochs
    examples: Count
    shown: Count              # test images reconstructed in the last figure


class PsychometricParams(Block):
    """CNNmilestone_project4: Psychometric functions in CNNs."""

    images: Samples
    size: ImageSize              # images are size x size
    bar_start: pair_of(int)      # [low, high) of the bar's first row or column
    bar_thickness: pair_of(int)  # [low, high)
    test_size: Proportion
    batch_size: BatchSize
    lr: Lr
    epochs: Epochs


CLASSIFY_TRAINING = ("Train and devset loss (CrossEntropyLoss) and accuracy per epoch, the test set scored once "
                     "after the last epoch (star). The devset is {dev}. {net}; Adam lr .001{wd}, batches of 32 "
                     "(drop_last), {epochs} epochs.")
CIFAR_NET = ("Three blocks conv 3 x 3 -> maxpool -> batchnorm -> leaky ReLU (64, 128, 256 channels; 32 -> 16 -> 7 "
             "-> 2), then 1,024 -> 256 -> 64 -> 10 with leaky ReLU and dropout .5 between")
FASHION_NET = ("Two blocks conv 3 x 3 -> maxpool -> batchnorm -> leaky ReLU (16, 32 channels; 28 -> 14 -> 6), "
               "then 1,152 -> 64 -> 32 -> 10 with leaky ReLU and dropout .5 between")

EXPERIMENTS = [
    Experiment(
        S, "cifar10_classify", ("CNNmilestone_project1",), "Project 1: Import and classify CIFAR10",
        datasets=("cifar10",),
        figures={
            "examples": "Sixteen training images with their class. " + CIFAR_NOTE,
            "training": CLASSIFY_TRAINING.format(
                dev="6,000 of the 10,000 official test images drawn at random and scored in batches of 32, the "
                    "test set the other 4,000 in one batch", net=CIFAR_NET, wd=", weight decay 1e-5", epochs=10)
                        + " " + CIFAR_NOTE,
        },
        expect=(Expect("final_dev_acc", 75, 78, "reference_results 33: dev/test about 75-78%"),
                Expect("test_acc", 75, 78, "reference_results 33: dev/test about 75-78%")),
        history=DEV_CURVES, models=("model",), params=ClassifyParams, summary=False, mem_mb=CIFAR_MEM_MB,
        # an estimate: 57 ms per batch of 32 on one thread of the 2-core machine (1,562 batches x 10 epochs),
        # plus the devset each epoch; never run at scale 1.0 here (no CIFAR-10 offline)
        cpu_minutes=17.0,
    ),
    Experiment(
        S, "cifar10_autoencoder", ("CNNmilestone_project2",), "Project 2: CIFAR10 autoencoder",
        datasets=("cifar10",),
        figures={
            "examples": "Sixteen training images with their class. " + CIFAR_NOTE,
            "loss": "Train and test MSE (output against input, in -1..1 units) per epoch over 20 epochs: the test "
                    "loss is the mean over the test set's batches of 256. Conv2d(3,16) -> (16,32) -> (32,64), "
                    "kernel 4, stride 2 (32 -> 16 -> 8 -> 4), mirrored by ConvTranspose2d back to 3 x 32 x 32, leaky "
                    "ReLU after every layer including the output (as the course has it); Adam lr .001, weight decay "
                    "1e-5, batches of 32.",
            "reconstructions": "The first ten test images reconstructed (top) and as they are (bottom), each titled "
                               "with its pixel range after undoing the normalization (x / 2 + .5; values outside "
                               "0..1 are clipped for display only). " + CIFAR_NOTE,
        },
        expect=(Expect("final_test_loss", 0.005, 0.01, "catalog: final test MSE about 0.005-0.01 in -1..1 units"),),
        history=("train_loss", "test_loss"), models=("model",), params=AutoencoderParams, summary=False,
        mem_mb=CIFAR_MEM_MB,
        # an estimate: 7.7 ms per batch of 32 on one thread (1,562 batches x 20 epochs) plus the test set each epoch
        cpu_minutes=5.0,
    ),
    Experiment(
        S, "fashion_mnist", ("CNNmilestone_project3",), "Project 3: FMNIST", datasets=("fashion_mnist",),
        figures={
            "examples": "Eighteen test-set images (flipped at random, as the course's transform flips them) with "
                        "their class.",
            "training": CLASSIFY_TRAINING.format(
                dev="6,000 of the 10,000 official test images drawn at random, scored in one batch, the test set "
                    "the other 4,000 in one batch. Every image, train, dev and test, is flipped left-right with "
                    "probability .5 each time it is drawn (the course puts RandomHorizontalFlip in the transform "
                    "of both datasets); pixels ToTensor + Normalize(.5, .5), so in -1..1",
                net=FASHION_NET, wd="", epochs=10),
        },
        # an estimate (the notebook prints no accuracy): a small CNN with batchnorm and dropout reaches about
        # 88-91% on Fashion-MNIST in 10 epochs
        expect=(Expect("final_dev_acc", 85, 93, "estimate: a small CNN reaches about 88-91% (no course number)"),
                Expect("test_acc", 85, 93, "estimate: a small CNN reaches about 88-91% (no course number)")),
        history=DEV_CURVES, models=("model",), params=ClassifyParams, summary=False, mem_mb=3000,  # 1.8 GB measured
        # an estimate from one epoch at scale 1.0 (22 s with startup, 1 thread): about 17 s an epoch
        cpu_minutes=3.0,
    ),
    Experiment(
        S, "psychometric", ("CNNmilestone_project4",), "Project 4: Psychometric functions in CNNs",
        figures={
            "examples": "Twenty-one of the 2,000 training images: N(0, 1) noise with one bar of 1s, 2 to 5 pixels "
                        "thick, horizontal (class 0) or vertical (class 1).",
            "training": "Train and test loss (BCEWithLogitsLoss) and accuracy per epoch. Conv2d(1,5,3) -> maxpool "
                        "-> ReLU -> Conv2d(5,10,3) -> maxpool -> ReLU (30 -> 15 -> 7) -> 490 -> 15 -> 1; Adam lr "
                        ".001, batches of 32, 10 epochs, 10% held out.",
            "lines": "The 60 test images: anti-aliased lines (scikit-image's line_aa) through the image from edge "
                     "to edge, titled with their slope, shallow to steep; shown with row 0 at the bottom, as the "
                     "course shows them.",
            "psychometric": "The trained net's p(vertical) for each line against its slope (stems from the decision "
                            "to the probability: red labelled vertical, green horizontal): the psychometric "
                            "function. As in the course the x axis is clipped to -10..10, which hides the two "
                            "steepest lines. The course's stray cell that uses the predictions before they exist "
                            "is left out.",
            "decisions": "The 60 lines coloured by the net's decision (red: vertical, green: horizontal), in the "
                         "order they were made (the course shuffles them first; in eval mode the order changes "
                         "nothing).",
        },
        expect=(Expect("final_train_acc", 97, 100, "catalog: training accuracy about 100%"),),
        history=("train_loss", "train_acc", "test_loss", "test_acc"), params=PsychometricParams,
        cpu_minutes=0.3,  # an estimate: 56 batches of 32 x 10 epochs of a tiny net
    ),
]
