"""The pipeline DAG's critical path: the chain of jobs that bounds the wall time of `snakemake --cores N`, however
large N is, next to the other bound, total job-seconds / N.

    python tools/critical_path.py                       # params.yaml's scale, 2 cores, logs/benchmarks
    python tools/critical_path.py --scale 0.1 --cores 8 --top 15

The DAG is regular (dudl.catalog generates it): for each experiment, fetch -> prepare of each dataset, then its
run job, or its sweep-point jobs side by side and a gather job, then its figures job; every experiment feeds the
index job, then the report. A job's seconds come from its Snakemake benchmark file (logs/benchmarks/...) where
the last run left one, else from src/dudl/catalog/cpu_times.csv (job-seconds measured in an earlier complete run,
split evenly over the sweep's points, since that table keeps one total per experiment), else from the catalog's
estimate; each line says which. Experiments left out of the DAG here (no data offline, GPU-scale without CUDA)
are left out of the path too.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from dudl import catalog, index, resources  # noqa: E402
from dudl import params as P  # noqa: E402

FIGURES_S = 3.5  # a figures job without a benchmark file: python, matplotlib and seaborn, one small figure


@dataclass
class Chain:
    experiment: str
    jobs: list[tuple[str, float, str]] = field(default_factory=list)  # (job, seconds, source)

    @property
    def seconds(self) -> float:
        return sum(s for _, s, _ in self.jobs)


def bench_seconds(path: Path) -> float | None:
    """Wall seconds of a Snakemake benchmark file (its `s` column), or None when there is none."""
    try:
        lines = path.read_text().splitlines()
        return float(lines[1].split("\t")[0])
    except (OSError, IndexError, ValueError):
        return None


def experiment_chain(exp: catalog.Experiment, config: dict, bench: Path) -> tuple[Chain, float]:
    """The longest chain through one experiment's jobs, and the job-seconds of all of them (shared dataset jobs
    not counted here)."""
    scale = float(config["scale"])
    chain = Chain(exp.id)
    data = []
    for key in exp.datasets_for(config):
        steps = [(f"fetch {key}", bench_seconds(bench / "data" / f"fetch_{key}.tsv")),
                 (f"prepare {key}", bench_seconds(bench / "data" / f"prepare_{key}.tsv"))]
        data.append([(name, s or 0.0, "benchmark" if s is not None else "not measured") for name, s in steps])
    if data:
        chain.jobs += max(data, key=lambda steps: sum(s for _, s, _ in steps))
    folder = bench / exp.section / exp.name
    total, source = resources.cpu_seconds(exp, scale)
    labels = [catalog.point_label(v) for v in resources.split_points(exp, config)]
    job_seconds = 0.0
    if labels:
        points = {label: bench_seconds(folder / f"point_{label}.tsv") for label in labels}
        even = total / len(labels)
        timed = {label: (s, "benchmark") if s is not None else (even, f"{source}, total / {len(labels)} points")
                 for label, s in points.items()}
        longest = max(timed, key=lambda label: timed[label][0])
        chain.jobs.append((f"{exp.id} point {longest} (longest of {len(labels)})", *timed[longest]))
        job_seconds += sum(s for s, _ in timed.values())
        gather = bench_seconds(folder / "run.tsv")
        chain.jobs.append((f"{exp.id} gather", gather or 0.0, "benchmark" if gather is not None else "not measured"))
    else:
        run = bench_seconds(folder / "run.tsv")
        chain.jobs.append((f"{exp.id} run", *((run, "benchmark") if run is not None else (total, source))))
    figures = bench_seconds(folder / "figures.tsv")
    chain.jobs.append((f"{exp.id} figures",
                       *((figures, "benchmark") if figures is not None else (FIGURES_S, "typical"))))
    job_seconds += sum(s for name, s, _ in chain.jobs if not name.startswith(("fetch", "prepare", f"{exp.id} point")))
    return chain, job_seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, help="default: params.yaml's")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--benchmarks", type=Path, default=ROOT / "logs" / "benchmarks")
    parser.add_argument("--top", type=int, default=10, help="how many of the longest experiment chains to list")
    args = parser.parse_args(argv)

    config = P.load(ROOT)
    if args.scale is not None:
        config["scale"] = args.scale
    left_out = index.skipped_experiments(config, ROOT)
    chains, total = [], 0.0
    for exp in catalog.EXPERIMENTS:
        if exp.id in left_out:
            continue
        chain, seconds = experiment_chain(exp, config, args.benchmarks)
        chains.append(chain)
        total += seconds
    index_s = bench_seconds(args.benchmarks / "index.tsv")
    tail = [("index", index_s or 0.0, "benchmark" if index_s is not None else "not measured"),
            ("report_html", 0.0, "not measured")]
    chains.sort(key=lambda c: -c.seconds)
    critical = chains[0]
    path = critical.seconds + sum(s for _, s, _ in tail)
    print(f"scale {config['scale']:g}, {len(chains)} experiments in the DAG ({len(left_out)} left out here)")
    print(f"\ncritical path: {path / 60:.1f} min, through {critical.experiment}")
    for name, seconds, source in critical.jobs + tail:
        print(f"  {seconds:9.1f} s  {name}  [{source}]")
    print(f"\nthe {args.top} longest chains:")
    for chain in chains[:args.top]:
        print(f"  {chain.seconds / 60:7.1f} min  {chain.experiment}")
    bound = max(path, total / args.cores)
    print(f"\njob-seconds in all: {total / 3600:.2f} h; / {args.cores} cores = {total / args.cores / 3600:.2f} h")
    print(f"wall time at --cores {args.cores} is at least {bound / 3600:.2f} h "
          f"({'the critical path' if path >= total / args.cores else 'the work spread over the cores'} bounds it)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
