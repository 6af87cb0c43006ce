"""Section metaparams (course folder metaparams/): 15 notebooks on the red-wine data and three qwerty clusters."""

from typing import Annotated

from pydantic import Field

from dudl.catalog import Expect, Experiment
from dudl.paramspec import (ACTIVATIONS, OPTIMIZERS, BatchSize, Block, Count, DropoutRate, Epochs, Grid, Layers, Lr,
                           NonNegative, Pair, Proportion, Qwerties, grid_of)

S = "metaparams"
WINE = ("wine_quality",)
CURVES = ("train_loss", "train_acc", "test_loss", "test_acc")
SAME_START = ("All conditions start from the same initial weights and see the same minibatch order, so the "
              "curves differ only by the metaparameter.")
WINE_TEST = "160 test wines: one wine is 0.6 points of accuracy"
R22 = "reference_results 22: wine test accuracy about 75-80%"
# Qwerty test sets hold 90 points: an accuracy near 90% has a standard error of about 3 points, so a catalog
# estimate for test accuracy gets 2 standard errors of room below it.
QWERTY_TEST = "90 test qwerties: 2 standard errors of room"


def _exact(metric: str, value: float, source: str, tol: float = 5e-5) -> Expect:
    return Expect(metric, value - tol, value + tol, source)



# ---------------------------------------------------------------- params, declared once (values: params.yaml)


class Intro2winedataParams(Block):
    """metaparams_intro2winedata: The 'wine quality' dataset."""

    test_size: Proportion
    batch_size: BatchSize


class CodeChallengeSugarParams(Block):
    """metaparams_CodeChallenge_sugar: CodeChallenge: Predict sugar."""

    layers: Layers
    test_size: Proportion
    batch_size: BatchSize
    lr: Lr
    epochs: Epochs


class BatchNormParams(Block):
    """metaparams_batchNorm: Batch normalization."""

    layers: Layers
    test_size: Proportion
    batch_size: BatchSize
    lr: Lr
    epochs: Epochs


class CodeChallengeBatchesParams(Block):
    """metaparams_CodeChallengeBatches: CodeChallenge: Minibatch size in the wine dataset."""

    layers: Layers
    test_size: Proportion
    batch_sizes: Annotated[list[BatchSize], Field(min_length=1, json_schema_extra={"uniqueItems": True})]
    lr: Lr
    epochs: Epochs


class ActivationFunsParams(Block):
    """metaparams_ActivationFuns: Activation functions."""

    x: Grid
    relu6_x: Grid
    x1: Grid
    weights: Pair


class ActivationComparisonsParams(Block):
    """metaparams_ActivationComparisons: Activation functions comparison."""

    layers: Layers
    activations: Annotated[list[ACTIVATIONS], Field(min_length=1, json_schema_extra={"uniqueItems": True})]
    test_size: Proportion
    batch_size: BatchSize
    lr: Lr
    epochs: Epochs


class CodeChallengeRelusParams(Block):
    """metaparams_CodeChallengeRelus: CodeChallenge: Compare relu variants."""

    layers: Layers
    activations: Annotated[list[ACTIVATIONS], Field(min_length=1, json_schema_extra={"uniqueItems": True})]
    test_size: Proportion
    batch_size: BatchSize
    lr: Lr
    epochs: Epochs


class CodeChallengeDropoutParams(Block):
    """metaparams_codeChallengeDropout: CodeChallenge: dropout in the wine data."""

    layers: Layers
    dropout: DropoutRate
    test_size: Proportion
    batches_per_epoch: Count
    lr: Lr
    epochs: Epochs


class LossParams(Block):
    """metaparams_loss: Loss functions in Pytorch."""

    mse_predictions: Grid
    mse_target: float
    bce_predictions: grid_of(Proportion, "Proportion")
    logit: float
    logits: Annotated[list[float], Field(min_length=2)]
    custom_pair: Pair


class MultioutputParams(Block):
    """metaparams_multioutput: More practice with multioutput ANNs."""

    data: Qwerties
    layers: Layers
    test_size: Proportion
    batch_size: BatchSize
    lr: Lr
    epochs: Epochs


class MomentumParams(Block):
    """metaparams_momentum: SGD with momentum."""

    data: Qwerties
    layers: Layers
    test_size: Proportion
    batch_size: BatchSize
    lr: Lr
    epochs: Epochs
    momenta: Annotated[list[DropoutRate], Field(min_length=1)]


class OptimizersComparisonParams(Block):
    """metaparams_optimizersComparison: Optimizers comparison."""

    data: Qwerties
    layers: Layers
    test_size: Proportion
    batch_size: BatchSize
    lr: Lr
    epochs: Epochs
    optimizers: Annotated[list[OPTIMIZERS], Field(min_length=1, json_schema_extra={"uniqueItems": True})]
    last_epochs: Count


class CodeChallengeOptimizersParams(Block):
    """metaparams_CodeChallengeOptimizers: CodeChallenge: Optimizers and... something."""

    data: Qwerties
    layers: Layers
    test_size: Proportion
    batch_size: BatchSize
    epochs: Epochs
    lrs: grid_of(Lr, "Lr", log=True)
    optimizers: Annotated[list[OPTIMIZERS], Field(min_length=1, json_schema_extra={"uniqueItems": True})]
    last_epochs: Count


class CodeChallengeAdamL2Params(Block):
    """metaparams_CodeChallengeAdamL2: CodeChallenge: Adam with L2 regularization."""

    data: Qwerties
    layers: Layers
    test_size: Proportion
    batch_size: BatchSize
    lr: Lr
    epochs: Epochs
    l2_lambdas: grid_of(NonNegative, "NonNegative")


class LearningRateDecayDemo(Block):
    """The LearningRateDecayDemo block of metaparams_learningRateDecay."""

    step_size: Count
    epochs: Epochs
    batches: Count


class LearningRateDecayParams(Block):
    """metaparams_learningRateDecay: Learning rate decay."""

    data: Qwerties
    layers: Layers
    test_size: Proportion
    batch_size: BatchSize
    lr: Lr
    gamma: Annotated[float, Field(le=1, gt=0)]
    epochs: Epochs
    demo: LearningRateDecayDemo


EXPERIMENTS = [
    Experiment(
        S, "intro2winedata", ("metaparams_intro2winedata",), "The 'wine quality' dataset", datasets=WINE,
        figures={
            "pairplot": "Fixed acidity, volatile acidity and citric acid against each other, coloured by quality "
                        "rating, with a regression line per rating.",
            "boxplot_raw": "Every column of the raw data: the scales differ by orders of magnitude (total sulfur "
                           "dioxide reaches 289), which is why the features are z-scored.",
            "boxplot_zscored": "The same columns after z-scoring the 11 features (mean 0, standard deviation 1; "
                               "ddof=1 as this notebook writes it out). Quality stays in its own units.",
            "quality_counts": "How many wines got each quality rating; ratings above 5 form the 'high quality' "
                              "class of the later notebooks.",
        },
        expect=(Expect("rows", 1599, 1599, "catalog: 1599 rows (exact)"),
                Expect("rows_total_sulfur_dioxide_ge_200", 2, 2, "catalog: 2 outliers (exact)"),
                Expect("proportion_high_quality", 0.52, 0.55, "catalog: about 53% positive"),
                Expect("test_size", 160, 160, "catalog: 160 test rows (exact)")),
        params=Intro2winedataParams,
    ),
    Experiment(
        S, "code_challenge_sugar", ("metaparams_CodeChallenge_sugar",), "CodeChallenge: Predict sugar", datasets=WINE,
        figures={
            "sugar": "Residual sugar (z-scored) of every wine: a few very sweet wines lie far above the rest.",
            "training": "Left: train and test loss (MSE) per epoch of the 11-16-32-32-1 regression network (SGD lr "
                        ".01, batch 32, 1000 epochs). Right: predicted against true sugar; the legend gives the "
                        "prediction-data correlation of each set.",
            "correlations": "Correlation matrix of all twelve z-scored columns (colour scale clipped at plus and "
                            "minus .3, as in the course): sugar correlates weakly with everything but density.",
        },
        history=("train_loss", "test_loss"), models=("model",),
        expect=(Expect("train_r", 0.85, 1.0, "catalog: train r high (about 0.9 and up)"),
                Expect("test_r", 0.35, 0.75, "catalog estimate: test r much lower (about 0.4-0.7); seeds 1-4 and "
                                             "17 give 0.71-0.92 here, driven by the few very sweet wines")),
        params=CodeChallengeSugarParams,
    ),
    Experiment(
        S, "batch_norm", ("metaparams_batchNorm",), "Batch normalization", datasets=WINE,
        curves=("train_loss", "train_acc", "test_loss", "test_acc"), curves_by="batchnorm",
        figures={
            "training": "Loss, train accuracy and test accuracy per epoch of the 11-16-32-20-1 network with and "
                        "without BatchNorm1d on the inputs of its two hidden layers (SGD lr .01, batch 32). Test "
                        "accuracy is computed in eval mode, so batch norm uses its running statistics there. "
                        + SAME_START,
            "final_accuracy": "Final train and test accuracy with and without batch normalization.",
        },
        history=CURVES, points=lambda p, scale: ["without", "with"],
        expect=(Expect("final_train_acc_with_batchnorm", 88, 100, "catalog: with batch norm train accuracy 90-95%+"),
                Expect("final_test_acc_with_batchnorm", 70, 85, f"{R22} ({WINE_TEST})"),
                Expect("final_test_acc_without_batchnorm", 70, 85, f"{R22} ({WINE_TEST})")),
        params=BatchNormParams,
    ),
    Experiment(
        S, "code_challenge_batches", ("metaparams_CodeChallengeBatches",),
        "CodeChallenge: Minibatch size in the wine dataset", datasets=WINE,
        curves=("train_loss", "train_acc", "test_loss", "test_acc"), curves_by="batch_size",
        figures={
            "accuracy": "Train and test accuracy per epoch for minibatch sizes 2 to 512 (SGD lr .01, 1000 epochs, "
                        "drop_last). " + SAME_START,
            "computation_time": "CPU time (time.process_time) to train each batch size for all epochs: the cost is "
                                "per optimizer step, so small batches cost most. Times depend on the machine and are "
                                "kept in summary.csv, not in the metrics.",
            "final_accuracy": "Final train and test accuracy against minibatch size.",
        },
        history=CURVES, points=lambda p, scale: scale.grid(list(p["batch_sizes"])),
        expect=(Expect("final_train_acc_batch_2", 90, 100, "catalog: small batches reach ~95-100% train accuracy"),
                Expect("final_test_acc_batch_2", 70, 85, f"catalog: test ~75-80% ({WINE_TEST})"),
                Expect("final_train_acc_batch_512", 65, 80, "catalog: batch 512 learns slowly (~70-75%)")),
        params=CodeChallengeBatchesParams,
    ),
    Experiment(
        S, "activation_funs", ("metaparams_ActivationFuns",), "Activation functions",
        figures={
            "classic": "torch.relu, torch.sigmoid and torch.tanh on -3 to 3; grey dashed lines at 0 and 1.",
            "modules": "Three torch.nn activation classes on the same inputs: ReLU6, Hardshrink and LeakyReLU.",
            "relu6": "ReLU6 on -3 to 9: a ReLU capped at 6.",
            "relu_vs_module": "torch.relu and nn.ReLU give identical outputs (the title says whether every value "
                              "matches).",
            "linear_combination": "A linear combination of two inputs (x2 = 2 x1, weights -.3 and .5) and its ReLU: "
                                  "the activation function makes a linear input nonlinear.",
        },
        expect=(Expect("relu_equals_nn_relu", 1, 1, "the notebook: torch.relu and nn.ReLU agree"),
                Expect("relu6_max", 6, 6, "ReLU6 saturates at 6")),
        params=ActivationFunsParams,
    ),
    Experiment(
        S, "activation_comparisons", ("metaparams_ActivationComparisons",), "Activation functions comparison",
        datasets=WINE,
        curves=("train_loss", "train_acc", "test_loss", "test_acc"), curves_by="activation",
        figures={
            "accuracy": "Train and test accuracy per epoch of the wine network with relu, tanh or sigmoid as its "
                        "hidden activation (SGD lr .01, batch 32, 1000 epochs). " + SAME_START,
            "final_accuracy": "Final train and test accuracy per activation function.",
        },
        history=CURVES, points=lambda p, scale: list(p["activations"]),
        expect=(Expect("final_train_acc_relu", 80, 97, "catalog: relu train ~85-95%"),
                Expect("final_train_acc_tanh", 80, 97, "catalog: tanh train ~85-95%"),
                Expect("final_train_acc_sigmoid", 68, 82, "catalog: sigmoid slowest (~75%)"),
                Expect("final_test_acc_relu", 68, 85, f"catalog: test about 72-78% ({WINE_TEST})"),
                Expect("final_test_acc_tanh", 68, 85, f"catalog: test about 72-78% ({WINE_TEST})"),
                Expect("final_test_acc_sigmoid", 68, 85, f"catalog: test about 72-78% ({WINE_TEST})")),
        params=ActivationComparisonsParams,
    ),
    Experiment(
        S, "code_challenge_relus", ("metaparams_CodeChallengeRelus",), "CodeChallenge: Compare relu variants",
        datasets=WINE,
        curves=("train_loss", "train_acc", "test_loss", "test_acc"), curves_by="activation",
        figures={
            "accuracy": "Train and test accuracy per epoch with nn.ReLU, nn.ReLU6 and nn.LeakyReLU as hidden "
                        "activation (SGD lr .001, batch 64, 1000 epochs). " + SAME_START + " ReLU and ReLU6 then "
                        "trace the same curve for as long as no unit's input exceeds 6.",
            "final_accuracy": "Final train and test accuracy per ReLU variant.",
        },
        history=CURVES, points=lambda p, scale: list(p["activations"]),
        expect=(Expect("final_train_acc_relu", 70, 85, "catalog: train ~75-80% at this small lr"),
                Expect("final_train_acc_relu6", 70, 85, "catalog: train ~75-80% at this small lr"),
                Expect("final_train_acc_leakyrelu", 70, 85, "catalog: train ~75-80% at this small lr"),
                Expect("final_test_acc_relu", 65, 82, f"catalog: test ~70-75% ({WINE_TEST})")),
        params=CodeChallengeRelusParams,
    ),
    Experiment(
        S, "code_challenge_dropout", ("metaparams_codeChallengeDropout",), "CodeChallenge: dropout in the wine data",
        datasets=WINE,
        figures={
            "accuracy": "Train accuracy (squares, measured in train mode, with dropout active) and test accuracy "
                        "(line, eval mode) per epoch of the wine network with dropout .25 after its second and "
                        "third layers (Adam lr .001, five minibatches per epoch, 3000 epochs).",
        },
        history=CURVES, models=("model",),
        expect=(Expect("final_train_acc", 85, 100, "catalog: train climbs to ~90%+"),
                Expect("final_test_acc", 70, 85, f"catalog: test plateaus ~75-80% ({WINE_TEST})")),
        params=CodeChallengeDropoutParams,
    ),
    Experiment(
        S, "loss", ("metaparams_loss",), "Loss functions in Pytorch",
        figures={
            "mse": "Mean squared error of predictions from -2 to 2 when the true value is .5 (dashed).",
            "bce": "Binary cross-entropy of predicted probabilities when the correct answer is 0 or 1.",
            "cross_entropy": "CrossEntropyLoss of the logits [1, 4, 3] for each correct class, and of the same "
                             "outputs softmaxed first: softmaxing twice squeezes the losses together. The course "
                             "also feeds BCELoss the raw logit 2, which current torch refuses (we record the "
                             "error); the intended values, BCE of sigmoid(2) and BCEWithLogits(2), are both 0.1269.",
        },
        history=(),
        expect=(_exact("cross_entropy_target_0", 3.3490, "reference_results 2 (exact)"),
                _exact("cross_entropy_target_1", 0.3490, "reference_results 2 (exact)"),
                _exact("cross_entropy_target_2", 1.3490, "reference_results 2 (exact)"),
                _exact("bce_of_sigmoid_logit", 0.1269, "catalog: BCE of sigmoid(2) = 0.1269"),
                _exact("bce_with_logits", 0.1269, "catalog: BCEWithLogits(2, 1) = 0.1269"),
                _exact("cross_entropy_of_softmax_target_0", 1.44, "catalog: about 1.44", 0.005),
                _exact("cross_entropy_of_softmax_target_1", 0.77, "catalog: about 0.77", 0.005),
                _exact("cross_entropy_of_softmax_target_2", 1.21, "catalog: about 1.21", 0.005),
                _exact("custom_l1_loss", 1.2, "catalog: |4 - 5.2| = 1.2", 1e-6)),
        params=LossParams,
    ),
    Experiment(
        S, "multioutput", ("metaparams_multioutput",), "More practice with multioutput ANNs",
        figures={
            "data": "Three qwerty clusters of 300 points (blur 1) centred at (1, 1), (5, 1) and (4, 4).",
            "training": "Loss and train and test accuracy per epoch of the 2-8-8-3 network (SGD lr .01, batch 16, "
                        "100 epochs).",
            "predictions": "Predicted and true category of every qwerty (true values shifted up by .2).",
            "accuracy_by_group": "Accuracy per group on all 900 qwerties; the title gives the overall accuracy.",
            "errors": "The qwerties with the misclassified ones crossed out.",
        },
        history=CURVES, models=("model",),
        expect=(Expect("total_accuracy", 88, 97, "catalog: ~90-95% overall"),),
        params=MultioutputParams,
    ),
    Experiment(
        S, "momentum", ("metaparams_momentum",), "SGD with momentum",
        curves=("train_loss", "train_acc", "test_loss", "test_acc"), curves_by="momentum",
        figures={
            "training": "Loss, train accuracy and test accuracy per epoch of SGD (lr .01, batch 16) with momentum 0, "
                        ".5, .9, .95 and .999. " + SAME_START,
            "final_accuracy": "Final train and test accuracy against momentum.",
        },
        history=CURVES,
        expect=(Expect("final_test_acc_momentum_0p9", 83, 100, f"catalog: .9 fastest, ~90%+ ({QWERTY_TEST})"),
                Expect("final_test_acc_momentum_0p95", 83, 100, f"catalog: .95 fastest, ~90%+ ({QWERTY_TEST})"),
                Expect("final_test_acc_momentum_0p999", 0, 85, "catalog: .999 unstable, poor")),
        params=MomentumParams,
    ),
    Experiment(
        S, "optimizers_comparison", ("metaparams_optimizersComparison",), "Optimizers comparison",
        curves=("train_loss", "train_acc", "test_loss", "test_acc"), curves_by="optimizer",
        figures={
            "panels": "One row per optimizer (SGD, RMSprop, Adam; lr .01, batch 16, 50 epochs): loss; train and "
                      "test accuracy; accuracy per group on all the data; the qwerties with errors crossed out. "
                      + SAME_START,
            "performance": "The notebook's performance list drawn instead of printed: mean train and test accuracy "
                           "over the last 10 epochs per optimizer.",
        },
        history=CURVES,
        expect=(Expect("adam_train_acc_last10", 85, 96, "catalog: Adam about 90-93%"),
                Expect("rmsprop_train_acc_last10", 85, 96, "catalog: RMSprop about 90-93%"),
                Expect("adam_test_acc_last10", 83, 97, f"catalog: Adam about 90-93% ({QWERTY_TEST})"),
                Expect("rmsprop_test_acc_last10", 83, 97, f"catalog: RMSprop about 90-93% ({QWERTY_TEST})"),
                Expect("sgd_test_acc_last10", 73, 95, f"catalog: SGD lower/slower (~80-90%; {QWERTY_TEST})")),
        params=OptimizersComparisonParams,
    ),
    Experiment(
        S, "code_challenge_optimizers", ("metaparams_CodeChallengeOptimizers",),
        "CodeChallenge: Optimizers and... something",
        figures={
            "accuracy_by_lr": "Mean test accuracy over the last 10 epochs against learning rate (20 rates from 1e-4 "
                              "to .1, log scale) for SGD, RMSprop and Adam: 60 trainings. " + SAME_START,
        },
        history=CURVES, figure_data=False,
        expect=(Expect("adam_test_acc_last10_lr_near_1em3", 83, 97,
                       f"catalog: Adam ~90% already at lr ~1e-3 ({QWERTY_TEST})"),
                Expect("rmsprop_test_acc_last10_lr_near_1em3", 83, 97,
                       f"catalog: RMSprop ~90% already at lr ~1e-3 ({QWERTY_TEST})"),
                Expect("sgd_test_acc_last10_lowest_lr", 25, 65, "catalog: very small lrs stay at ~33-60%")),
        params=CodeChallengeOptimizersParams,
    ),
    Experiment(
        S, "code_challenge_adam_l2", ("metaparams_CodeChallengeAdamL2",), "CodeChallenge: Adam with L2 regularization",
        curves=("train_loss", "train_acc", "test_loss", "test_acc"), curves_by="l2_lambda",
        figures={
            "accuracy": "Train and test accuracy per epoch of Adam (lr .001, batch 32) with weight decay 0 to .1. "
                        + SAME_START,
            "final_accuracy": "Final train and test accuracy against the L2 strength (weight_decay).",
        },
        history=CURVES,
        expect=(Expect("final_train_acc_l2_lambda_0", 85, 96, "catalog: lambda 0 reaches ~90%"),
                Expect("final_test_acc_l2_lambda_0", 83, 97, f"catalog: lambda 0 reaches ~90% ({QWERTY_TEST})")),
        params=CodeChallengeAdamL2Params,
    ),
    Experiment(
        S, "learning_rate_decay", ("metaparams_learningRateDecay",), "Learning rate decay",
        figures={
            "lr_dynamic": "Learning rate at the end of each epoch with StepLR (step_size = batch size x batches per "
                          "epoch = 800 optimizer steps, gamma .5) stepped after every batch: it halves every 16 "
                          "epochs.",
            "lr_static": "The same run without stepping the scheduler: the learning rate stays at .01.",
            "accuracy": "Train and test accuracy per epoch with the decaying (dynamic) and the fixed (static) "
                        "learning rate; both runs start from the same weights and minibatch order.",
            "step_lr_demo": "The notebook's StepLR demo (step_size 5, gamma .5) read before each of 3 x 10 steps.",
        },
        history=("train_acc", "test_acc", "lr", "train_acc_static", "test_acc_static", "lr_static"),
        expect=(_exact("lr_epoch_15", 0.01, "reference_results 21 (exact)", 1e-9),
                _exact("lr_epoch_16", 0.005, "reference_results 21 (exact)", 1e-9),
                _exact("lr_epoch_32", 0.0025, "reference_results 21 (exact)", 1e-9),
                _exact("lr_epoch_48", 0.00125, "reference_results 21 (exact)", 1e-9),
                Expect("scheduler_step_size", 800, 800, "catalog: 16 x 50 = 800 (exact)")),
        params=LearningRateDecayParams,
    ),
]
