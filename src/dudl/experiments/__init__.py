"""Experiment functions, one module per course section: (params, Context) -> Result, no file paths."""
