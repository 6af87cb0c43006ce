"""Each job's peak memory (Snakemake's benchmark files) against the mem_mb its rule declares, and the 4 GB line.

    python tools/check_memory.py [PROJECT]      # after a cold run (DUDL_WARM unset), e.g. `make run` or `make repro`

Prints the jobs nearest their declaration, then every job over it or over 4 GB; exits 1 if there is one. A warm
run (DUDL_WARM=1) measures only each job's client, so its files say nothing here. tests/test_integration_dvc.py
checks the same on a small cold run in every CI.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from dudl import params as P  # noqa: E402
from dudl import resources  # noqa: E402

LINE_MB = 4000


def main(project: Path) -> int:
    config = P.load(project)
    rows = sorted(((peak / declared, peak, declared, bench.relative_to(project))
                   for bench, peak, declared in resources.peak_memory(project, config)), reverse=True)
    for share, peak, declared, bench in rows[:5]:
        print(f"{peak:8.0f} MB of {declared:6d} declared ({share:4.0%})  {bench}")
    bad = [r for r in rows if r[0] > 1]  # over 4 GB is allowed only where the declaration says so, i.e. is over too
    for share, peak, declared, bench in bad:
        print(f"OVER: {bench}: {peak:.0f} MB, declared {declared}")
    largest = max(r[1] for r in rows)
    print(f"{len(rows)} jobs, {len(bad)} over their declaration; the largest peak {largest:.0f} MB"
          f"{' (over 4 GB)' if largest > LINE_MB else ''}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".")))
