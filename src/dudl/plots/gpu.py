"""Figures of section gpu."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from dudl.plots import ffn, style
from dudl.results import Result


def implement(result: Result, p: Mapping[str, Any]):
    d, m = result.data, result.metrics
    fig, (ax,) = style.figure(width=7.0, height=3.8)
    cpu = np.asarray(d["cpu_outputs"])
    for k in range(cpu.shape[1]):
        ax.plot(cpu[:, k], linewidth=0.8, label=f"output {k} (CPU)")
    if "gpu_outputs" in d:
        gpu = np.asarray(d["gpu_outputs"])
        for k in range(gpu.shape[1]):
            ax.plot(gpu[:, k], ".", markersize=2, label=f"output {k} (GPU)")
        title = f"CPU and GPU outputs: largest difference {m['max_abs_diff_cpu_gpu']:.1e}"
    else:
        title = "No CUDA here: the outputs were computed on the CPU only"
    ax.set(xlabel="Sample", ylabel="Model output", title=title)
    ax.legend(fontsize=7, ncols=2)
    timing, (ax2,) = style.figure(width=4.8, height=3.8)
    s = result.summary
    ax2.bar(s["device"], s["median_ms"], color=[style.TRAIN, style.TEST][:len(s)])
    ax2.set(ylabel="Median forward pass (ms)",
            title="CPU against GPU" if m["ran_on_cuda"] else "CPU only (no CUDA on this machine)")
    return {"outputs": fig, "timing": timing}


def breadth_depth(result: Result, p: Mapping[str, Any]):
    figures = ffn.breadth_depth(result, p)
    where = "on CUDA" if result.metrics.get("ran_on_cuda") else "on the CPU (no CUDA here)"
    figures["accuracy_by_units"].suptitle(f"Breadth x depth {where}: test accuracy "
                                          f"{result.metrics['min_test_acc']:.1f} to "
                                          f"{result.metrics['max_test_acc']:.1f}%")
    return figures
