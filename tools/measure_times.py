"""Write src/dudl/catalog/cpu_times.csv from the Snakemake benchmark files of a complete run.

    python tools/measure_times.py logs/benchmarks 1.0      # after `snakemake --cores 2` at scale 1.0
    python tools/measure_times.py logs/benchmarks 0.1      # after `snakemake --profile profiles/quick`

Each experiment's time is the job-seconds of its run (or gather) job plus its sweep-point jobs, i.e. about what
it takes alone on one core of this 2-core machine. Only the measured experiments' rows of the given scale are replaced; every other row is kept, so a run of a
few experiments (snakemake <targets>) updates just those.
`dudl list` reads the file; dudl.resources interpolates between measured scales.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from dudl import catalog  # noqa: E402
from dudl.resources import CPU_TIMES  # noqa: E402

HEADER = "# job-seconds per experiment on the 2-core development machine; written by tools/measure_times.py\n"


def measure(bench: Path) -> dict[str, float]:
    times = {}
    for exp in catalog.EXPERIMENTS:
        folder = bench / exp.section / exp.name
        files = [folder / "run.tsv", *sorted(folder.glob("point_*.tsv"))]
        if not all(f.exists() for f in files[:1]):
            continue
        times[exp.id] = round(sum(float(pd.read_csv(f, sep="\t")["s"].iloc[0]) for f in files), 2)
    return times


def main(bench: str, scale: str) -> None:
    scale_value = float(scale)
    measured = measure(Path(bench))
    rows = []
    if CPU_TIMES.exists():
        with open(CPU_TIMES, newline="") as fh:
            rows = [r for r in csv.DictReader(l for l in fh if not l.startswith("#"))
                    if not (float(r["scale"]) == scale_value and r["experiment"] in measured)]
    rows += [{"experiment": k, "scale": f"{scale_value:g}", "seconds": v} for k, v in measured.items()]
    rows.sort(key=lambda r: (r["experiment"], -float(r["scale"])))
    with open(CPU_TIMES, "w", newline="") as fh:
        fh.write(HEADER)
        writer = csv.DictWriter(fh, fieldnames=["experiment", "scale", "seconds"])
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {CPU_TIMES} ({len(rows)} rows; {len(measured)} measured at scale {scale_value:g})")


if __name__ == "__main__":
    main(*sys.argv[1:3])
