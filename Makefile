# The two set-up commands of the README: `make run` (the whole pipeline) and `make test` (the tests).
# Each creates the virtualenv (.venv) on first use. `make quick` runs the whole pipeline at scale 0.1.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CORES ?= all
# Test workers (pytest-xdist, a test file to a worker): the Snakemake end-to-end run (scale 0.02) on one, DVC's
# and every other test file on the other; `make test TEST_WORKERS=0` runs them all in one process.
TEST_WORKERS ?= 2
# Rules and DVC stages call `dudl`, `snakemake` and `dvc` by name: the venv's bin comes first on PATH.
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: run quick repro test bench lint report dvc-yaml clean

# The C++ training step (src/dudl/backprop_native.cpp) is compiled here, once, so that pipeline jobs only load it;
# where it cannot be built, the pipeline trains with the Python step (the same numbers) and this says why.
$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/python -m dudl.backprop_native || true
	touch $@

run: $(BIN)/.installed
	$(BIN)/snakemake --cores $(CORES)
	$(BIN)/snakemake --report results/workflow_report.html

# Warm start (src/dudl/warm.py): at scale 0.1 the imports of torch and seaborn are much of each job's time.
quick: $(BIN)/.installed
	DUDL_WARM=1 $(BIN)/snakemake --profile profiles/quick
	$(BIN)/snakemake --profile profiles/quick --report results/workflow_report.html

# Every experiment with a course reference over repro.seeds seeds (params.yaml), then the scorecard over them.
repro: $(BIN)/.installed
	$(BIN)/snakemake --cores $(CORES) repro
	cat results/repro.txt

test: $(BIN)/.installed
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope --no-loadscope-reorder --durations=25

# The pipeline against course-style references, side by side (benchmarks/README.md): results/bench/, and the line
# `median speedup: X.XX`. Not part of `make test`: timings are read as ratios, on demand.
bench: $(BIN)/.installed
	$(BIN)/python -m benchmarks

lint: $(BIN)/.installed
	$(BIN)/snakemake --lint
	$(BIN)/dudl dvc-yaml --check
	$(BIN)/dudl schema --check

report: $(BIN)/.installed
	$(BIN)/snakemake --report results/workflow_report.html

dvc-yaml: $(BIN)/.installed
	$(BIN)/dudl dvc-yaml --write

clean:
	rm -rf results/*/ results/*.csv results/*.html results/repro.txt logs .snakemake
