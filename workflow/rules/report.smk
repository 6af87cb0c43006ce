# results/index.csv: one row per course notebook (done / skipped and why); results/scorecard.csv: the course's
# references against our runs over every seed present; results/runs.csv: one row per run.
# results/report.html (dudl report): every figure with its caption by section, the scorecard, the runs.
# `snakemake --report results/workflow_report.html` is Snakemake's own report (figures with provenance).


rule index:
    input:
        [str(e.out_dir / "metrics.json") for e in RUNNABLE],
        [str(e.figure_dir) for e in RUNNABLE],
        SEED_RUNS,
    output:
        "results/index.csv",
        "results/scorecard.csv",
        "results/runs.csv",
    params:
        skipped=json.dumps(SKIPPED, sort_keys=True),
    log:
        "logs/index.log",
    benchmark:
        "logs/benchmarks/index.tsv"
    threads: 1
    resources:
        **resources.JOBS["index"],
    conda:
        CONDA_ENV
    shell:
        "dudl index --skipped {params.skipped:q} > {log} 2>&1"




rule report_html:
    input:
        rules.index.output,
    output:
        "results/report.html",
    log:
        "logs/report.log",
    threads: 1
    resources:
        **resources.JOBS["index"],
    conda:
        CONDA_ENV
    shell:
        "dudl report > {log} 2>&1"


# `snakemake repro` (make repro): the whole pipeline, then every experiment with a course reference over
# repro.seeds seeds; the index and scorecard are written again over all of them, and the scorecard's summary
# line (how many checks reproduced, differ, are identities) goes to results/repro.txt.
rule repro:
    input:
        rules.index.output,
        REPRO_RUNS,
    output:
        "results/repro.txt",
    params:
        skipped=json.dumps(SKIPPED, sort_keys=True),
    log:
        "logs/repro.log",
    threads: 1
    resources:
        **resources.JOBS["index"],
    conda:
        CONDA_ENV
    shell:
        "(dudl index --skipped {params.skipped:q} --summary {output} && dudl report) > {log} 2>&1"
