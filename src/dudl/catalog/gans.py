"""Section gans (course folder GANs/): 7 notebooks, generative adversarial networks trained by the course's
recipe (BCELoss; per step D on a real and a fake batch, then G through the updated D, each with its own Adam):
a linear GAN on MNIST and on three Fashion-MNIST classes, convolutional GANs on 64 x 64 Gaussian blobs, on
Fashion-MNIST resized to 64 x 64, on CIFAR-10 and on CelebA faces."""

from __future__ import annotations

from typing import Literal

from dudl.catalog import Expect, Experiment
from dudl.paramspec import (BatchSize, Block, Count, Epochs, ImageSize, Lr, NonNegative, Pair, Proportion, Samples,
                           sweep_of)

S = "gans"
# Fashion-MNIST's class names (torchvision's FashionMNIST.classes): `classes` picks the GAN's training images by name
FASHION_CLASS = Literal["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                        "Ankle boot"]


class GanParams(Block):
    """What every GAN of the section shares: its Adams, the fixed-latent snapshots and the figures' smoothing."""

    lr: Lr                   # Adam, D and G alike
    betas: Pair              # Adam's betas
    batch_size: BatchSize
    snapshot_every: Count    # steps between two grids of samples at the same fixed latent vectors (scales)
    strip_images: Count      # samples per snapshot in the progress strip (the first of the fixed latents)
    shown: Count             # samples in the final grid
    smooth: Count            # running-mean window of the loss and decision figures (the course's k=15)
    last_share: Proportion   # the final metrics are means over this share of the last steps
    joint: bool              # opt-in: D scores real and fake as one batch (BN-free D only; changes the last bits)


class RandomStepsParams(GanParams):
    """Every step a batch of random indices drawn with replacement (the course's torch.randint per "epoch")."""

    steps: Epochs


class MnistParams(RandomStepsParams):
    """GAN_MNIST: Linear GAN with MNIST."""


class BlobParams(RandomStepsParams):
    """GAN_codeChallengeGaus and GAN_CNNganGaus: 64 x 64 Gaussian blobs."""

    images: Samples
    offset: NonNegative      # centre = offset * N(0, 1) per axis
    width_low: NonNegative   # width = U(0, 1) * width_scale + width_low (the course's rand()/.6 + 1.8)
    width_scale: NonNegative
    noise: NonNegative       # + N(0, 1) * noise (the course's randn/5)
    examples: Count


class PassesParams(GanParams):
    """Shuffled passes over a dataset (the course's DataLoader, drop_last)."""

    epochs: Epochs
    examples: Count
    size: ImageSize          # images resized (bilinear) to size x size; their own size keeps them as they are


class FashionParams(PassesParams):
    """GAN_codeChallengeFMNIST and GAN_CNNganFMNIST: three Fashion-MNIST classes."""

    classes: sweep_of(FASHION_CLASS)


RECIPE = ("BCELoss; each step D trains on a real batch (label 1) and a generated one (label 0), the loss their sum, "
          "then G through the updated D on a fresh generated batch labelled real.")
LINEAR_NETS = ("D Linear(784,256) -> leaky ReLU -> Linear(256,256) -> leaky ReLU -> Linear(256,1) -> sigmoid; G "
               "Linear(64,256) -> leaky ReLU -> Linear(256,256) -> leaky ReLU -> Linear(256,784) -> tanh; Adam lr "
               ".0003 for both.")
DCGAN = ("DCGAN-style nets without biases: D Conv(C,64) -> (128) -> (256) -> (512), kernel 4, stride 2, leaky ReLU .2, "
         "batchnorm after the leaky ReLU of the last three, then Conv(512,1, 4, stride 1) -> sigmoid (64 -> 32 -> 16 "
         "-> 8 -> 4 -> 1); G ConvTranspose(100,512, 4, stride 1) -> (256) -> (128) -> (64) -> (C), stride 2, "
         "batchnorm and ReLU between, tanh last (1 -> 4 -> 8 -> 16 -> 32 -> 64); Adam lr .0002, betas (.5, .999).")
SHALLOW = ("Three layers each: D Conv(1,64) -> Conv(64,128) -> Conv(128,1), kernel 4, stride 3 (64 -> 21 -> 6 -> 1), "
           "leaky ReLU .2, batchnorm after the second; G ConvTranspose(100,256) -> (128) -> (1), kernel 4, stride 4 "
           "(1 -> 4 -> 16 -> 64), batchnorm and ReLU between, tanh last; Adam lr .0002, betas (.5, .999).")
BLOBS = ("3,000 images of 64 x 64 on a grid linspace(-4, 4, 64): one Gaussian exp(-r^2 / (2 w^2)) centred at "
         "2 N(0, 1) per axis, width w = U(0, 1) / .6 + 1.8, plus N(0, 1) / 5 noise.")
NO_OFFLINE = "{data} has no offline copy: without internet the pipeline skips this experiment."
SNAPSHOTS = ("The generator's samples at the same fixed latent vectors (drawn once, from their own seed, so the "
             "training's random numbers are the same with or without them), in eval mode, every {every} steps from "
             "the untrained generator (step 0) to the last step: the course's exercise of watching the generator "
             "learn.")
LAST = "The final metrics are means over the last 10% of steps."


def figures(examples: str | None, samples: str, every: str, extra: str = "") -> dict[str, str]:
    """The section's figures: the real examples (or the untrained generator), per-step losses and D's decisions
    (smoothed), the course's loss scatter, the final samples and the progress strip."""
    out = {"examples": examples} if examples else {
        "untrained": "Samples of the untrained generator at the fixed latent vectors (the course shows one)."}
    out.update({
        "losses": "D and G loss (BCELoss) at every step (faint) and a centred running mean of 15 steps (the "
                  "course's k=15 smoothing without its zero-padded ends). " + RECIPE + " " + extra,
        "loss_scatter": "D loss against G loss, every fifth step, as the course plots them.",
        "decisions": "D's mean output on the real and the generated batch of each D step (left), and the course's "
                     "decisions (right): the share of real images judged real (p > .5) in D's step and of "
                     "generated images judged real in G's step, both smoothed over 15 steps. " + LAST,
        "samples": samples,
        "progress": SNAPSHOTS.format(every=every),
    })
    return out


MNIST_DATA = ("The course's 20,000 MNIST digits (our fixed seeded stand-in for Colab's CSV) divided by their max "
              "and scaled to -1..1; every step a batch of 100 random digits drawn with replacement.")
FASHION_NOTE = ("Fashion-MNIST training images of the three classes (18,000) in shuffled passes of 180 batches of "
                "100 (drop_last), pixels ToTensor + Normalize(.5, .5), so -1..1.")
HISTORY = ("d_loss", "g_loss", "d_real", "d_fake")
MODELS = ("generator", "discriminator")


def balanced(source: str) -> tuple[Expect, ...]:
    return (Expect("d_real_last", 0.2, 0.8, source), Expect("d_fake_last", 0.2, 0.8, source))


ISSUE = "the issue's measure for GANs: D(real) and D(fake) stay inside (0.2, 0.8) over the last 10% of steps"

EXPERIMENTS = [
    Experiment(
        S, "linear_mnist", ("GAN_MNIST",), "Linear GAN with MNIST", datasets=("mnist",),
        figures=figures(None, "Twelve generated digits (3 x 4) from the fixed latent vectors after training, in eval "
                              "mode, grey from -1 (black) to 1. " + MNIST_DATA + " " + LINEAR_NETS, "5,000",
                        extra=MNIST_DATA + " 50,000 steps."),
        expect=(*balanced(ISSUE),
                Expect("d_loss_last", 1.0, 1.3, "catalog: D loss about 1.0-1.3 at equilibrium"),
                Expect("g_loss_last", 0.8, 1.5, "catalog: G loss about 0.8-1.5 at equilibrium")),
        history=HISTORY, models=MODELS, params=MnistParams, summary=False, mem_mb=3000,
        # an estimate: 8.7 ms per step (ours) on one thread of the 2-core machine x 50,000 steps
        cpu_minutes=8.0,
    ),
    Experiment(
        S, "linear_fmnist", ("GAN_codeChallengeFMNIST",), "CodeChallenge: Linear GAN with FMNIST",
        datasets=("fashion_mnist",),
        figures=figures("Eighteen of the training images (Trouser, Sneaker, Sandal) with their class.",
                        "Eighteen generated items (3 x 6) from the fixed latent vectors after training, titled as "
                        "the course titles the figure with the three classes. " + LINEAR_NETS, "5,000",
                        extra=FASHION_NOTE + " int(50000 / 180) = 277 passes, 49,860 steps. The course records no "
                              "decisions here; we do, as in GAN_MNIST."),
        expect=balanced(ISSUE), history=HISTORY, models=MODELS, params=FashionParams, summary=False, mem_mb=3000,
        # an estimate: about 9 ms per step x 49,860 steps
        cpu_minutes=8.0,
    ),
    Experiment(
        S, "fewer_layers_gauss", ("GAN_codeChallengeGaus",), "CodeChallenge: Gaussians with fewer layers",
        figures=figures("Twenty-one of the blobs (colour from -1 to 1). " + BLOBS,
                        "Eighteen generated blobs (3 x 6) after training, in eval mode. " + SHALLOW, "1,500",
                        extra=BLOBS + " Batches of 86 random images, 10,500 steps."),
        expect=balanced(ISSUE), history=HISTORY, models=MODELS, params=BlobParams, summary=False, gpu=1,
        # measured: 0.30 s per step (batch 86) on one thread of the 2-core machine x 10,500 steps
        cpu_minutes=55.0,
    ),
    Experiment(
        S, "cnn_gauss", ("GAN_CNNganGaus",), "CNN GAN with Gaussians",
        figures=figures("Twenty-one of the blobs (colour from -1 to 1). " + BLOBS,
                        "Eighteen generated blobs (3 x 6) after training, in eval mode. " + DCGAN + " The course's "
                        "generator prints its tensor shapes on every call; ours does not.", "250",
                        extra=BLOBS + " Batches of 86 random images, 1,500 steps. The course's scatter starts at "
                              "step 200; ours shows every fifth step."),
        expect=balanced(ISSUE), history=HISTORY, models=MODELS, params=BlobParams, summary=False, gpu=1,
        # measured: 2.2 s per step (batch 86) on one thread of the 2-core machine x 1,500 steps
        cpu_minutes=55.0,
    ),
    Experiment(
        S, "cnn_fmnist", ("GAN_CNNganFMNIST",), "CNN GAN with FMNIST", datasets=("fashion_mnist",),
        figures=figures("Eighteen of the training images (Trouser, Sneaker, Pullover), resized to 64 x 64, with their "
                        "class.",
                        "Eighteen generated items (3 x 6) after training, in eval mode. " + DCGAN + " (C = 1)",
                        "260", extra=FASHION_NOTE.replace("ToTensor", "ToTensor, Resize(64) (bilinear)")
                        + " int(2500 / 180) = 13 passes, 2,340 steps."),
        expect=balanced(ISSUE), history=HISTORY, models=MODELS, params=FashionParams, summary=False, gpu=1,
        mem_mb=4000,
        # measured: 2.46 s per step (batch 100, 64 x 64) on one thread of the 2-core machine x 2,340 steps = 96 min,
        # under the 2-hour line: it runs on a CPU when there is no CUDA (and on CUDA when there is)
        cpu_minutes=100.0,
    ),
    Experiment(
        S, "cnn_cifar10", ("GAN_codeChallengeCIFAR",), "CodeChallenge: CNN GAN with CIFAR", datasets=("cifar10",),
        figures=figures("Sixteen training images, resized to 64 x 64, with their class. "
                        + NO_OFFLINE.format(data="CIFAR-10"),
                        "Eighteen generated images (3 x 6) after training, in eval mode, each min-max scaled to 0..1 "
                        "as the course shows them. " + DCGAN + " (C = 3)", "7,810",
                        extra="CIFAR-10's 50,000 training images, ToTensor, Resize(64) (bilinear, per batch), "
                              "Normalize(.5, .5), in shuffled passes of 1,562 batches of 32; 50 passes."),
        expect=balanced(ISSUE), history=HISTORY, models=MODELS, params=PassesParams, summary=False, gpu=1,
        mem_mb=4000,
        # an estimate: about 0.8 s per step (batch 32, 3 x 64 x 64) on one thread x 78,100 steps, about 17 h:
        # GPU-scale (the course: about an hour on a GPU)
        cpu_minutes=1050.0,
    ),
    Experiment(
        S, "cnn_faces", ("GAN_codeChallengeFaces",), "CodeChallenge: CNN GAN with faces", datasets=("celeba",),
        figures=figures("Sixteen training faces. " + NO_OFFLINE.format(data="CelebA"),
                        "Eighteen generated faces (3 x 6) after training, in eval mode, each min-max scaled to 0..1 "
                        "as the course shows them. " + DCGAN + " (C = 3)", "10,172",
                        extra="CelebA's 162,770 aligned training faces, resized (antialiased) so that the short side "
                              "is 64 and centre-cropped to 64 x 64 (the course omits the crop, so its real faces are "
                              "78 x 64 while its fakes are 64 x 64; we crop as the DCGAN tutorial it follows does), "
                              "stored as uint8, Normalize(.5, .5), in shuffled passes of 5,086 batches of 32; 20 "
                              "passes."),
        expect=balanced(ISSUE), history=HISTORY, models=MODELS, params=PassesParams, summary=False, gpu=1,
        mem_mb=8000,  # the 162,770 faces as uint8 64 x 64 x 3 are 2.0 GB
        # an estimate: about 0.8 s per step (batch 32) on one thread x 101,720 steps, about 23 h: GPU-scale
        cpu_minutes=1400.0,
    ),
]
