"""Section gpu: one forward pass timed on the CPU and on CUDA, and the breadth x depth sweep on whatever device
the run got (CUDA when present: the catalog marks both `gpu=1`, and `device: auto` gives them the GPU)."""

from __future__ import annotations

import statistics
import time
from typing import Any, Mapping

import numpy as np
import pandas as pd
import torch
from torch import nn

from dudl.data import mnist
from dudl.experiments.ffn import breadth_depth_combine as ffn_breadth_depth_combine
from dudl.experiments.mnist_recipe import load_mnist, mnist_data, train_mnist
from dudl.experiments.training import sgd
from dudl.models.mlp import MLP, mlp
from dudl.results import Result

P = Mapping[str, Any]


@torch.no_grad()
def time_forward(model: nn.Module, x: torch.Tensor, repeats: int) -> tuple[torch.Tensor, float]:
    """(the output, median milliseconds of one forward pass), synchronizing CUDA around each pass."""
    sync = torch.cuda.synchronize if x.device.type == "cuda" else (lambda: None)
    out, times = model(x), []  # the first pass warms up (CUDA kernels, allocator) and is not timed
    for _ in range(repeats):
        sync()
        start = time.perf_counter()
        out = model(x)
        sync()
        times.append((time.perf_counter() - start) * 1000)
    return out, statistics.median(times)


def implement(p: P, ctx) -> Result:
    ctx.torch_seed("net")
    model = mlp(p["layers"])
    x = torch.randn(p["samples"], p["layers"][0])
    cpu_out, cpu_ms = time_forward(model.cpu(), x, p["repeats"])
    rows = [{"device": "cpu", "median_ms": cpu_ms}]
    metrics: dict[str, Any] = {"ran_on_cuda": 0, "output_rows": int(cpu_out.shape[0]),
                               "output_columns": int(cpu_out.shape[1])}
    data = {"cpu_outputs": cpu_out.numpy()}
    if torch.cuda.is_available():
        gpu_out, gpu_ms = time_forward(model.cuda(), x.cuda(), p["repeats"])
        rows.append({"device": torch.cuda.get_device_name(0), "median_ms": gpu_ms})
        metrics.update(ran_on_cuda=1, max_abs_diff_cpu_gpu=float((gpu_out.cpu() - cpu_out).abs().max()))
        data["gpu_outputs"] = gpu_out.cpu().numpy()
    return Result(metrics=metrics, summary=pd.DataFrame(rows), data=data)


def breadth_depth_point(p: P, ctx, run: str) -> Result:
    """One net of the port on ctx.device: the input layer without ReLU, log_softmax output, NLLLoss."""
    layers, units = (int(part[1:]) for part in run.split("_"))
    data = mnist_data(p, ctx, *load_mnist(ctx))
    model, history, _ = train_mnist(p, ctx, data, ("run", run), make_optimizer=sgd(p["lr"]), loss_fn=nn.NLLLoss(),
                                    build=lambda: MLP(mnist.PIXELS, units, layers, mnist.CLASSES, input_relu=False,
                                                      output="logsoftmax"))
    n = p["last_epochs"]
    row = {"run": run, "hidden_layers": layers, "units": units, "device": str(ctx.device),
           "parameters": sum(q.numel() for q in model.parameters()),
           "train_acc": float(history.last("train_acc", n)), "test_acc": float(history.last("test_acc", n)),
           "seconds": history.seconds}
    return Result(metrics={"train_acc": row["train_acc"], "test_acc": row["test_acc"],
                           "parameters": row["parameters"], "ran_on_cuda": int(ctx.device.type == "cuda")},
                  summary=pd.DataFrame([row]), history=history.frame())


def breadth_depth_combine(p: P, ctx, parts: Mapping[str, Result]) -> Result:
    combined = ffn_breadth_depth_combine(p, ctx, parts)
    combined.metrics["ran_on_cuda"] = int(all(part.metrics.get("ran_on_cuda", 0) for part in parts.values()))
    return combined
