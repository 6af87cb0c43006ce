"""results/scorecard.csv: each course reference checked against our runs over every seed present.

A check is one metric of one experiment with the course's value or range [low, high]. Over our seeds (the main
run and results/seeds/*, at scale 1.0 only: a smaller scale is not the course's experiment) it gives our median
and our 5-95% range, the share of our seeds inside the course's range, and one verdict:
- "identity": every seed gives the same value, inside the course's range: an exact check (a row count, a
  transpose of a transpose) that says the code is right, not that a result reproduced. With one seed only a
  check whose course range is one value counts as one. Counted apart.
- "reproduced": the course's range meets our seed range (with one seed: our value lies in the course's range).
- "differs": it does not; gap_sd is the gap from our median to the course's range in seed standard deviations
  (empty with one seed, or when every seed gives the same value).
- "missing" (no run, or the run lacks the metric) and "not comparable (scale s)".
An experiment whose runs report `dead_unit` (1: its one ReLU unit died, every output the same) gets the note
"k of N seeds die", which is what the course's lecture says of these networks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pathlib import Path

import numpy as np

from dudl import catalog
from dudl.runs import flat, read_runs

if TYPE_CHECKING:  # pandas is imported where used: the Snakefile loads this module, and no rule needs it
    import pandas as pd

COLUMNS = ["experiment", "metric", "verdict", "seeds", "median", "p5", "p95", "low", "high", "inside",
           "gap_sd", "value", "note", "source"]
VERDICTS = ("reproduced", "differs", "identity")


def _values(found) -> tuple[dict[tuple[str, str], list[float]], dict[str, float], dict[str, list[int]]]:
    """{(experiment, metric): values over the seeds at scale 1.0}, {experiment: a smaller scale found} and
    {experiment: its seeds' dead_unit flags}."""
    values: dict[tuple[str, str], list[float]] = {}
    small: dict[str, float] = {}
    dead: dict[str, list[int]] = {}
    for exp, doc in found:
        scale = float(doc["meta"].get("scale") or 0)
        if scale < 1.0:
            small.setdefault(exp.id, scale)
            continue
        metrics = flat(doc.get("metrics", {}))
        if "dead_unit" in metrics:
            dead.setdefault(exp.id, []).append(int(metrics["dead_unit"]))
        for ref in exp.expect:
            value = metrics.get(ref.metric)
            if isinstance(value, (int, float)):
                values.setdefault((exp.id, ref.metric), []).append(float(value))
    return values, small, dead


def judge(values: list[float], low: float, high: float) -> dict:
    """The verdict and the numbers behind it for one check over our seeds."""
    v = np.asarray(values, dtype=float)
    p5, med, p95 = np.percentile(v, [5, 50, 95])
    inside = float(np.mean((v >= low) & (v <= high)))
    row = {"seeds": len(v), "median": med, "p5": p5, "p95": p95, "inside": inside, "gap_sd": np.nan}
    same = bool(np.all(v == v[0]))
    if same and inside == 1.0 and (len(v) > 1 or low == high):
        return {**row, "verdict": "identity"}
    if p5 <= high and p95 >= low:
        return {**row, "verdict": "reproduced"}
    sd = float(np.std(v, ddof=1)) if len(v) > 1 else 0.0
    gap = low - med if med < low else med - high
    return {**row, "verdict": "differs", "gap_sd": gap / sd if sd > 0 else np.nan}


def scorecard_frame(root: Path = Path("."), found=None) -> pd.DataFrame:
    """The scorecard; `found`: read_runs' pairs when the caller has read them already."""
    import pandas as pd

    values, small, dead = _values(read_runs(root) if found is None else found)
    rows = []
    for exp in catalog.EXPERIMENTS:
        for ref in exp.expect:
            found = values.get((exp.id, ref.metric))
            base = {"experiment": exp.id, "metric": ref.metric, "low": ref.low, "high": ref.high,
                    "source": ref.source}
            if exp.id in dead:
                base["note"] = f"{sum(dead[exp.id])} of {len(dead[exp.id])} seeds die"
            if found:
                # value: the main run's, as before seeds were a dimension (the first run read is the main one)
                rows.append({**base, **judge(found, ref.low, ref.high), "value": found[0]})
            elif exp.id in small:
                rows.append({**base, "verdict": f"not comparable (scale {small[exp.id]:g})", "seeds": 0})
            else:
                rows.append({**base, "verdict": "missing", "seeds": 0})
    return pd.DataFrame(rows, columns=COLUMNS)


def summary(card: pd.DataFrame) -> str:
    """One line: how many checks reproduced, differ, are identities, and were not checked."""
    counts = card.verdict.value_counts()
    known = [f"{int(counts.get(v, 0))} {v}" for v in VERDICTS]
    other = int(len(card) - sum(int(counts.get(v, 0)) for v in VERDICTS))
    seeds = card.seeds[card.verdict.isin(VERDICTS)]
    spread = f" over {int(seeds.min())}-{int(seeds.max())} seeds" if len(seeds) else ""
    return f"scorecard: {len(card)} checks{spread}: {', '.join(known)}, {other} not checked (missing or small scale)"
