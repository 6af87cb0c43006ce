"""Section gpu (course folder GPU/): 2 notebooks, the same work on the CPU and (where CUDA is present) the GPU.
Without CUDA both run on the CPU; their captions and metrics (`ran_on_cuda`) say so. Timings depend on the
machine, so they stay out of the metrics: they are in summary.csv and the figures."""

from dudl.catalog import Expect, Experiment
from dudl.catalog.ffn import BreadthDepthParams, breadth_depth_points
from dudl.paramspec import Block, Count, Layers, Samples

S = "gpu"


class GpuImplementParams(Block):
    """GPU_implement: Implementation."""

    layers: Layers
    samples: Samples
    repeats: Count     # forward passes timed on each device (the figure shows their median)


class BreadthDepthGpuParams(BreadthDepthParams):
    """GPU_CodeChallenge2GPU: CodeChallenge: Run an experiment on the GPU."""


EXPERIMENTS = [
    Experiment(
        S, "implement", ("GPU_implement",), "Implementation",
        figures={
            "outputs": "The two outputs of a 20-100-500-30-2 ReLU net for 1,000 random samples, computed on the CPU "
                       "and, where CUDA is present, on the GPU (drawn over each other; the title gives the largest "
                       "difference). Without CUDA the GPU line is missing and the title says so.",
            "timing": "Median time of one forward pass of the 1,000 samples on each device (milliseconds; GPU "
                      "timings after torch.cuda.synchronize). Machine-dependent: not in the metrics.",
        },
        expect=(Expect("output_columns", 2, 2, "catalog: two outputs per sample (exact)"),),
        params=GpuImplementParams, gpu=1,
    ),
    Experiment(
        S, "breadth_depth", ("GPU_CodeChallenge2GPU",), "CodeChallenge: Run an experiment on the GPU",
        datasets=("mnist",),
        figures={
            "accuracy_by_units": "FFN_CodeChallengeBreadthDepth ported to the GPU (no ReLU after the input layer, "
                                 "log_softmax and NLLLoss, SGD lr .01, 60 epochs): mean train and test accuracy "
                                 "over the last 5 epochs against units per hidden layer, one line per number of "
                                 "hidden layers; one Snakemake job per net, on CUDA where present and otherwise on "
                                 "the CPU (the metric ran_on_cuda says which).",
        },
        curves=("test_acc",), curves_by="run", history=("train_loss", "train_acc", "test_loss", "test_acc"),
        points=breadth_depth_points,
        expect=(Expect("min_test_acc", 93, 98, "catalog: about 95-97% test"),
                Expect("max_test_acc", 95, 98.5, "catalog: about 95-97% test")),
        params=BreadthDepthGpuParams, gpu=1, cpu_minutes=14.0,
    ),
]
