"""Section measure_performance (course folder measurePerformance/): 5 notebooks."""

from dudl.catalog import Expect, Experiment
from dudl.paramspec import BatchSize, Block, Count, Epochs, Layers, Lr, Proportion, Samples

S = "measure_performance"
MNIST_FIG = ("The course's MNIST: the 20,000-digit stand-in for Colab's mnist_train_small.csv, divided by its max, "
             "split 90/10, batches of 32 (drop_last), the test set as one batch.")
GAP = ("The gap between the best- and the worst-served digit is what a single accuracy hides: a model used where "
       "one group is rare can look fine on average while failing that group far more often.")


# ---------------------------------------------------------------- params, declared once (values: params.yaml)


class AprfParams(Block):
    """measurePerformance_APRF: ARPF in code."""

    experiments: Count
    n_per_class: Samples


class AprfWineParams(Block):
    """measurePerformance_APRFexample1: ARPF example 1: wine quality."""

    layers: Layers
    test_size: Proportion
    batch_size: BatchSize
    lr: Lr
    epochs: Epochs


class MnistParams(Block):
    """measurePerformance_example2: APRF example 2: MNIST."""

    layers: Layers
    test_size: Proportion
    batch_size: BatchSize
    lr: Lr
    epochs: Epochs


class UnequalParams(MnistParams):
    """measurePerformance_codeChallenge_unequal: CodeChallenge: performance with unequal groups."""

    sevens_kept: Count


class TimeParams(MnistParams):
    """measurePerformance_time: Computation time."""

    repetitions: Count


# ---------------------------------------------------------------- experiments

EXPERIMENTS = [
    Experiment(
        S, "aprf", ("measurePerformance_APRF",), "ARPF in code",
        figures={
            "f1_vs_accuracy": "F1 against accuracy for 10,000 simulated experiments of 50 positives and 50 "
                              "negatives (TP and TN drawn from 1..49, numpy's randint(1, 50)), coloured by precision (left) and by recall "
                              "(right); dashed lines at .5. Equal accuracy can hide very different F1.",
        },
        expect=(Expect("accuracy_mean", 0.49, 0.51, "catalog: TP, TN ~ randint(1, 50) of 50 each: mean accuracy .5"),),
        history=(), models=(), params=AprfParams,
    ),
    Experiment(
        S, "aprf_wine", ("measurePerformance_APRFexample1",), "ARPF example 1: wine quality", datasets=("wine_quality",),
        figures={
            "measures": "Accuracy, precision, recall and F1 (scikit-learn, class 1 = quality > 5) on the train and "
                        "the test set after 1000 epochs: the model overfits, so train beats test on all four.",
            "confusion": "Train and test confusion matrices with counts (rows: true class, columns: predicted; "
                         "the diagonal holds TN and TP, off it FP and FN).",
        },
        expect=(Expect("train_accuracy", 0.88, 0.97, "catalog: train ≈ .90–.95 on all metrics (overfit)"),
                Expect("test_accuracy", 0.70, 0.85, "catalog, reference_results 22: test ≈ .75–.80")),
        history=("train_loss", "train_acc", "test_acc"), models=("model",), params=AprfWineParams,
    ),
    Experiment(
        S, "aprf_mnist", ("measurePerformance_example2",), "APRF example 2: MNIST", datasets=("mnist",),
        figures={
            "training": "Loss and train/test accuracy over 10 epochs of Adam (lr .01) for the 784-64-32-32-10 net. "
                        + MNIST_FIG,
            "measures": "Accuracy and weighted precision, recall and F1 (scikit-learn) on train and test.",
            "per_class": "Precision and recall of each digit on the test set. " + GAP,
            "confusion": "Train and test confusion matrices, each row divided by its digit's count (colour capped "
                         "at .05 so the errors show; the numbers are the shares).",
        },
        expect=(Expect("test_accuracy", 0.93, 0.975, "reference_results 18: test accuracy ≈ 95–96%"),
                Expect("test_f1", 0.93, 0.975, "reference_results 18: weighted precision/recall/F1 ≈ .95")),
        history=("train_loss", "train_acc", "test_acc"), models=("model",), params=MnistParams,
        cpu_minutes=1.0,
    ),
    Experiment(
        S, "code_challenge_unequal", ("measurePerformance_codeChallenge_unequal",),
        "CodeChallenge: performance with unequal groups", datasets=("mnist",),
        figures={
            "counts": "How many of each digit before and after all but 500 of the sevens were removed.",
            "training": "Loss and train/test accuracy over 10 epochs (Adam, lr .01) on the data with few sevens.",
            "per_class": "Precision and recall of each digit on the test set: the rare sevens are recalled less "
                         "often than most digits. " + GAP,
            "confusion": "Test confusion matrix, each row divided by its digit's count: where the missed sevens go.",
        },
        expect=(Expect("test_accuracy", 0.93, 0.975, "catalog: overall ≈ 95%"),),
        history=("train_loss", "train_acc", "test_acc"), models=("model",), params=UnequalParams,
        cpu_minutes=1.0,
    ),
    Experiment(
        S, "time", ("measurePerformance_time",), "Computation time", datasets=("mnist",),
        figures={
            "epoch_times": "CPU time (time.process_time) of each epoch and test accuracy after it, for the first "
                           "training, and the CPU time of each of the repeated trainings. Timings depend on the "
                           "machine: they are in summary.csv and this figure, never in metrics.json or the scorecard.",
        },
        expect=(Expect("test_accuracy", 0.93, 0.975, "catalog: test ≈ 95%"),),
        history=("train_loss", "train_acc", "test_acc"), params=TimeParams, cpu_minutes=3.0,
    ),
]
