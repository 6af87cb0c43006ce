"""`dudl compare --metric M --param P [--by G]`: one metric against one param, grouped by a third, with the
seed-to-seed band, from runs tables: results/runs.csv (dudl.runs), or DVC's `dvc exp show --csv` of a queued
grid (read here into the same columns). A difference smaller than the band is noise.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Sequence

import pandas as pd

from dudl import catalog

# 5-95% of the runs at each x (seeds, mostly): the band the scorecard uses too.
BAND = ("pi", 90)


def from_dvc_exp_show(frame: pd.DataFrame, experiment: str, own_keys: set[str] | None = None) -> pd.DataFrame:
    """`dvc exp show --csv` (one row per revision or experiment) as runs-table rows of one experiment:
    <section>.<name>.<key> -> param.<key>, seed -> seed, metrics.<m> -> metric.<m> and meta.<k> -> <k> (wall_s,
    device). DVC names a metrics column by its file (<out_dir>/metrics.json:metrics.<m>) only where several files
    have that name; a bare name belongs to the one file that has it, so it is read only when it is among
    `own_keys`, the keys of this experiment's metrics.json ("metrics.accuracy", "meta.wall_s")."""
    exp = catalog.get(experiment)
    own, metrics_file = f"{exp.section}.{exp.name}.", f"{exp.out_dir.as_posix()}/metrics.json:"
    columns = {"experiment": experiment, "section": exp.section,
               "run": frame["Experiment"].fillna(frame["rev"]) if "Experiment" in frame else frame.index}
    metrics = {}
    for column in frame.columns:
        name = column.removeprefix("params.yaml:")
        if name.startswith(metrics_file):
            name = name[len(metrics_file):]
        elif name.startswith(("metrics.", "meta.")) and name not in (own_keys or set()):
            continue  # a bare name of another experiment's file (or one we cannot place)
        if ":" in name:  # another file's
            continue
        if name.startswith(own):
            columns[f"param.{name[len(own):]}"] = frame[column]
        elif name == "seed":
            columns["seed"] = frame[column]
        elif name.startswith("metrics."):
            metrics[f"metric.{name[len('metrics.'):]}"] = frame[column]
        elif name.startswith("meta.") and name[len("meta."):] in ("wall_s", "device", "scale"):
            columns[name[len("meta."):]] = frame[column]
    return pd.DataFrame({**columns, **metrics}, index=frame.index)


def read_tables(paths: Sequence[Path], experiment: str | None = None, root: Path = Path(".")) -> pd.DataFrame:
    """Runs tables stacked: results/runs.csv files as they are, `dvc exp show --csv` files converted (these need
    `experiment`; its metrics.json under `root` tells which bare column names are its own); with `experiment`,
    only its runs."""
    from dudl.runs import flat

    frames = []
    for path in paths:
        frame = pd.read_csv(path)
        if "experiment" not in frame.columns:  # not ours: DVC's
            if experiment is None:
                raise SystemExit(f"{path} looks like `dvc exp show --csv`: name the experiment (--experiment)")
            metrics = root / catalog.get(experiment).out_dir / "metrics.json"
            own = set(flat(json.loads(metrics.read_text()))) if metrics.exists() else set()
            frame = from_dvc_exp_show(frame, experiment, own)
        frames.append(frame)
    runs = pd.concat(frames, ignore_index=True)
    if experiment:
        runs = runs[runs.experiment == experiment]
        if runs.empty:
            raise SystemExit(f"no runs of {experiment} in the runs table")
    return runs


def _column(frame: pd.DataFrame, name: str, kind: str) -> str:
    """A column by its short name (accuracy -> metric.accuracy, lr -> param.lr) or its full name."""
    for candidate in (name, f"{kind}.{name}"):
        if candidate in frame.columns:
            return candidate
    known = sorted(c.split(".", 1)[1] for c in frame.columns if c.startswith(f"{kind}."))
    raise SystemExit(f"no {kind} '{name}' in the runs table; {kind}s there: {', '.join(known) or 'none'}")


def _numeric(series: pd.Series) -> pd.Series | None:
    """The column as numbers (lists kept as JSON text stay categories), or None."""
    values = pd.to_numeric(series, errors="coerce")
    return values if values.notna().all() else None


def figure(runs: pd.DataFrame, metric: str, param: str, by: str | None, out: Path) -> Path:
    """metric against param: the median with the 5-95% band of the runs at each value (over seeds), a line for a
    numeric param and points for categories, one colour per `by`; single runs as grey dots."""
    import seaborn as sns

    from dudl.plots import style

    runs = runs.copy()
    y, x = _column(runs, metric, "metric"), _column(runs, param, "param")
    hue = _column(runs, by, "param") if by else None
    runs = runs.dropna(subset=[y])
    numbers = _numeric(runs[x])
    style.apply()
    fig, (ax,) = style.figure(width=6, height=4)
    numeric = numbers is not None and runs[x].nunique() > 1
    palette = "colorblind" if hue else None
    if numeric:
        runs[x] = numbers
        sns.lineplot(data=runs, x=x, y=y, hue=hue, estimator="median", errorbar=BAND, marker="o", ax=ax,
                     palette=palette)
    else:
        runs[x] = runs[x].astype(str)
        sns.pointplot(data=runs, x=x, y=y, hue=hue, estimator="median", errorbar=BAND, ax=ax,
                      dodge=0.3 if hue else False, palette=palette)
    if len(runs) <= 500:  # single runs as dots, while they stay readable
        sns.stripplot(data=runs, x=x, y=y, ax=ax, color="0.35", size=3, alpha=0.5, native_scale=numeric,
                      legend=False)
    seeds = runs.groupby([c for c in (x, hue) if c], dropna=False).size()
    title = ", ".join(sorted(runs.experiment.unique()))
    ax.set_title(f"{title}: {y.removeprefix('metric.')} by {x.removeprefix('param.')}")
    ax.set_xlabel(x.removeprefix("param."))
    ax.set_ylabel(y.removeprefix("metric."))
    style.note(fig, f"band: 5-95% of runs at each value ({seeds.min()}-{seeds.max()} runs each); "
                    "dots: single runs. A gap inside the band is seed noise.")
    return style.save(fig, out)


def default_path(metric: str, param: str, by: str | None, experiment: str | None) -> Path:
    name = "__".join(filter(None, [experiment, metric, param, by]))
    return catalog.RESULTS / "compare" / (re.sub(r"[^A-Za-z0-9_.=-]+", "_", name) + ".png")


def summary(runs: pd.DataFrame, metric: str, param: str, by: str | None) -> pd.DataFrame:
    """The numbers behind the figure: median and 5-95% range of the metric per param value (and group)."""
    y, x = _column(runs, metric, "metric"), _column(runs, param, "param")
    keys = [x] + ([_column(runs, by, "param")] if by else [])
    grouped = runs.groupby(keys, dropna=False)[y]
    return pd.DataFrame({"runs": grouped.size(), "median": grouped.median(), "p5": grouped.quantile(0.05),
                         "p95": grouped.quantile(0.95)}).reset_index()

