"""Section weights (course folder weights/): 8 notebooks on weight matrices, initializations and how weights
change during learning."""

from dudl.catalog import Expect, Experiment
from dudl.paramspec import (BatchSize, Block, Count, Depth, Epochs, Layers, Lr, Positive, Proportion, Samples, Units,
                           grid_of, sweep_of)
from dudl.params import grid

S = "weights"
MNIST = ("mnist",)
WINE = ("wine_quality",)
CURVES = ("train_loss", "train_acc", "test_loss", "test_acc")
MNIST_RECIPE = ("The course's MNIST (20,000 digits divided by their max, split 90/10, batches of 32 with drop_last, "
                "the test set as one batch) and its 784-64-32-32-10 ReLU net, whose layers it names input, fc1, "
                "fc2 and output.")


# ---------------------------------------------------------------- params, declared once (values: params.yaml)


class MatrixSizesParams(Block):
    """weights_matrixsizes: Explanation of weight matrix sizes."""

    layers: Layers             # the consistent Sequential's sizes
    broken_layers: list[list[Units]]  # [in, out] of each Linear of the deliberately inconsistent model
    samples: Samples           # rows of the fake input


class MnistTrainParams(Block):
    """The weights notebooks' MNIST recipe: mnistNet, batch 32 drop_last, a 90/10 split."""

    layers: Layers
    test_size: Proportion
    batch_size: BatchSize
    lr: Lr
    epochs: Epochs


class DemoInitsParams(MnistTrainParams):
    """weights_demoinits: A surprising demonstration of weight initializations (Adam)."""

    bins: Count


class XavierKaimingParams(Block):
    """weights_XavierKaiming: Xavier and Kaiming initializations (no training)."""

    units: Units          # width of the four square layers
    square_layers: Depth
    outputs: Units
    bins: Count


class XavierKaimingChallengeParams(Block):
    """weights_CodeChallenge_XavierKaiming: CodeChallenge: Xavier vs. Kaiming (wine, BCEWithLogits, SGD)."""

    layers: Layers
    test_size: Proportion
    batch_size: BatchSize
    lr: Lr
    epochs: Epochs
    repetitions: Count
    last_epochs: Count    # each run's score is the mean of its last epochs


class IdenticalRandomParams(Block):
    """weights_codeChallenge_identicalRandom: CodeChallenge: Identically random weights."""

    layers: Layers
    seeds: sweep_of(int)  # the seeded copies, in order; the first copy of all is drawn without reseeding


class WeightStdParams(MnistTrainParams):
    """weights_codeChallenge_weightstd: CodeChallenge: Weight variance inits (Adam)."""

    stds: grid_of(Positive, "Std", log=True)
    last_epochs: Count
    bins: Count


class FreezeWeightsParams(MnistTrainParams):
    """weights_freezeWeights: Freezing weights during learning (SGD)."""

    frozen_epochs: Count  # epochs in which only the output layer learns


class WeightChangesParams(MnistTrainParams):
    """weights_weightchanges: Weight characteristics during learning (SGD)."""


def weight_std_points(p, scale) -> list[str]:
    return [f"std{value:.3g}" for value in grid(p["stds"], scale)]


# ---------------------------------------------------------------- experiments

EXPERIMENTS = [
    Experiment(
        S, "matrix_sizes", ("weights_matrixsizes",), "Explanation of weight matrix sizes",
        figures={
            "weights": "The weight matrices of Linear(10,14), Linear(14,19) and Linear(19,8) as images: each is "
                       "stored as [outputs, inputs], so a layer's matrix has as many columns as the layer before "
                       "it has outputs. The title says what the inconsistent model (14 outputs into a layer that "
                       "expects 19) does on the same input.",
        },
        expect=(Expect("output_columns", 8, 8, "catalog: the consistent model outputs [5, 8] (exact)"),
                Expect("broken_model_fails", 1, 1, "catalog: the inconsistent model raises a shape mismatch (exact)"),
                Expect("weight_rows_0", 14, 14, "catalog: the first weight matrix is [14, 10] (exact)")),
        params=MatrixSizesParams,
    ),
    Experiment(
        S, "demo_inits", ("weights_demoinits",), "A surprising demonstration of weight initializations",
        datasets=MNIST,
        figures={
            "accuracy": "Test accuracy per epoch of four trainings from the same seed (same split, batches and "
                        "default initial weights before the change): the default initialization, fc1's weights set "
                        "to 0, every parameter set to 0, and every parameter set to 1 (Adam lr .01, 10 epochs). "
                        + MNIST_RECIPE,
            "histograms": "Trained weights of fc1 and fc2 as density histograms, the default initialization against "
                          "fc1 = 0 and all = 0. With every parameter at 0 each ReLU gets 0 in and passes no "
                          "gradient back, so no weight ever moves.",
            "all_zero_parameters": "Every parameter of the all-zero net after training, layer by layer: the weights "
                                   "are still exactly 0; only the output layer's biases learned (the class "
                                   "frequencies).",
        },
        expect=(Expect("final_test_acc_baseline", 93, 98, "catalog: baseline about 95% test"),
                Expect("final_test_acc_fc1_zero", 90, 98, "catalog: fc1 = 0 still learns (about 93-95%)"),
                Expect("final_test_acc_all_zero", 5, 15, "catalog: all zero stays at chance (about 11%)"),
                Expect("all_zero_nonzero_weights", 0, 0, "catalog: the all-zero net's weights stay 0 (exact)"),
                Expect("final_test_acc_all_one", 0, 40, "catalog: all ones stays near chance")),
        history=CURVES, params=DemoInitsParams, cpu_minutes=1.0,
    ),
    Experiment(
        S, "xavier_kaiming", ("weights_XavierKaiming",), "Xavier and Kaiming initializations",
        figures={
            "default": "PyTorch's default initial biases and weights of a net of four Linear(100,100) layers and "
                       "a Linear(100,2) output, as density histograms, with the uniform density of width "
                       "2/sqrt(fan_in) drawn over them (default init: Kaiming-uniform with bound 1/sqrt(fan_in)).",
            "layers": "Weight distribution of each layer with the default init (left) and after "
                      "nn.init.xavier_normal_ (right): the output layer (fan_in 100, fan_out 2) is wider under "
                      "Xavier, whose variance is 2/(fan_in+fan_out).",
        },
        expect=(Expect("biases", 402, 402, "catalog: 402 biases (exact)"),
                Expect("weights", 40200, 40200, "catalog: 40,200 weights (exact)"),
                Expect("fc1_xavier_variance", 0.009, 0.011, "catalog: Xavier variance 2/(100+100) = 0.01"),
                Expect("fc1_bias_max_abs", 0.09, 0.1, "catalog: default biases within 1/sqrt(100) = 0.1")),
        params=XavierKaimingParams,
    ),
    Experiment(
        S, "xavier_kaiming_challenge", ("weights_CodeChallenge_XavierKaiming",), "CodeChallenge: Xavier vs. Kaiming",
        datasets=WINE,
        figures={
            "curves": "Loss, train accuracy and test accuracy per epoch of the first repetition, the weights drawn "
                      "with xavier_normal_ against kaiming_uniform_ for ReLU (biases keep PyTorch's default). "
                      "Binary red wine (quality above 5), BCEWithLogitsLoss, SGD lr .01, 600 epochs, batches of 32.",
            "repetitions": "Each repetition's mean over its last 5 epochs, Xavier against Kaiming, with the t-test "
                           "between the two in each title. All repetitions train together as one stack of "
                           "independent models on the same split and batch order (the course draws each batch "
                           "order afresh), so the two inits differ in their weights only.",
        },
        curves=("test_acc",), curves_by="run", history=CURVES,
        expect=(Expect("p_test_acc", 0.05, 1, "catalog: no reliable difference (p > .05)"),
                Expect("mean_train_acc_xavier", 80, 97, "catalog: train about 85-95%"),
                Expect("mean_test_acc_xavier", 68, 85, "catalog: test about 75-80%"),
                Expect("mean_test_acc_kaiming", 68, 85, "catalog: test about 75-80%")),
        params=XavierKaimingChallengeParams, cpu_minutes=2.0,
    ),
    Experiment(
        S, "identical_random", ("weights_codeChallenge_identicalRandom",), "CodeChallenge: Identically random weights",
        figures={
            "weights": "All 25 weights of four copies of Linear(2,8), Linear(8,1), Linear(1,1), each "
                       "re-initialized with xavier_normal_: without reseeding, after torch.manual_seed(1), after "
                       "seed 2, and after seed 1 again. The two seed-1 copies lie on top of each other.",
        },
        expect=(Expect("max_abs_diff_seed1_seed1_again", 0, 0, "catalog: the two seed-1 nets are identical (exact)"),
                Expect("max_abs_diff_seed1_seed2", 1e-6, 100, "catalog: seed 1 and seed 2 differ"),
                Expect("max_abs_diff_seed1_unseeded", 1e-6, 100, "catalog: seed 1 and no seed differ")),
        params=IdenticalRandomParams,
    ),
    Experiment(
        S, "weight_std", ("weights_codeChallenge_weightstd",), "CodeChallenge: Weight variance inits",
        datasets=MNIST,
        figures={
            "accuracy_by_std": "Mean test accuracy over the last 3 of 10 epochs against the standard deviation of "
                               "the normal distribution every parameter was drawn from (log axis): one training "
                               "per value, each its own Snakemake job (Adam lr .01). " + MNIST_RECIPE,
            "histograms": "Density of the trained parameters for each standard deviation, coloured by it (each on "
                          "its own bins).",
        },
        curves=("test_acc",), curves_by="run", history=CURVES, points=weight_std_points,
        expect=(Expect("best_test_acc", 93, 98, "catalog: about 95% for sd 1e-3 to 1e-1"),
                Expect("drop_at_largest_std", 5, 100, "catalog: much worse at sd 10")),
        params=WeightStdParams, cpu_minutes=4.0,
    ),
    Experiment(
        S, "freeze_weights", ("weights_freezeWeights",), "Freezing weights during learning", datasets=MNIST,
        figures={
            "training": "Train and test accuracy per epoch. Until the dashed line only the output layer learns "
                        "(every other parameter has requires_grad False, so it keeps its random initial value); "
                        "from there every layer learns. SGD lr .001, 100 epochs. " + MNIST_RECIPE,
        },
        expect=(Expect("frozen_test_acc", 55, 90, "catalog: the frozen phase plateaus at about 70-85%"),
                Expect("final_test_acc", 90, 97, "catalog: about 93-95% after unfreezing"),
                Expect("frozen_body_changed", 0, 0, "catalog: frozen layers do not move (exact)")),
        history=CURVES, params=FreezeWeightsParams, summary=False, cpu_minutes=1.5,
    ),
    Experiment(
        S, "weight_changes", ("weights_weightchanges",), "Weight characteristics during learning", datasets=MNIST,
        figures={
            "characteristics": "Left: train and test accuracy per epoch. Middle: the Frobenius norm of each layer's "
                               "weight change over the epoch. Right: each weight matrix's condition number (largest "
                               "over smallest singular value). SGD lr .001, 60 epochs. " + MNIST_RECIPE,
            "change_vs_accuracy": "Per epoch, the z-scored change in train accuracy against the z-scored mean weight "
                                  "change over the layers: both are largest early in training.",
        },
        expect=(Expect("final_test_acc", 86, 95, "catalog: about 90-93% after 60 epochs at lr .001"),
                Expect("change_first_over_last", 1, 1000, "catalog: weight changes are largest early and decay")),
        history=CURVES, params=WeightChangesParams, cpu_minutes=1.0,
    ),
]
