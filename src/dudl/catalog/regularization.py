"""Section regularization (course folder regularization/)."""

from dudl.catalog import Expect, Experiment  # noqa: F401

S = "regularization"

EXPERIMENTS: list[Experiment] = []
