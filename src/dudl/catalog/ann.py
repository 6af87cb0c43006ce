"""Section ANN (course folder ANN/): 12 notebooks."""

from typing import Annotated

from pydantic import Field

from dudl.catalog import Expect, Experiment
from dudl.paramspec import (MAX_DEPTH, Block, Count, Epochs, Grid, Layers, Lr, NonNegative, Qwerties, Units, grid_of,
                           sweep_of)

S = "ann"
QWERTY_FIG = "The qwerties: two Gaussian clouds of 100 points each (blur 1), drawn from the run's seed."


# ---------------------------------------------------------------- params, declared once (values: params.yaml)


class RegressionParams(Block):
    """ANN_regression: ANN for regression."""

    n: Count
    slope: float
    noise_std: NonNegative
    lr: Lr
    epochs: Epochs


class CodeChallengeRegressionParams(Block):
    """ANN_codeChallenge_regression: CodeChallenge: manipulate regression slopes."""

    n: Count
    noise_std: NonNegative
    lr: Lr
    epochs: Epochs
    single_slope: float
    slopes: Grid
    repetitions: Count


class ClassifyQwertiesParams(Block):
    """ANN_classifyQwerties: ANN for classifying qwerties."""

    data: Qwerties
    layers: Layers
    lr: Lr
    epochs: Epochs


class LearningRatesParams(Block):
    """ANN_learningrates: Learning rates comparison."""

    data: Qwerties
    epochs: Epochs
    single_lr: Lr
    lrs: grid_of(Lr, "Lr", log=True)
    meta_repetitions: Count
    meta_epochs: Epochs


class MultilayerParams(Block):
    """ANN_multilayer: Multilayer ANNs."""

    data: Qwerties
    hidden: Units
    epochs: Epochs
    single_lr: Lr
    lrs: grid_of(Lr, "Lr", log=True)


class MultioutputParams(Block):
    """ANN_multioutput: Multi-output ANN (iris dataset)."""

    layers: Layers
    lr: Lr
    epochs: Epochs


class CodeChallengeQwertiesParams(Block):
    """ANN_codeChallengeQwerties: CodeChallenge: more qwerties."""

    data: Qwerties
    layers: Layers
    lr: Lr
    epochs: Epochs


class NHiddenUnitsParams(Block):
    """ANN_nHiddenUnits: Comparing the number of hidden units."""

    units: grid_of(Units, "Units", arange=True)
    lr: Lr
    epochs: Epochs


class BreadthVsDepthParams(Block):
    """ANN_breadthVsDepth: Model depth vs. breadth."""

    layers: sweep_of(Annotated[int, Field(ge=0, le=MAX_DEPTH)])  # hidden layers: 0 is the input wired to the output
    units: grid_of(Units, "Units", arange=True)
    lr: Lr
    epochs: Epochs


class NumParametersParams(Block):
    """ANN_numParameters: Depth vs. breadth: number of parameters."""

    wide: Layers
    deep: Layers


class SeqVsClassParams(Block):
    """ANN_seqVsClass: Defining models using sequential vs. class."""

    data: Qwerties
    layers: Layers
    lr: Lr
    epochs: Epochs


class CodeChallengeSeq2classParams(Block):
    """ANN_codeChallengeSeq2class: CodeChallenge: convert sequential to class."""

    data: Qwerties
    hidden: Units
    epochs: Epochs
    single_lr: Lr
    lrs: grid_of(Lr, "Lr", log=True)


EXPERIMENTS = [
    Experiment(
        S, "regression", ("ANN_regression",), "ANN for regression",
        figures={
            "data": "The data: 30 points, y = x + N(0, 1)/2.",
            "loss": "Mean squared error over 500 epochs of full-batch SGD (lr .05); the dot marks the final loss.",
            "predictions": "Data and the model's predictions; the title gives their correlation.",
        },
        history=("train_loss",), models=("model",),
        expect=(Expect("r_prediction_data", 0.6, 1.0, "catalog: y = x + N(0, 1)/2, so r is about 0.9 while the "
                                                      "ReLU unit lives; the lecture: some runs die (r = 0)"),),
        params=RegressionParams,
    ),
    Experiment(
        S, "code_challenge_regression", ("ANN_codeChallenge_regression",), "CodeChallenge: manipulate regression slopes",
        figures={
            "single_run": "One run at slope 0.8: loss per epoch, and data with predictions (title: their correlation).",
            "performance": "Mean final loss and mean prediction-data correlation against the data's slope, over "
                           "repetitions (bands: 95% CI). Steeper slopes mean more signal, so higher r; they also "
                           "mean larger y, so a larger loss.",
            "example_data": "What the data look like at five of the slopes.",
        },
        history=("train_loss",),
        expect=(Expect("single_r_prediction_data", 0.6, 0.95, "reference_results 7: r = 0.83 (one saved run)"),
                Expect("mean_r_steepest_slopes", 0.6, 0.9, "reference_results 7: mean r up to about 0.8")),
        params=CodeChallengeRegressionParams,
    ),
    Experiment(
        S, "classify_qwerties", ("ANN_classifyQwerties",), "ANN for classifying qwerties",
        figures={
            "data": QWERTY_FIG,
            "loss": "Binary cross-entropy over 1000 epochs of full-batch SGD (lr .01) of the 2-1-1 network.",
            "predictions": "Predicted labels; red crosses mark misclassified points. A dead ReLU unit (constant "
                           "output) can leave the network at 50%: the course notes this too.",
        },
        history=("train_loss", "train_acc"), models=("model",),
        expect=(Expect("accuracy", 85, 100, "course: about 85-98%, sometimes 50% (a dead ReLU unit)"),),
        params=ClassifyQwertiesParams,
    ),
    Experiment(
        S, "learning_rates", ("ANN_learningrates",), "Learning rates comparison",
        figures={
            "data": QWERTY_FIG,
            "single_run": "Loss of one model trained with lr .01 for 1000 epochs.",
            "sweep": "Final accuracy against learning rate (40 models, one per rate), and every model's loss curve.",
            "meta": "Mean final accuracy over 50 repetitions of the sweep (500 epochs each; band: 95% CI). The "
                    "models of each sweep train together as one stack of independent networks, which changes "
                    "the speed, not the result.",
        },
        history=("train_loss",),
        expect=(Expect("proportion_above_70", 0.5, 0.9, "reference_results 9: 70% of the 40 rates exceed 70%"),
                Expect("meta_mean_accuracy", 55, 85, "reference_results 9: 50-rep mean accuracy 55-85%")),
        params=LearningRatesParams,
    ),
    Experiment(
        S, "multilayer", ("ANN_multilayer",), "Multilayer ANNs",
        figures={
            "data": "The qwerties of this notebook: centers (1, 3) and (1, -2).",
            "single_run": "Loss of one 2-16-1-1 network trained with lr .01.",
            "sweep": "Final accuracy against learning rate (50 networks), and every network's loss curve.",
        },
        history=("train_loss",),
        params=MultilayerParams,
    ),
    Experiment(
        S, "multioutput", ("ANN_multioutput",), "Multi-output ANN (iris dataset)", datasets=("iris",),
        figures={
            "pairplot": "The iris data: every pair of the four features, coloured by species.",
            "training": "Loss and accuracy per epoch of the 4-64-64-3 network (full batch, SGD lr .01), trained and "
                        "scored on all 150 flowers, as the course does.",
            "probabilities": "Softmax probability of each species for every flower (flowers ordered by species).",
        },
        history=("train_loss", "train_acc"), models=("model",),
        expect=(Expect("final_accuracy", 95, 100, "catalog: iris MLPs reach ~98%"),),
        params=MultioutputParams,
    ),
    Experiment(
        S, "code_challenge_qwerties", ("ANN_codeChallengeQwerties",), "CodeChallenge: more qwerties!",
        figures={
            "data": "Three qwerty clusters of 100 points: centers (1, 1), (5, 1), (3, -2).",
            "training": "Loss and accuracy per epoch over 10,000 epochs. The network ends in Softmax and is trained "
                        "with CrossEntropyLoss, which applies log-softmax again; the course does this on purpose.",
            "probabilities": "The network's output probability of each class for every point.",
        },
        history=("train_loss", "train_acc"), models=("model",),
        expect=(Expect("final_accuracy", 88, 97, "catalog: expect ~90-95% train accuracy"),),
        params=CodeChallengeQwertiesParams,
    ),
    Experiment(
        S, "n_hidden_units", ("ANN_nHiddenUnits",), "Comparing the number of hidden units", datasets=("iris",),
        figures={
            "accuracy": "Final accuracy of 4-n-n-3 networks (150 epochs) against n = 1...128. Dashed lines at 33% and "
                        "67%: one or two of the three species learned.",
        },
        figure_data=False,
        params=NHiddenUnitsParams,
    ),
    Experiment(
        S, "breadth_vs_depth", ("ANN_breadthVsDepth",), "Model depth vs. breadth", datasets=("iris",),
        figures={
            "accuracy_by_units": "Final accuracy against units per layer, one line per number of hidden layers "
                                 "(500 epochs). The course's class sets nLayers = nUnits (a KeyError); we build "
                                 "the intended model.",
            "accuracy_by_parameters": "Final accuracy against the number of trainable parameters; the title gives "
                                      "their correlation.",
        },
        points=lambda p, scale: list(p["layers"]),
        figure_data=False,
        params=BreadthVsDepthParams,
    ),
    Experiment(
        S, "num_parameters", ("ANN_numParameters",), "Depth vs. breadth: number of parameters",
        figures={
            "parameters": "Weights and biases per layer of the wide (2-4-3) and the deep (2-2-2-3) network: same "
                          "number of nodes, different number of parameters.",
        },
        expect=(Expect("wide_parameters", 27, 27, "reference_results 10: 27 (exact)"),
                Expect("deep_parameters", 21, 21, "reference_results 10: 21 (exact)"),
                Expect("wide_nodes", 7, 7, "reference_results 10: 7 nodes (exact)"),
                Expect("deep_nodes", 7, 7, "reference_results 10: 7 nodes (exact)")),
        figure_data=False,
        params=NumParametersParams,
    ),
    Experiment(
        S, "seq_vs_class", ("ANN_seqVsClass",), "Defining models using sequential vs. class",
        figures={
            "data": QWERTY_FIG,
            "loss": "Loss per epoch of the class-defined network and of the nn.Sequential one, trained from the same "
                    "seed: the curves coincide (the title gives the largest difference).",
            "predictions": "Predicted labels of the class-defined network; red crosses mark misclassified points.",
        },
        history=("train_loss", "train_loss_sequential"),
        expect=(Expect("max_abs_loss_difference_class_vs_sequential", 0, 0, "the two definitions are one model"),),
        params=SeqVsClassParams,
    ),
    Experiment(
        S, "code_challenge_seq2class", ("ANN_codeChallengeSeq2class",), "CodeChallenge: convert sequential to class",
        figures={
            "data": "The qwerties of ANN_multilayer: centers (1, 3) and (1, -2).",
            "single_run": "Loss of the class-defined 2-16-1-1 network trained with lr .01.",
            "sweep": "Final accuracy against learning rate, each network trained on its own as the notebook does, "
                     "and every network's loss curve.",
        },
        history=("train_loss",),
        params=CodeChallengeSeq2classParams,
    ),
]
