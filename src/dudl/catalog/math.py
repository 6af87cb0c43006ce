"""Section math (course folder math/): 13 demo notebooks, no training."""

from typing import Annotated

from pydantic import Field

from dudl.catalog import Expect, Experiment
from dudl.paramspec import Block, Count, Matrix, Pair, Positive, Probability, Vector

S = "math"
EXACT = 5e-5  # half a unit of the reference's last printed (4th) decimal


def _near(metric: str, value: float, source: str, tolerance: float = EXACT) -> Expect:
    return Expect(metric, value - tolerance, value + tolerance, source)



# ---------------------------------------------------------------- params, declared once (values: params.yaml)


class ArgminParams(Block):
    """math_argmin: Min/max and argmin/max."""

    vector: Vector
    matrix: Annotated[list[Vector], Field(min_length=1)]


class Derivatives1Params(Block):
    """math_derivatives1: Derivatives: intuition and polynomials."""

    function: Annotated[str, Field(min_length=1)]
    x_range: Pair
    points: Annotated[int, Field(ge=2)]


class Derivatives2Params(Block):
    """math_derivatives2: Derivatives: product and chain rules."""

    f: Annotated[str, Field(min_length=1)]
    g: Annotated[str, Field(min_length=1)]
    chain_inner: Annotated[str, Field(min_length=1)]
    chain_power: Count
    x_range: Pair
    points: Annotated[int, Field(ge=2)]


class DotproductParams(Block):
    """math_dotproduct: OMG it's the dot product."""

    v1: Vector
    v2: Vector


class EntropyParams(Block):
    """math_entropy: Entropy and cross-entropy."""

    p_event: Annotated[float, Field(le=1, gt=0)]
    distribution: Annotated[list[Probability], Field(min_length=2)]
    p: Annotated[list[Probability], Field(min_length=2)]
    q: Annotated[list[Annotated[float, Field(le=1, gt=0)]], Field(min_length=2)]


class LogParams(Block):
    """math_log: Logarithms."""

    x_range: Annotated[list[Positive], Field(min_length=2, max_length=2)]
    points: Annotated[int, Field(ge=2)]
    inverse_points: Annotated[int, Field(ge=2)]


class MatrixMultParams(Block):
    """math_matrixMult: Matrix multiplication."""

    a_shape: Annotated[list[Count], Field(min_length=2, max_length=2)]
    b_shape: Annotated[list[Count], Field(min_length=2, max_length=2)]
    c_shape: Annotated[list[Count], Field(min_length=2, max_length=2)]
    c1_shape: Annotated[list[Count], Field(min_length=2, max_length=2)]


class MeanvarParams(Block):
    """math_meanvar: Mean and variance."""

    x: Annotated[list[float], Field(min_length=2)]
    large_n: Annotated[int, Field(ge=2)]
    high: Count


class RandomseedParams(Block):
    """math_randomseed: Identical randomness via seeding."""

    seed: Annotated[int, Field(ge=0, le=4294967295)]
    other_seed: Annotated[int, Field(ge=0, le=4294967295)]
    n: Count


class SamplingParams(Block):
    """math_sampling: Random sampling and sampling variability."""

    population: Vector
    sample_size: Count
    experiments: Count
    experiment_sample_size: Count
    bins: Count


class SoftmaxParams(Block):
    """math_softmax: Softmax."""

    z: Vector
    random_n: Count
    random_low: int
    random_high: int


class TransposeParams(Block):
    """math_transpose: Vector and matrix transpose."""

    vector: Annotated[list[Vector], Field(min_length=1)]
    matrix: Annotated[list[Vector], Field(min_length=1)]


class TtestParams(Block):
    """math_ttest: The t-test."""

    n1: Annotated[int, Field(ge=2)]
    n2: Annotated[int, Field(ge=2)]
    mu1: float
    mu2: float
    jitter_divisor: Positive


EXPERIMENTS = [
    Experiment(
        S, "argmin", ("math_argmin",), "Min/max and argmin/max",
        figures={
            "minima": "The vector [1, 40, 2, -3] with its minimum and maximum marked, and the matrix [[0, 1, 10], "
                      "[20, 8, 5]] with the minimum of each column (circles) and of each row (squares). numpy and "
                      "torch give the same values and indices (metrics.json).",
        },
        expect=(Expect("vector_argmin", 3, 3, "catalog: min -3 at index 3 (exact)"),
                Expect("vector_argmax", 1, 1, "catalog: max 40 at index 1 (exact)"),
                Expect("matrix_argmin", 0, 0, "catalog: argmin of the whole matrix = 0 (exact)"),
                Expect("numpy_torch_agree", 1, 1, "numpy and torch compute the same minima")),
        params=ArgminParams,
    ),
    Experiment(
        S, "derivatives1", ("math_derivatives1",), "Derivatives: intuition and polynomials",
        figures={
            "function": "The function f(x) = 2x squared, drawn from the sympy expression on x in [-4, 4].",
            "derivative": "Its derivative 4x, computed by sympy.",
            "relu_sigmoid": "ReLU (sympy Max(0, x)) and the sigmoid 1/(1 + exp(-x)).",
            "relu_sigmoid_derivatives": "Their derivatives from sympy: a step (Heaviside) for ReLU, a bump peaking at "
                                        "0.25 for the sigmoid. The course draws these four with sympy's own plot; we "
                                        "draw the same lambdified expressions with matplotlib.",
        },
        expect=(Expect("derivative_at_1", 4, 4, "catalog: d(2x^2)/dx = 4x (exact)"),
                _near("sigmoid_derivative_at_0", 0.25, "sigmoid'(0) = 1/4 (exact)", 1e-12)),
        params=Derivatives1Params,
    ),
    Experiment(
        S, "derivatives2", ("math_derivatives2",), "Derivatives: product and chain rules",
        figures={
            "rules": "Left: the derivative of f(x) g(x) with f = 2x squared and g = 4x cubed minus 3x to the fourth, "
                     "by the product rule by hand (markers) and by sympy (line), which coincide, and the wrong way "
                     "f' times g' (dashed). Right: the chain rule for (x squared + 4x cubed) to the fifth, by hand "
                     "and by sympy. The notebook only prints the expressions; this figure draws them.",
        },
        expect=(Expect("manual_equals_sympy", 1, 1, "product rule by hand equals sympy (exact)"),
                Expect("wrong_way_equals_sympy", 0, 0, "f'g' is not (fg)' (exact)"),
                Expect("chain_rule_manual_equals_sympy", 1, 1, "chain rule by hand equals sympy (exact)")),
        params=Derivatives2Params,
    ),
    Experiment(
        S, "dotproduct", ("math_dotproduct",), "OMG it's the dot product!",
        figures={
            "vectors": "The two vectors, their element-wise products and the sum of those products, which is the "
                       "dot product (-2, the same from numpy and torch).",
        },
        expect=tuple(Expect(m, -2, -2, "catalog: expected result -2 (exact)")
                     for m in ("numpy_dot", "numpy_sum_of_products", "torch_dot", "torch_sum_of_products")),
        params=DotproductParams,
    ),
    Experiment(
        S, "entropy", ("math_entropy",), "Entropy and cross-entropy",
        figures={
            "entropy": "Left: binary entropy against the probability p (solid) and the single term -p ln p that the "
                       "notebook first computes by mistake (dashed), with the notebook's p = .25 marked. Right: "
                       "cross-entropy of p = (1, 0) against the model's q, which reduces to -ln q, with q = .25 "
                       "marked. The notebook then calls torch's binary_cross_entropy on Python lists, which raises an "
                       "error (recorded in metrics.json); we also make the intended call on tensors (input q, "
                       "target p), which gives the same 1.3863.",
        },
        expect=(_near("wrong_entropy", 0.3466, "catalog: wrong single-term entropy 0.3466 (exact)"),
                _near("entropy", 0.5623, "reference_results 2: binary entropy of (.25, .75) = 0.5623 (exact)"),
                _near("cross_entropy", 1.3863, "reference_results 2: cross-entropy = 1.3863 (exact)"),
                _near("torch_binary_cross_entropy", 1.3863, "catalog: the intended torch call gives 1.3863")),
        params=EntropyParams,
    ),
    Experiment(
        S, "log", ("math_log",), "Logarithms",
        figures={
            "log": "The natural logarithm of 200 points between .0001 and 1: it plunges towards minus infinity "
                   "near 0.",
            "inverse": "exp(log(x)) and log(exp(x)) at 20 points lie on the identity line: the two functions invert "
                       "each other (largest numerical error in metrics.json).",
        },
        expect=(_near("log_at_smallest_x", -9.2103, "ln(.0001) = -9.2103 (exact)"),),
        params=LogParams,
    ),
    Experiment(
        S, "matrix_mult", ("math_matrixMult",), "Matrix multiplication",
        figures={
            "products": "Random matrices as heat maps: A (3 by 4) times B (4 by 5) gives a 3 by 5 matrix, and C "
                        "transposed (7 by 3) times A gives 7 by 4; inner sizes must match (A times C raises an error). "
                        "The notebook expects a torch tensor times a numpy float64 array to fail; metrics.json records "
                        "what the installed torch and numpy actually do.",
        },
        params=MatrixMultParams,
    ),
    Experiment(
        S, "meanvar", ("math_meanvar",), "Mean and variance",
        figures={
            "variance": "Left: the seven numbers, their mean (dashed) and each one's deviation from it; the title "
                        "gives the variance with n (numpy's default) and with n - 1 in the denominator. Right: the "
                        "ratio of the two, n / (n - 1), against n: it matters for 7 numbers, hardly at all for "
                        "10,000 random integers.",
        },
        expect=(_near("mean", 3.142857, "catalog: mean 3.142857 (exact)", 5e-7),
                _near("var_ddof0", 4.1224, "catalog: np.var default 4.1224 (exact)"),
                _near("var_ddof1", 4.8095, "catalog: unbiased 4.8095 (exact)"),
                _near("large_var_ratio", 10000 / 9999, "n / (n - 1) for n = 10,000 (exact)", 1e-9)),
        params=MeanvarParams,
    ),
    Experiment(
        S, "randomseed", ("math_randomseed",), "Identical randomness via seeding",
        figures={
            "draws": "Two draws of five standard normal numbers after np.random.seed(17) (circles) and from "
                     "RandomState(17) (crosses): identical, and identical to the notebook's printed numbers. "
                     "RandomState(20210530) gives other numbers, the same every time; torch.manual_seed(17) gives "
                     "yet others and leaves numpy's generator alone.",
        },
        figure_data=False,
        expect=(_near("seed_first_value", 0.27626589, "reference_results 1: seed 17, randn(5) starts 0.27626589 "
                      "(saved, exact)", 5e-9),
                _near("other_seed_first_value", -0.24972681, "reference_results 1: RandomState(20210530) starts "
                      "-0.24972681 (saved, exact)", 5e-9),
                Expect("randomstate_matches_global_seed", 1, 1, "catalog: RandomState(17) repeats seed 17's draws")),
        params=RandomseedParams,
    ),
    Experiment(
        S, "sampling", ("math_sampling",), "Random sampling and sampling variability",
        figures={
            "sample_means": "Histogram (40 bins, as a density) of the means of 10,000 samples of 15 numbers drawn "
                            "with replacement from the 16-number population; the dashed line is the population "
                            "mean 1.625.",
        },
        expect=(Expect("population_mean", 1.625, 1.625, "catalog: population mean 1.625 (exact)"),
                Expect("mean_of_sample_means", 1.5, 1.75, "sample means centre on the population mean")),
        params=SamplingParams,
    ),
    Experiment(
        S, "softmax", ("math_softmax",), "Softmax",
        figures={
            "softmax": "Softmax of 25 random integers in [-5, 15) against the integers, on a log scale: a straight "
                       "line, since the softmax is proportional to exp(z). The title gives their sum, 1.",
            "manual_vs_torch": "Softmax computed by hand in numpy against torch's nn.Softmax: the same numbers (the "
                               "title gives their correlation).",
        },
        expect=(_near("softmax_0", 0.0900, "reference_results 3: softmax([1,2,3]) = 0.0900 (exact)"),
                _near("softmax_1", 0.2447, "reference_results 3: 0.2447 (exact)"),
                _near("softmax_2", 0.6652, "reference_results 3: 0.6652 (exact)"),
                _near("r_manual_torch", 1.0, "catalog: correlation r = 1.0", 1e-6)),
        params=SoftmaxParams,
    ),
    Experiment(
        S, "transpose", ("math_transpose",), "Vector and matrix transpose",
        figures={
            "transpose": "The 1 by 4 vector and the 2 by 4 matrix beside their transposes: rows become columns. "
                         "Transposing twice gives the original back, in numpy and in torch alike.",
        },
        expect=(Expect("vector_double_transpose_is_original", 1, 1, "transpose of the transpose (exact)"),
                Expect("matrix_double_transpose_is_original", 1, 1, "transpose of the transpose (exact)")),
        params=TransposeParams,
    ),
    Experiment(
        S, "ttest", ("math_ttest",), "The t-test",
        figures={
            "groups": "The two groups: 30 numbers from N(1, 1) and 40 from N(2, 1).",
            "ttest": "The same numbers jittered sideways, the common way to show a t-test; the title gives the "
                     "independent-samples t and p from scipy.",
        },
        expect=(Expect("t", -6.5, -1.5, "catalog: t about -4 plus or minus 1"),
                Expect("p", 0.0, 0.05, "catalog: p < .001 typically")),
        params=TtestParams,
    ),
]
