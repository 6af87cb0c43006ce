# results/index.csv: one row per course notebook (done / skipped and why); results/scorecard.csv: our numbers
# against the course's reference ranges. `snakemake --report results/report.html` then collects the figures.


rule index:
    input:
        [str(e.out_dir / "metrics.json") for e in RUNNABLE],
        [str(e.figure_dir) for e in RUNNABLE],
    output:
        "results/index.csv",
        "results/scorecard.csv",
    params:
        skipped=json.dumps(SKIPPED, sort_keys=True),
    log:
        "logs/index.log",
    benchmark:
        "benchmarks/index.tsv"
    threads: 1
    conda:
        CONDA_ENV
    shell:
        "dudl index --skipped {params.skipped:q} > {log} 2>&1"

