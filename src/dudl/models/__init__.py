"""Architectures built from params: plain MLPs and stacks of independent MLPs trained in one step."""

from dudl.models.mlp import ACTIVATIONS, MLP, activation, count_parameters, mlp
from dudl.models.stacked import StackedMLP, stacked_loss

__all__ = ["ACTIVATIONS", "MLP", "StackedMLP", "activation", "count_parameters", "mlp", "stacked_loss"]
