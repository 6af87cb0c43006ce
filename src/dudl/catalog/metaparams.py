"""Section metaparams (course folder metaparams/)."""

from dudl.catalog import Expect, Experiment  # noqa: F401

S = "metaparams"

EXPERIMENTS: list[Experiment] = []
