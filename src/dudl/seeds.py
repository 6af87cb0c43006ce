"""Seeds as a dimension: which seeds an experiment runs over, and where each seed's run keeps its outputs.

The main run of an experiment uses the top-level `seed` and writes results/<section>/<name>/ (with figures).
Every other seed S is a run of its own, with the same params but `seed: S`, written to
results/seeds/<S>/<section>/<name>/ (its run outputs, no figures). Its numbers derive from S and the run's name
exactly as the main run's derive from `seed`, so `dudl run <id> --seed S` reproduces it anywhere.

- `seeds` (top level, default [17]): the seeds every experiment runs over in `snakemake` / `make run`.
- `repro.seeds` (default 10): the `repro` target runs every experiment that has a course reference over the
  seeds seed, seed+1, ..., seed+9; an experiment whose run is estimated at over `repro.long_above_s` seconds
  (at the run's scale, dudl.resources) takes `repro.long_seeds` of them instead.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Mapping

from dudl import catalog

SEEDS_DIR = catalog.RESULTS / "seeds"


def seeded(exp: catalog.Experiment, seed: int | str) -> catalog.Experiment:
    """The experiment as a run over another seed sees it: outputs under results/seeds/<seed>/ (`seed` may be
    Snakemake's "{seed}" wildcard)."""
    return dataclasses.replace(exp, results_root=SEEDS_DIR / str(seed))


def for_seed(exp: catalog.Experiment, seed: int, main_seed: int) -> catalog.Experiment:
    """The experiment whose outputs are those of a run over `seed`: itself for the main seed."""
    return exp if int(seed) == int(main_seed) else seeded(exp, int(seed))


def extra_seeds(config: Mapping[str, Any]) -> list[int]:
    """The seeds of `seeds` besides the main one (`seed`), in order, each once."""
    main = int(config["seed"])
    return list(dict.fromkeys(int(s) for s in config.get("seeds", [main]) if int(s) != main))


def repro_count(exp: catalog.Experiment, config: Mapping[str, Any]) -> int:
    """How many seeds the `repro` target gives this experiment: repro.seeds, or repro.long_seeds for a long one."""
    from dudl import resources

    repro = config["repro"]
    seconds, _ = resources.cpu_seconds(exp, float(config["scale"]))
    count = repro["long_seeds"] if seconds > repro["long_above_s"] else repro["seeds"]
    return max(1, min(int(count), int(repro["seeds"])))


def repro_seeds(exp: catalog.Experiment, config: Mapping[str, Any]) -> list[int]:
    """The seeds `repro` runs besides the main one: seed+1, ..., seed+count-1."""
    main = int(config["seed"])
    return [main + k for k in range(1, repro_count(exp, config))]


def repro_experiments(experiments) -> list[catalog.Experiment]:
    """The experiments `repro` covers: those with a course reference to check against."""
    return [e for e in experiments if e.expect]


def present(root: Path = Path(".")) -> list[int]:
    """The seeds of the folders under results/seeds/, in numeric order."""
    base = root / SEEDS_DIR
    return sorted(int(p.name) for p in base.iterdir() if p.is_dir() and p.name.isdigit()) if base.is_dir() else []
