"""Section gradient_descent (course folder gradientDescent/)."""

from dudl.catalog import Expect, Experiment  # noqa: F401

S = "gradient_descent"

EXPERIMENTS: list[Experiment] = []
