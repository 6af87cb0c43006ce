"""Section data_handling (course folder data/): 9 notebooks on handling data: datasets and loaders, getting files in,
sample size vs depth, unbalanced classes, oversampling, noise and feature augmentation, saving and keeping
models."""

from typing import Annotated, Literal

from pydantic import Field

from dudl.catalog import Expect, Experiment
from dudl.paramspec import (BatchSize, Block, Count, Epochs, Layers, Lr, Pair, Proportion, Qwerties, Samples, Units,
                           grid_of, sweep_of)
from dudl.params import grid

S = "data_handling"
MNIST = ("mnist",)
CURVES = ("train_loss", "train_acc", "test_loss", "test_acc")
SKEW = ("A model that is judged only by its overall accuracy can serve one class well and another badly: the gap "
        "between the best-served and the worst-served class is what a user in the smaller class would meet on "
        "skewed data.")


# ---------------------------------------------------------------- params, declared once (values: params.yaml)


class DatasetLoaderParams(Block):
    """data_datasetLoader: Anatomy of a torch dataset and dataloader."""

    rows: Samples
    features: Units
    label_range: Pair  # labels are ceil(linspace(low, high, rows)): 1 to 4, sorted
    batch_size: BatchSize


class Data2ColabParams(Block):
    """data_data2colab: Getting data into Colab (what still applies outside Colab)."""

    table: str  # a CSV or spreadsheet: a URL or a path (relative to the project root); copied into data/raw/external
    header: int  # the table's header row (0-based, as pandas' header=)
    cifar10: bool  # also open CIFAR-10 through torchvision when the data layer can provide it
    examples: Count


class DataVsDepthParams(Block):
    """data_dataVsDepth: Sample size and network depth."""

    qwerties: Qwerties  # n_per_cluster: the example figure's size; the sweep uses n_per_class
    n_per_class: grid_of(Samples, "Samples", arange=True)
    architectures: sweep_of(Pair)  # [Linear layers, units per layer]: 80 hidden units in all
    test_size: Proportion
    batch_size: BatchSize
    lr: Lr
    epochs: Epochs
    last_epochs: Count
    example_n: Count  # the one run drawn in full (n per class; the first architecture)


class UnbalancedParams(Block):
    """data_CodeChallengeUnbalanced: CodeChallenge: unbalanced data."""

    thresholds: sweep_of(float)  # a wine is good when its quality is above the threshold
    layers: Layers
    test_size: Proportion
    batch_size: BatchSize
    lr: Lr
    epochs: Epochs


class SizeSweepParams(Block):
    """The MNIST sample-size sweeps: the first N digits of the file, mnistNet, SGD."""

    sizes: grid_of(Samples, "Samples", arange=True)  # the first N digits of the file
    layers: Layers
    test_size: Proportion
    batch_size: BatchSize
    lr: Lr
    epochs: Epochs
    last_epochs: Count


class OversamplingParams(SizeSweepParams):
    """data_oversampling: Data oversampling in MNIST."""

    copies: sweep_of(Literal["original", "doubled"])
    single_size: Count  # the single run at the course's larger N


class NoiseAugmentationParams(SizeSweepParams):
    """data_noiseAugmentation: Data noise augmentation (with devset+test)."""

    copies: sweep_of(Literal["original", "augmented"])
    noise: float  # each augmented copy adds uniform noise on [0, noise] to the pixels (in 0-1 units)
    report_size: Count  # the N whose models are also scored on the held-out test digits, as the course prints
    examples: Count


class FeatureAugmentationParams(Block):
    """data_featureAugmentation: Data feature augmentation."""

    qwerties: Qwerties
    hidden: list[Units]
    test_size: Proportion
    batch_size: BatchSize
    lr: Lr
    epochs: Epochs
    repetitions: Count


class SaveLoadParams(Block):
    """data_saveLoadModels: Saving and loading trained models."""

    layers: Layers
    test_size: Proportion
    batch_size: BatchSize
    lr: Lr
    epochs: Epochs
    node: int  # the output node whose values are compared
    items: Pair  # [first, last) test items compared


class SaveTheBestParams(Block):
    """data_saveTheBest: Save the best-performing model."""

    qwerties: Qwerties
    split: Annotated[list[Samples], Field(min_length=3, max_length=3)]  # train, dev, test sizes
    layers: Layers
    batch_size: BatchSize
    lr: Lr
    epochs: Epochs
    random_runs: Count  # the aside: the best of this many uniform random 'accuracies'


def depth_points(p, scale) -> list[str]:
    return [f"N{int(n)}" for n in grid(p["n_per_class"], scale)]


def unbalanced_points(p, scale) -> list[str]:
    return [f"T{t:g}" for t in p["thresholds"]]


def _size_points(p, scale) -> list[str]:
    runs = [f"N{int(n)}_{copy}" for n in grid(p["sizes"], scale) for copy in p["copies"]]
    return runs


def oversampling_points(p, scale) -> list[str]:
    return _size_points(p, scale) + [f"N{int(scale.count(p['single_size'], 100))}_single"]


def noise_points(p, scale) -> list[str]:
    return _size_points(p, scale)


# ---------------------------------------------------------------- experiments

EXPERIMENTS = [
    Experiment(
        S, "dataset_loader", ("data_datasetLoader",), "Anatomy of a torch dataset and dataloader",
        figures={
            "batches": "The labels of each batch as the DataLoader hands them out: without shuffling (left) the "
                       "sorted labels come out in order, so every batch holds one or two classes; with shuffling "
                       "(right) every batch mixes them.",
        },
        expect=(Expect("batches", 4, 4, "catalog: 100 rows in batches of 25 make 4 batches (exact)"),
                Expect("first_batch_unique_labels", 1, 1, "catalog: unshuffled, the first batch is all 1s (exact)")),
        params=DatasetLoaderParams, cpu_minutes=0.1,
    ),
    Experiment(
        S, "data2colab", ("data_data2colab",), "Getting data into Colab",
        figures={
            "sources": "What this pipeline can open in place of the notebook's Colab uploads: the external table "
                       "named by the table param (read through the data layer into data/raw/external) and "
                       "CIFAR-10 through torchvision, each with its shape or the reason it was skipped. No "
                       "Colab-only step (file upload, Drive mount) belongs in a pipeline, so none is run.",
        },
        expect=(Expect("sources_tried", 2, 2, "catalog: the table and CIFAR-10 are both tried (exact)"),),
        params=Data2ColabParams, cpu_minutes=0.2,
    ),
    Experiment(
        S, "data_vs_depth", ("data_dataVsDepth",), "Sample size and network depth",
        figures={
            "qwerties": "The three qwerty clusters at the smallest sample size.",
            "example_run": "One training (the first architecture at the example size): loss, and train and test "
                           "accuracy per epoch.",
            "by_size": "Mean test loss (left) and test accuracy (right) over the last 5 of 50 epochs against the "
                       "number of samples per class, one line per architecture (its layers, units and "
                       "parameters): 80 hidden units split over 1 to 20 layers. Each size is its own Snakemake job.",
        },
        curves=("test_acc",), curves_by="run", history=CURVES, points=depth_points,
        expect=(Expect("acc_L1_U80_largest", 85, 98, "catalog: the shallow wide net learns at every size"),
                Expect("acc_L20_U4_smallest", 0, 60, "catalog: the 20-layer net fails at small sizes"),
                Expect("parameters_L1_U80", 483, 483, "catalog: 2*80+80 + 80*3+3 parameters (exact)")),
        params=DataVsDepthParams, cpu_minutes=4.0,
    ),
    Experiment(
        S, "unbalanced", ("data_CodeChallengeUnbalanced",), "CodeChallenge: unbalanced data",
        datasets=("wine_quality",),
        figures={
            "by_threshold": "One row per quality threshold (the cut between bad and good wines): loss per epoch, "
                            "train and test accuracy per epoch, and the test accuracy of each class with its "
                            "number of test wines. Each threshold is its own Snakemake job. " + SKEW,
        },
        curves=("test_acc",), curves_by="run", history=CURVES, points=unbalanced_points,
        expect=(Expect("acc_good_T4", 90, 100, "catalog: threshold 4, good wines about 100%"),
                Expect("acc_bad_T4", 0, 40, "catalog: threshold 4, bad wines about 0-20%"),
                Expect("acc_bad_T5", 65, 90, "catalog: threshold 5, both classes about 75-80%"),
                Expect("acc_good_T5", 65, 90, "catalog: threshold 5, both classes about 75-80%"),
                Expect("acc_bad_T6", 88, 100, "catalog: threshold 6, bad wines about 95%"),
                Expect("acc_good_T6", 25, 75, "catalog: threshold 6, good wines about 40-60%")),
        params=UnbalancedParams, cpu_minutes=6.0,
    ),
    Experiment(
        S, "oversampling", ("data_oversampling",), "Data oversampling in MNIST", datasets=MNIST,
        figures={
            "single_run": "The single larger run: loss, and train and test accuracy per epoch.",
            "by_size": "Mean train accuracy, devset (test) accuracy and test loss over the last 5 of 50 epochs "
                       "against the number of unique digits, original against doubled (every digit twice, "
                       "copied before the 90/10 split, so twins of training digits land in the devset and "
                       "inflate its accuracy). Each training is its own Snakemake job.",
        },
        curves=("test_acc",), curves_by="run", history=CURVES, points=oversampling_points,
        expect=(Expect("single_test_acc", 90, 95.5, "catalog: N=5000 about 92-94%"),
                Expect("leak_gain_smallest", 0, 100, "catalog: doubled data inflate the devset accuracy at "
                                                            "small N (a gain above 0; the catalog gives no size)")),
        params=OversamplingParams, cpu_minutes=6.0,
    ),
    Experiment(
        S, "noise_augmentation", ("data_noiseAugmentation",), "Data noise augmentation (with devset+test)",
        datasets=MNIST,
        figures={
            "examples": "Digits (top) and their noisy copies (bottom): each augmented copy adds uniform noise "
                        "on 0 to 0.5.",
            "by_size": "Mean train accuracy, devset accuracy and devset loss over the last 5 of 50 epochs against "
                       "the number of unique digits, original against augmented. The devset is split off after "
                       "augmenting, so it holds noisy twins of training digits; the held-out test digits (every "
                       "row after the first N) are free of that leak. Each training is its own Snakemake job.",
        },
        curves=("test_acc",), curves_by="run", history=CURVES, points=noise_points,
        expect=(Expect("report_test_acc_original", 75, 90, "catalog: N=500 test about 80-85% original"),
                Expect("report_test_acc_augmented", 75, 92, "catalog: augmented about the same or slightly better")),
        params=NoiseAugmentationParams, cpu_minutes=6.0,
    ),
    Experiment(
        S, "feature_augmentation", ("data_featureAugmentation",), "Data feature augmentation",
        figures={
            "qwerties": "The qwerties with a line from the origin to each point (left) and the new third feature, "
                        "each point's distance to the origin, by class (right, jittered).",
            "results": "One training with two features (top) and one with the extra distance feature (bottom): "
                       "loss, train and test accuracy, final accuracy per class, and the data with the "
                       "misclassified points marked.",
            "repetitions": "Final test accuracy of the repeated trainings with and without the extra feature, and "
                           "an independent t-test between them (scipy).",
        },
        history=CURVES,
        expect=(Expect("mean_acc_2", 80, 95, "catalog: both about 85-92%"),
                Expect("mean_acc_3", 80, 95, "catalog: both about 85-92%"),
                Expect("p_value", 0.05, 1, "catalog: no significant difference (p > .05)")),
        params=FeatureAugmentationParams, cpu_minutes=3.0,
    ),
    Experiment(
        S, "save_load", ("data_saveLoadModels",), "Saving and loading trained models", datasets=MNIST,
        figures={
            "training": "Train loss, and train and test accuracy per epoch, over 10 epochs (log_softmax outputs, "
                        "NLLLoss, SGD lr .01).",
            "outputs": "One output node for a run of test digits: the trained model (line), the same weights "
                       "saved with the project's checkpoint functions and loaded with weights_only (dots, on the "
                       "line) and an untrained model (different).",
        },
        expect=(Expect("final_test_acc", 91, 95.5, "catalog: test after 10 epochs about 93-94%"),
                Expect("max_abs_difference", 0, 0, "catalog: the loaded model's outputs are identical (exact)")),
        history=CURVES, models=("model",), params=SaveLoadParams, summary=False, cpu_minutes=0.8,
    ),
    Experiment(
        S, "save_the_best", ("data_saveTheBest",), "Save the best-performing model",
        figures={
            "training": "Train loss, and train and devset accuracy per epoch, zoomed on the last epochs; the "
                        "marker is the epoch whose weights were kept (best devset accuracy).",
            "best": "Train and devset accuracy per epoch with the kept model's test accuracy as a dashed line: "
                    "the test set was never used to choose it.",
        },
        expect=(Expect("best_dev_acc", 88, 98, "catalog: dev about 90-94%"),
                Expect("best_test_acc", 86, 97, "catalog: test about 90-94%")),
        history=("train_loss", "train_acc", "dev_loss", "dev_acc"), models=("best",), params=SaveTheBestParams,
        summary=False, cpu_minutes=0.3,
    ),
]
