"""Section ffn_milestone (course folder FFNmilestone/): 3 notebooks."""

from dudl.catalog import Expect, Experiment
from dudl.paramspec import BatchSize, Block, Count, Epochs, Layers, Lr

S = "ffn_milestone"


# ---------------------------------------------------------------- params, declared once (values: params.yaml)


class AddingMachineParams(Block):
    """FFNmilestone_project1: Project 1: A gratuitously complex adding machine."""

    n: Count
    low: int
    high: int
    layers: Layers
    lr: Lr
    epochs: Epochs
    instances: Count


class HeartDiseaseParams(Block):
    """FFNmilestone_project2: Project 2: Predicting heart disease."""

    layers: Layers
    test_count: Count
    batch_size: BatchSize
    lr: Lr
    epochs: Epochs


class MissingDataParams(Block):
    """FFNmilestone_project3: Project 3: FFN for missing data interpolation."""

    missing: Count
    layers: Layers
    batch_size: BatchSize
    lr: Lr
    epochs: Epochs


# ---------------------------------------------------------------- experiments

EXPERIMENTS = [
    Experiment(
        S, "adding_machine", ("FFNmilestone_project1",), "Project 1: A gratuitously complex adding machine",
        figures={
            "predictions": "True sums against the last model's rounded predictions for 2,000 new pairs of integers "
                           "in [-10, 10]; a prediction within 1 of the sum counts as correct (blue), the others are orange.",
            "instances": "Train and test accuracy of each freshly initialised model (10 epochs, one pair per step). "
                         "Some instances fail, as the course warns: the 1-unit bottleneck behind a ReLU dies (the loss stays "
                         "high), or the model lands a little off the sums.",
        },
        expect=(Expect("median_test_acc", 90, 100, "catalog: most instances ~100% train and test"),),
        history=(), params=AddingMachineParams, cpu_minutes=2.0,
    ),
    Experiment(
        S, "heart_disease", ("FFNmilestone_project2",), "Project 2: Predicting heart disease",
        datasets=("heart_disease",),
        figures={
            "zscoring": "The 13 features before and after z-scoring (sex, fbs and exang are 0/1 and left as they are).",
            "training": "Train and test loss and accuracy over 100 epochs (Adam, lr .0001, batches of 20) on the 297 "
                        "complete rows, 50 of them held out; disease = DISEASE > 0.",
        },
        expect=(Expect("rows", 297, 297, "catalog: 303 rows, 6 with '?' dropped (exact)"),
                Expect("final_test_acc", 76, 92, "catalog: test ≈ 80–88% (50 test rows: 1 row = 2%)")),
        history=("train_loss", "test_loss", "train_acc", "test_acc"), models=("model",), params=HeartDiseaseParams,
    ),
    Experiment(
        S, "missing_data", ("FFNmilestone_project3",), "Project 3: FFN for missing data interpolation",
        datasets=("wine_quality",),
        figures={
            "loss": "Train loss (MSE) over 400 epochs of the 11-16-32-32-1 net predicting residual sugar from the other "
                    "11 z-scored columns.",
            "predictions": "Predicted against true residual sugar: the complete rows it trained on, and the 10 values "
                           "that were removed and interpolated (their r varies a lot from draw to draw: n = 10).",
        },
        expect=(Expect("train_r", 0.7, 0.95, "catalog: train r ≈ 0.8–0.9"),),
        history=("train_loss",), models=("model",), params=MissingDataParams,
    ),
]
