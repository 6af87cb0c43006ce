"""`python -m benchmarks` (`make bench`): ten representative experiments, each trained by a reference written the
way the course's notebooks write it and by the pipeline's own `dudl run`, with the same model, data, batch size,
epochs and sweep, alternated in one session; times, their ratio, both metrics and whether they agree.

    python -m benchmarks                     # the default bounds, two alternated rounds (about 10-15 minutes here)
    python -m benchmarks --quick             # smaller bounds, one round (a few minutes)
    python -m benchmarks --only ffn_on_mnist,cnn4mnist --repeats 3
    python -m benchmarks --list              # the experiments and their bounds

Each side runs as a whole process, as a notebook and a Snakemake job each pay it (python start, imports, data):
the reference as `python -m benchmarks.reference NAME PARAMS`, ours as `python -m dudl --set ... run EXPERIMENT`
in a scratch project root whose data/ is this checkout's prepared data. Rounds alternate (reference, ours,
reference, ours ...), each round with the next seed on both sides, and the fastest run of each side counts; the
metrics are the means over the rounds. Writes <out>/bench.csv and <out>/speedup.png and ends with the line
`median speedup: X.XX`. Not a test: timings depend on the machine and its load; the ratios are what to read.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.cases import CASES, Case

ROOT = Path(__file__).resolve().parents[1]
FIELDS = ["experiment", "dudl_run", "bound", "repeats", "threads", "ref_s", "ours_s", "speedup", "ref_metric",
          "ours_metric", "metric", "tolerance", "agree"]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="smaller bounds, one round: a few minutes")
    mode.add_argument("--smoke", action="store_true", help="the smallest bounds, one round, both sides in this "
                      "process (no start-up in the times): checks that the harness works, measures nothing")
    parser.add_argument("--only", help="comma-separated experiment names (e.g. ffn_on_mnist,cnn4mnist); --list "
                        "names them")
    parser.add_argument("--repeats", type=int, help="alternated rounds (default 2; --quick and --smoke 1)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads of either side (default 1, what a "
                        "pipeline job gets)")
    parser.add_argument("--seed", type=int, default=17, help="the first round's seed; round r uses seed + r")
    parser.add_argument("--out", default="results/bench", help="folder for bench.csv and speedup.png")
    parser.add_argument("--data-root", default=str(ROOT), help="a project root whose data/processed holds the "
                        "prepared datasets (missing ones are fetched from DUDL_MIRROR and prepared there first)")
    parser.add_argument("--in-process", action="store_true", help="run both sides in this process (--smoke does)")
    parser.add_argument("--list", action="store_true", help="print the experiments and their bounds, run nothing")
    args = parser.parse_args(argv)
    args.mode = "smoke" if args.smoke else "quick" if args.quick else "default"
    args.repeats = args.repeats or (2 if args.mode == "default" else 1)
    args.in_process = args.in_process or args.smoke
    return args


def selected(only: str | None) -> list[Case]:
    if not only:
        return list(CASES)
    names = [n.strip() for n in only.split(",") if n.strip()]
    by_name = {c.reference_name: c for c in CASES} | {c.experiment: c for c in CASES}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise SystemExit(f"unknown experiment(s) {', '.join(unknown)}; choose from "
                         f"{', '.join(c.reference_name for c in CASES)}")
    return [by_name[n] for n in names]


def ensure_data(cases: list[Case], data_root: Path) -> None:
    """Fetch (from the mirror) and prepare every dataset the cases read, outside the timings."""
    from dudl import catalog
    from dudl import params as P
    from dudl.data import fetch, prepare, registry

    keys = sorted({k for c in cases for k in catalog.get(c.experiment).datasets})
    for key in keys:
        ds = registry.get(key)
        if all((data_root / p).exists() for p in ds.prepared_paths()):
            continue
        print(f"preparing {key} in {data_root / 'data'} (not timed)", flush=True)
        fetch.fetch(ds, data_root, fetch.mirror_roots(), log=lambda m: print(m, file=sys.stderr))
        prepare.prepare(ds, P.load(ROOT), data_root, log=lambda m: print(m, file=sys.stderr))


def scratch_root(data_root: Path) -> Path:
    """A project root for ours' outputs: params.yaml and the data link; results land here, not in results/."""
    root = Path(tempfile.mkdtemp(prefix="dudl-bench-"))
    shutil.copy(ROOT / "params.yaml", root / "params.yaml")
    (root / "data").symlink_to((data_root / "data").resolve(), target_is_directory=True)
    return root


def reference_job(case: Case, overrides: list[str], seed: int, threads: int, data_root: Path) -> dict:
    from dudl import params as P

    section, name = case.experiment.split("/")
    params = P.load(ROOT, overrides=[*overrides, f"seed={seed}"])
    return {"experiment": P.experiment_slice(params, section, name)["experiment"], "scale": params["scale"],
            "seed": seed, "threads": threads, "data_root": str(data_root)}


def run_reference(case: Case, job: dict, in_process: bool) -> tuple[float, float]:
    start = time.perf_counter()
    if in_process:
        from benchmarks import reference

        metric = reference.run(case.reference_name, job)
    else:
        done = subprocess.run([sys.executable, "-m", "benchmarks.reference", case.reference_name, json.dumps(job)],
                              cwd=ROOT, capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"reference {case.reference_name} failed:\n{done.stderr[-3000:]}")
        metric = json.loads(done.stdout.strip().splitlines()[-1])["metric"]
    return time.perf_counter() - start, float(metric)


def run_ours(case: Case, overrides: list[str], seed: int, threads: int, root: Path, in_process: bool
             ) -> tuple[float, float]:
    argv = ["--root", str(root)]
    for item in [*overrides, f"seed={seed}"]:
        argv += ["--set", item]
    argv += ["run", case.experiment, "--quiet", "--threads", str(threads)]
    start = time.perf_counter()
    if in_process:
        import contextlib
        import io

        from dudl import cli

        with contextlib.redirect_stdout(io.StringIO()):  # its metrics, which metrics.json holds too
            cli.main(argv)
    else:
        done = subprocess.run([sys.executable, "-m", "dudl", *argv], cwd=root, capture_output=True, text=True,
                              env={**os.environ, "DUDL_PROGRESS": "0"})
        if done.returncode:
            raise RuntimeError(f"dudl run {case.experiment} failed:\n{done.stderr[-3000:]}")
    took = time.perf_counter() - start
    from dudl import catalog

    metrics = json.loads((root / catalog.get(case.experiment).out_dir / "metrics.json").read_text())["metrics"]
    return took, case.ours(metrics)


def measure(case: Case, args, root: Path) -> dict:
    """`args.repeats` alternated rounds (reference, then ours), round r at seed + r on both sides."""
    overrides = case.overrides(args.mode)
    data_root = Path(args.data_root)
    times: dict[str, list[float]] = {"ref": [], "ours": []}
    metrics: dict[str, list[float]] = {"ref": [], "ours": []}
    for r in range(args.repeats):
        seed = args.seed + r
        job = reference_job(case, overrides, seed, args.threads, data_root)
        for side, run in (("ref", lambda: run_reference(case, job, args.in_process)),
                          ("ours", lambda: run_ours(case, overrides, seed, args.threads, root, args.in_process))):
            took, value = run()
            times[side].append(took)
            metrics[side].append(value)
            print(f"  {case.reference_name:24s} round {r + 1} {side:4s} {took:7.1f} s  {case.metric} {value:.4g}",
                  flush=True)
    ref_s, ours_s = min(times["ref"]), min(times["ours"])
    ref_m, ours_m = statistics.fmean(metrics["ref"]), statistics.fmean(metrics["ours"])
    return {"experiment": case.name, "dudl_run": case.experiment, "bound": case.bound_text(args.mode),
            "repeats": args.repeats, "threads": args.threads, "ref_s": round(ref_s, 3), "ours_s": round(ours_s, 3),
            "speedup": round(ref_s / ours_s, 3), "ref_metric": round(ref_m, 6), "ours_metric": round(ours_m, 6),
            "metric": case.metric, "tolerance": case.tolerance_text(), "agree": case.agree(ref_m, ours_m)}


def table(rows: list[dict]) -> str:
    head = (f"{'experiment':28s} {'ref s':>7s} {'ours s':>7s} {'ref/ours':>8s}  {'ref metric':>10s} "
            f"{'ours metric':>11s}  {'tolerance':>11s} agree  metric; bound")
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r['experiment']:28s} {r['ref_s']:7.1f} {r['ours_s']:7.1f} {r['speedup']:7.2f}x  "
                     f"{r['ref_metric']:10.4g} {r['ours_metric']:11.4g}  {r['tolerance']:>11s} "
                     f"{'yes' if r['agree'] else 'NO':5s}  {r['metric']}; {r['bound']}")
    return "\n".join(lines)


def write_csv(rows: list[dict], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def chart(rows: list[dict], path: Path, title: str) -> Path:
    """Speed-up per experiment (reference / ours), a bar each, 1x as the grey dashed reference line."""
    import pandas as pd
    import seaborn as sns

    from dudl.plots import style

    style.apply()
    frame = pd.DataFrame(rows).sort_values("speedup", ascending=False)
    fig, (ax,) = style.figure(width=7.5, height=0.38 * len(frame) + 1.4)
    sns.barplot(frame, x="speedup", y="experiment", color=style.TRAIN, ax=ax)
    ax.axvline(1.0, **style.REFERENCE)
    for i, (value, agree) in enumerate(zip(frame["speedup"], frame["agree"])):
        ax.text(value, i, f" {value:.2f}x" + ("" if agree else " (metrics differ)"), va="center", fontsize=8)
    ax.set(xlabel="speed-up: course-style reference time / pipeline time (whole processes)", ylabel="", title=title)
    return style.save(fig, path)


def main(argv=None) -> int:
    args = parse_args(argv)
    cases = selected(args.only)
    if args.list:
        for c in CASES:
            print(f"{c.reference_name:24s} dudl run {c.experiment}\n    " + "\n    ".join(
                f"{mode:7s} {c.bound_text(mode)}" for mode in ("default", "quick", "smoke")))
        return 0
    data_root = Path(args.data_root).resolve()
    args.data_root = str(data_root)
    ensure_data(cases, data_root)
    root = scratch_root(data_root)
    started = time.perf_counter()
    print(f"benchmarks ({args.mode}): {len(cases)} experiments, {args.repeats} alternated round(s), "
          f"{args.threads} thread(s) a side, {'in this process' if args.in_process else 'each a whole process'}",
          flush=True)
    rows = []
    try:
        for case in cases:
            rows.append(measure(case, args, root))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    out = Path(args.out)
    if not out.is_absolute():
        out = ROOT / out
    write_csv(rows, out / "bench.csv")
    median = statistics.median(r["speedup"] for r in rows)
    chart(rows, out / "speedup.png", f"Pipeline vs course-style loops ({args.mode}): median {median:.2f}x")
    print()
    print(table(rows))
    print(f"\nwall time {time.perf_counter() - started:.0f} s; {out / 'bench.csv'}, {out / 'speedup.png'}")
    assert all(math.isfinite(r["speedup"]) for r in rows)
    print(f"median speedup: {median:.2f}")
    return 0
