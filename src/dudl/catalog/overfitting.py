"""Section overfitting (course folder overfitting/)."""

from dudl.catalog import Expect, Experiment  # noqa: F401

S = "overfitting"

EXPERIMENTS: list[Experiment] = []
