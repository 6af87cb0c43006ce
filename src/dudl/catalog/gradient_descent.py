"""Section gradient_descent (course folder gradientDescent/): 5 notebooks, gradient descent by hand in numpy."""

from dudl.catalog import Expect, Experiment
from dudl.paramspec import Block, Epochs, Grid, Linspace, Lr, Pair, grid_of

S = "gradient_descent"
QUADRATIC = "f(x) = 3x squared minus 3x + 4 (y) and its derivative 6x - 3 (dy) on [-2, 2]."
# Any start in [-2, 2] lies within 2.5 of the minimum 0.5; 100 steps at lr .01 shrink that by 0.94^100.
QUADRATIC_FINAL = (0.5 - 2.5 * 0.94 ** 100, 0.5 + 2.5 * 0.94 ** 100)


# ---------------------------------------------------------------- params, declared once (values: params.yaml)


class Gd1dParams(Block):
    """GradientDescent_1D: Gradient descent in 1D."""

    x_range: Linspace
    lr: Lr
    iterations: Epochs


class Gd2dParams(Block):
    """GradientDescent_2D: Gradient descent in 2D."""

    grid: Linspace
    start_range: Pair
    lr: Lr
    iterations: Epochs
    derivative_at: Pair


class CodeChallengeStartValueParams(Block):
    """GradientDescent_CodeChallengeStartValue: CodeChallenge: unfortunate starting value."""

    x_range: Linspace
    lr: Lr
    iterations: Epochs
    unfortunate_start: float


class CodeChallengeLrParams(Block):
    """GradientDescent_codeChallenge_lr: CodeChallenge: dynamic learning rates."""

    x_range: Linspace
    iterations: Epochs
    lr: Lr
    time_lr: Lr


class ExperimentParams(Block):
    """GradientDescent_experiment: Parametric experiments on g.d."""

    x_range: Linspace
    lr: Lr
    iterations: Epochs
    start_locations: Grid
    learning_rates: grid_of(Lr, "Lr", log=True)
    epoch_counts: grid_of(Epochs, "Epochs")
    fixed_start: float


EXPERIMENTS = [
    Experiment(
        S, "gd_1d", ("GradientDescent_1D",), "Gradient descent in 1D",
        figures={
            "function": "The function " + QUADRATIC,
            "minimum": "The same, with the estimate after 100 steps of gradient descent (lr .01) from a random grid "
                       "point marked on the function and on its derivative; the title gives it (the true minimum "
                       "is 0.5).",
            "trajectory": "A second run from another random start, step by step: the estimate (left) and the "
                          "derivative at each step (right). Steps shrink as the derivative goes to 0.",
        },
        history=("x", "derivative"),
        expect=(Expect("final_estimate", *QUADRATIC_FINAL, "reference_results 4: 0.4969 from -0.998 (true 0.5)"),
                Expect("second_final_estimate", *QUADRATIC_FINAL, "reference_results 4: a second run ended at "
                       "0.49706")),
        params=Gd1dParams,
    ),
    Experiment(
        S, "gd_2d", ("GradientDescent_2D",), "Gradient descent in 2D",
        figures={
            "landscape": "MATLAB's peaks function on a 201 by 201 grid over [-3, 3] squared (colour limits -5 to 5).",
            "descent": "The landscape with the random start (blue square), the estimate after 1000 steps (red dot) "
                       "and the path between them. The partial derivatives come from sympy; we lambdify them to "
                       "numpy instead of calling sympy's evalf at every step as the course does (same numbers, "
                       "much faster).",
        },
        history=("x", "y"),
        expect=(Expect("derivative_x_at_point", -1.07369833656079 - 1e-12, -1.07369833656079 + 1e-12,
                       "reference_results 5: sympy df/dx at (1, 1) = -1.07369833656079 (saved, exact)"),),
        params=Gd2dParams,
    ),
    Experiment(
        S, "code_challenge_start_value", ("GradientDescent_CodeChallengeStartValue",),
        "CodeChallenge: unfortunate starting value",
        figures={
            "function": "f(x) = cos(2 pi x) + x squared (y) and its derivative (dy) on [-2, 2].",
            "minimum": "The estimates after 100 steps (lr .01): from a random grid point (red dots) and from the "
                       "challenge's start x = 0 (black squares). x = 0 is a local maximum where the derivative is "
                       "exactly 0, so the second run never moves.",
        },
        history=("x", "x_unfortunate_start"),
        expect=(Expect("unfortunate_final_estimate", 0, 0, "catalog: start exactly at 0 gets stuck (f'(0) = 0)"),
                Expect("unfortunate_moved", 0, 0, "catalog: start exactly at 0 gets stuck"),
                Expect("global_minimum", -0.48, -0.47, "catalog: global minima at x = +-0.476")),
        params=CodeChallengeStartValueParams,
    ),
    Experiment(
        S, "code_challenge_lr", ("GradientDescent_codeChallenge_lr",), "CodeChallenge: dynamic learning rates",
        figures={
            "dynamic_lr": "Three runs of 50 steps on " + QUADRATIC.split(" (y)")[0] + ": the estimate (left), the "
                          "derivative (middle) and the learning rate (right) per step, for a fixed rate .01, a rate "
                          ".01 times the gradient's magnitude, and a rate .1 decaying linearly to 0. As in the "
                          "notebook the fixed run starts from its own random point and the time-based run reuses "
                          "the gradient-based run's start.",
        },
        history=("x_fixed", "x_grad", "x_time"),
        params=CodeChallengeLrParams,
    ),
    Experiment(
        S, "experiment", ("GradientDescent_experiment",), "Parametric experiments on g.d.",
        figures={
            "function": "f(x) = sin(x) exp(-0.05 x squared) and its derivative on [-2 pi, 2 pi].",
            "single_run": "The estimate after 1000 steps (lr .01) from a random grid point, marked on the function "
                          "and on its derivative; the x axis widens when the descent has left the plotted domain.",
            "start_locations": "Experiment 1: final estimate against 50 starting points in [-5, 5]: starts left of "
                               "the maximum near 1.43 reach the global minimum near -1.43, others slide away to the "
                               "right.",
            "learning_rates": "Experiment 2: final estimate against 50 learning rates from 1e-10 to .1, starting "
                              "at 0, 1000 steps each.",
            "lr_epochs_heatmap": "Experiment 3: final estimate for every learning rate (x) and number of training "
                                 "epochs (y) from start 0 (colour limits -1.45 to -1.2, as the course's). Each rate "
                                 "runs once for the longest count and the shorter counts are read off its path, "
                                 "which gives the same numbers as separate runs.",
            "lr_epochs_lines": "Experiment 3 again: final estimate against learning rate, one line per number of "
                               "training epochs (dark: few, light: many).",
        },
        history=("x", "derivative"),
        expect=(Expect("global_minimum", -1.44, -1.42, "catalog: global min at x = -1.429"),
                Expect("global_minimum_value", -0.90, -0.89, "catalog: f = -0.894 at the global minimum"),
                Expect("final_estimate_largest_lr", -1.44, -1.42, "catalog: lr .1 from 0 reaches the global min")),
        params=ExperimentParams,
    ),
]
