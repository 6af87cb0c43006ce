"""Section cnn (course folder CNN/): CNNs on MNIST and on Gaussian blobs. Built so far: 4 of its 13 notebooks
(the feature-map, FC-width, soft-coding, autoencoder, custom-loss and EMNIST notebooks are to come)."""

from dudl.catalog import Expect, Experiment
from dudl.paramspec import Block, Count, Epochs, Lr, NonNegative, Proportion

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
    batch_size: Count
    lr: Lr
    epochs: Epochs


class CnnShiftedParams(CnnMnistParams):
    """CNN_shiftedMNIST: Shifted MNIST (train and test images rolled)."""

    max_shift: Count
    example_shift: int


class GaussClassParams(Block):
    """CNN_GaussClass: Classify Gaussian blurs."""

    per_class: Count
    widths: list[float]
    offset: NonNegative
    noise: NonNegative
    test_size: Proportion
    batch_size: Count
    lr: Lr
    epochs: Epochs


class FindGaussParams(Block):
    """CNN_findGauss: Find the Gaussian!"""

    images: Count
    width_range: list[float]
    noise: NonNegative
    test_size: Proportion
    batch_size: Count
    lr: Lr
    epochs: Epochs


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
]
