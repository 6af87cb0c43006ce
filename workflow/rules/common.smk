# Shared values for the rules, computed once at parse time from the catalog and the (validated) config.
import json
import sys

from dudl import catalog, dvcgen, index
from dudl import params as P
from dudl.data import fetch as F
from dudl.data import prepare as PREP
from dudl.data import registry

SCALE = P.Scale(float(config["scale"]))
MIRRORS = F.mirror_roots(config.get("data", {}).get("mirrors", []))

# Experiments whose data can be had from nowhere (offline, no mirror) leave the DAG; results/index.csv and
# this warning say which, why, and how to provide the data.
SKIPPED = index.skipped_experiments(config)
RUNNABLE = [e for e in catalog.EXPERIMENTS if e.id not in SKIPPED]
for _id, _why in SKIPPED.items():
    print(f"dudl: skipping {_id}: {_why}", file=sys.stderr)

PIPELINE_DATASETS = [
    ds
    for ds in dvcgen.pipeline_datasets()
    if F.unavailable_reason(ds, mirrors=MIRRORS) is None
]
RESOURCES = config.get("resources", {})
CONDA_ENV = "../envs/dudl.yaml"  # relative to workflow/rules/
