"""Section autoencoders (course folder autoencoders/): 5 notebooks, MNIST autoencoders trained on the images
alone (no labels), MSELoss on the reconstruction, Adam lr .001."""

from dudl.catalog import Expect, Experiment
from dudl.paramspec import BatchSize, Block, Count, Epochs, Layers, Lr, NonNegative, Units, linspace_of, pair_of
from dudl.params import grid

S = "autoencoders"
MNIST = ("mnist",)
RANDOM = ("The course's 20,000 MNIST digits divided by their max; every iteration is one batch of 32 drawn at "
          "random with replacement (the course calls these iterations epochs); MSELoss, Adam lr .001.")
MEM_MB = 3000  # measured at scale 1.0: up to 2.6 GB (torch's CUDA build alone takes 0.8 GB)
PASSES = ("The course's 20,000 MNIST digits divided by their max, in shuffled passes of 625 batches of 32; "
          "MSELoss, Adam lr .001.")


# ---------------------------------------------------------------- params, declared once (values: params.yaml)


class IterationsParams(Block):
    """The iterations recipe: random batches of 32 with replacement."""

    lr: Lr
    batch_size: BatchSize
    iterations: Epochs
    examples: Count       # digits shown before and after


class AutoencoderParams(IterationsParams):
    layers: Layers


class DenoisingParams(AutoencoderParams):
    """autoenc_denoisingMNIST: Denoising MNIST."""

    noise: NonNegative    # + U(0, noise), clipped at 1
    shown: Count          # digits in the clean / noisy / denoised grid


class UnitsParams(Block):
    """autoenc_codeChallenge_Nunits: CodeChallenge: how many units?"""

    encoder_units: linspace_of(Units, "Units")     # astype(int), as the course's linspace
    bottleneck_units: linspace_of(Units, "Units")
    lr: Lr
    batch_size: BatchSize
    epochs: Epochs
    last_batches: Count   # a training's loss: the mean of its last batches


class LatentCodeParams(AutoencoderParams):
    """autoenc_MNISTlatentCode: The latent code of MNIST."""

    components: Count     # PCA components of the data and of the code
    example: int          # the digit whose image, pixels and code are drawn


class OcclusionParams(Block):
    """autoenc_occlusion: AEs for occlusions."""

    layers: Layers
    lr: Lr
    batch_size: BatchSize
    epochs: Epochs
    demo_image: int
    demo_rows: pair_of(int)  # [first, last) rows set to 1 in the demo image
    shown: Count          # first images occluded and reconstructed
    bar_positions: pair_of(int)  # [low, high] of the bar's row (even images) or column (odd images)
    tolerance: NonNegative    # pixels above it in both images count for the correlation
    correlation_image: int


class TiedParams(IterationsParams):
    """autoenc_tiedWeights: Autoencoder with tied weights."""

    noise: NonNegative
    shown: Count
    hidden: Units
    code: Units


def unit_points(p, scale) -> list[str]:
    return [f"E{int(e)}" for e in grid(p["encoder_units"], scale)]


def _images(what: str) -> str:
    return f"The first {what} digits (top) and their reconstructions (bottom)"


# ---------------------------------------------------------------- experiments

EXPERIMENTS = [
    Experiment(
        S, "denoising", ("autoenc_denoisingMNIST",), "Denoising MNIST", datasets=MNIST,
        figures={
            "untrained": _images("five") + " by the untrained 784-250-50-250-784 autoencoder: noise.",
            "loss": "Reconstruction loss (MSE) of every iteration: 10,000 of them. " + RANDOM,
            "trained": _images("five") + " after training.",
            "noisy": "The same digits with uniform noise from 0 to .25 added, clipped at 1.",
            "denoised": "Ten digits clean (top), noisy (middle) and the trained autoencoder's output for the noisy "
                        "input (bottom). It was trained on clean digits only; the titles give each output's MSE "
                        "against the clean digit.",
        },
        expect=(Expect("final_loss", 0.005, 0.025, "catalog: final MSE about 0.01-0.02"),),
        history=("train_loss",), params=DenoisingParams, summary=False, cpu_minutes=1.5, mem_mb=MEM_MB,
    ),
    Experiment(
        S, "n_units", ("autoenc_codeChallenge_Nunits",), "CodeChallenge: how many units?", datasets=MNIST,
        figures={
            "loss_map": "Final loss (the mean of the last 3 batches) of 96 autoencoders 784-E-B-E-784 over "
                        "encoder/decoder units E and bottleneck units B, 3 passes each; one Snakemake job per E. "
                        + PASSES,
            "loss_by_units": "The same losses against E, one line per B.",
        },
        points=unit_points,
        expect=(Expect("loss_smallest", 0.035, 0.08, "catalog: about 0.04 and more for the tiny nets"),
                Expect("mean_loss_large", 0.004, 0.02, "catalog: about 0.01 for E >= 200 and B >= 30"),
                Expect("r_loss_encoder_units", -1, -0.3, "catalog: loss falls as E grows"),
                Expect("r_loss_bottleneck_units", -1, -0.3, "catalog: loss falls as B grows")),
        params=UnitsParams, cpu_minutes=12.0, mem_mb=MEM_MB,
    ),
    Experiment(
        S, "latent_code", ("autoenc_MNISTlatentCode",), "The latent code of MNIST", datasets=MNIST,
        figures={
            "loss": "Reconstruction loss of every iteration of the 784-150-15-150-784 autoencoder. " + RANDOM,
            "code": "Left: histogram of the 15 code units' activations over all 20,000 digits. Right: the code "
                    "of the first 200 digits (digit by code unit); many units are 0 for many digits (ReLU).",
            "code_by_digit": "Mean code per digit (the labels were never used in training): the model's internal "
                             "representation of the numbers.",
            "scree": "Share of variance of the first 15 principal components (scikit-learn PCA) of the 784 "
                     "pixels and of the 15-unit code.",
            "projections": "Every digit on the first two principal components of the pixels (left) and of the "
                           "code (right), coloured by its label.",
            "example": "One digit as an image, as its 784 pixel values, and as its 15 code values.",
        },
        expect=(Expect("final_loss", 0.01, 0.025, "reference_results 25: final MSE about 0.015-0.02 (15-unit code)"),),
        history=("train_loss",), params=LatentCodeParams, summary=True, cpu_minutes=1.5, mem_mb=MEM_MB,
    ),
    Experiment(
        S, "occlusion", ("autoenc_occlusion",), "AEs for occlusions", datasets=MNIST,
        figures={
            "demo": "Digit 12,345 as it is and with rows 10 to 12 set to 1: an occluding bar.",
            "loss": "Loss of every batch of the 784-128-50-128-784 autoencoder over 5 passes. " + PASSES,
            "deoccluded": "The first ten digits (top), each with a one-pixel white bar across a random row (even "
                          "images) or column (odd) from 10 to 20 (middle), and the reconstruction (bottom).",
            "correlation": "Pixels of digit 9 against its reconstruction from the occluded input: all pixels "
                           "(left) and those above the tolerance in both (right).",
            "correlations": "Per digit, the correlation of the original with the reconstruction of the clean and of "
                            "the occluded input (pixels above the tolerance in all three).",
        },
        expect=(Expect("final_loss", 0.005, 0.025, "catalog: final loss about 0.01-0.02"),
                Expect("mean_r_clean", 0.75, 0.99, "catalog: correlations about 0.8-0.95"),
                Expect("mean_r_occluded", 0.7, 0.97, "catalog: correlations about 0.8-0.95, occluded slightly lower")),
        history=("train_loss",), params=OcclusionParams, cpu_minutes=1.0, mem_mb=MEM_MB,
    ),
    Experiment(
        S, "tied_weights", ("autoenc_tiedWeights",), "Autoencoder with tied weights", datasets=MNIST,
        figures={
            "loss": "Loss of every iteration of the tied autoencoder (784-128, one 50 x 128 matrix for encoding "
                    "and, transposed, decoding, 128-784). " + RANDOM,
            "trained": _images("five") + ": model output with tied layers.",
            "noisy": "The same digits with uniform noise from 0 to .25 added, clipped at 1.",
            "denoised": "Ten digits clean, noisy and the tied autoencoder's output for the noisy input.",
        },
        expect=(Expect("final_loss", 0.012, 0.04, "catalog: final loss about 0.02-0.03, a bit worse than untied"),),
        history=("train_loss",), params=TiedParams, summary=False, cpu_minutes=1.0, mem_mb=MEM_MB,
    ),
]
