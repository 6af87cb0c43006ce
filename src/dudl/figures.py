"""Draw an experiment's figures from its written results, in the house style (dudl.plots.style). Torch-free:
figure jobs never import the trainer, so its code is no dependency of any figure."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, Mapping

from dudl import results
from dudl.catalog import Experiment


def draw(exp: Experiment, sliced: Mapping[str, Any], root: Path = Path(".")) -> list[Path]:
    from dudl.plots import style

    module = importlib.import_module(f"dudl.plots.{exp.section}")
    result = results.read(root / exp.out_dir)
    style.apply()
    figures = getattr(module, exp.name)(result, sliced["experiment"])
    if set(figures) != set(exp.figures):
        raise RuntimeError(f"{exp.id}: drew {sorted(figures)}, catalog lists {sorted(exp.figures)}")
    return [style.save(fig, root / exp.figure_dir / f"{name}.png") for name, fig in figures.items()]
