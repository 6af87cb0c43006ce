"""How much faster the whole pipeline runs at `--cores N` than at `--cores 1`: two complete Snakemake runs from
nothing (fetch, prepare, every run, figures, index, report), each in its own copy of this working tree, at a small
scale, then their wall times and whether they wrote the same metrics.

    python tools/cores_speedup.py                      # scale 0.02 (the tests' smoke DAG), --cores 2 against 1
    python tools/cores_speedup.py --scale 0.1          # the quick profile's scale: about 1.2 job-hours here

Jobs start warm (DUDL_WARM=1), as `make quick` runs them. The run at N cores goes first, so that a warm server
left by it can only help the 1-core run: the ratio is, if anything, understated. Datasets come from DUDL_MIRROR.
Not a test: timings depend on the machine, and the machine should be otherwise idle while it runs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dag_overhead import copy_tree, sh  # noqa: E402


def set_scale(root: Path, scale: float) -> None:
    path = root / "params.yaml"
    text, n = re.subn(r"^scale: .*$", f"scale: {scale}", path.read_text(), count=1, flags=re.M)
    if n != 1:
        raise SystemExit(f"{path}: no top-level `scale:` line to set")
    path.write_text(text)


def complete_run(root: Path, cores: int) -> tuple[float, str]:
    """Wall seconds of `snakemake --cores N` from nothing, and Snakemake's last progress line."""
    start = time.perf_counter()
    done = sh([sys.executable, "-m", "snakemake", "--cores", str(cores), "--keep-going", "--rerun-incomplete",
               "--scheduler-subsample", "32"], root, check=False)
    seconds = time.perf_counter() - start
    steps = re.findall(r"^(\d+ of \d+ steps \(\d+%\) done)", done.stderr, re.M)
    if done.returncode:
        print(done.stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"snakemake --cores {cores} failed ({done.returncode}) in {root}")
    return seconds, steps[-1] if steps else "no jobs"


def metrics(root: Path) -> dict[str, dict]:
    return {str(p.relative_to(root)): json.loads(p.read_text())["metrics"] for p in root.glob("results/**/metrics.json")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.02)
    parser.add_argument("--cores", type=int, default=2, help="the parallel run's cores (against 1)")
    parser.add_argument("--keep", type=Path, help="run in this folder and keep both projects")
    args = parser.parse_args()
    os.environ.setdefault("DUDL_WARM", "1")  # as `make quick` runs its jobs
    os.environ["DUDL_PROGRESS"] = "0"
    if not os.environ.get("DUDL_MIRROR"):
        raise SystemExit("set DUDL_MIRROR to the dataset mirror (offline, nothing else can be fetched)")
    scratch = args.keep or Path(tempfile.mkdtemp(prefix="dudl-cores-"))
    walls, projects = {}, {}
    for cores in (args.cores, 1):
        root = copy_tree(None, scratch / f"cores{cores}")
        set_scale(root, args.scale)
        walls[cores], steps = complete_run(root, cores)
        projects[cores] = metrics(root)
        print(f"--cores {cores}: {walls[cores]:.0f} s ({steps}), {len(projects[cores])} metrics.json", flush=True)
    same = projects[1] == projects[args.cores]
    print(f"metrics.json at --cores {args.cores} and 1: {'identical' if same else 'DIFFERENT'}")
    print(f"speed-up at --cores {args.cores} over --cores 1, scale {args.scale}: {walls[1] / walls[args.cores]:.2f}x")
    if not args.keep:
        import shutil

        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
