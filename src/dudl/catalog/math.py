"""Section math (course folder math/)."""

from dudl.catalog import Expect, Experiment  # noqa: F401

S = "math"

EXPERIMENTS: list[Experiment] = []
