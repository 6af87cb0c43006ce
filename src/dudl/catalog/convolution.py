"""Section convolution (course folder convolution/): 7 notebooks, convolution and image transforms, no training."""

from dudl.catalog import Expect, Experiment
from dudl.paramspec import Block, Count, ImageSize, Matrix, Samples, Units, pair_of

S = "convolution"


# ---------------------------------------------------------------- params, declared once (values: params.yaml)


class ConvInCodeParams(Block):
    """convolution_convInCode: Convolution in code."""

    image_size: ImageSize  # the random square image
    kernel_size: Count     # the Gaussian kernel exp(-(x^2+y^2)/kernel_width) on linspace(-3, 3, kernel_size)
    kernel_width: float
    photo: str             # the course's photo (URL or path); offline, the data layer's Starry Night stands in
    vertical_kernel: Matrix
    horizontal_kernel: Matrix


class ConvLayerParams(Block):
    """convolution_conv2 / convolution_conv2transpose: nn.Conv2d and nn.ConvTranspose2d."""

    in_channels: Units
    out_channels: Units
    kernel_size: Count
    image_size: ImageSize


class ConvCase(Block):
    """One Conv2d: its input, its parameters, and the output size it must give."""

    in_channels: Units
    height: ImageSize
    width: ImageSize
    out_channels: Units
    kernel: Count
    stride: pair_of(Count)     # [rows, columns]
    padding: int
    target: pair_of(Count)     # [height, width] of the output


class OutputSizeParams(Block):
    """convolution_codeChallenge: CodeChallenge: choose the parameters."""

    cases: dict[str, ConvCase]


class PoolingParams(Block):
    """convolution_meanMaxPool: Max/mean pooling."""

    image_size: ImageSize
    pool: Count
    cnn_image_size: ImageSize


class TransformsParams(Block):
    """convolution_transforms: Image transformations (CIFAR-10)."""

    examples: Count
    example_image: int
    resize: ImageSize


class CustomDatasetParams(Block):
    """convolution_customDataSet: Creating and using custom DataSets."""

    images: Samples
    flip_probability: float


# ---------------------------------------------------------------- experiments

EXPERIMENTS = [
    Experiment(
        S, "conv_in_code", ("convolution_convInCode",), "Convolution in code", datasets=("style_images",),
        figures={
            "image_kernel": "A 20 x 20 random image and the 7 x 7 Gaussian kernel exp(-(x^2+y^2)/7).",
            "manual_vs_scipy": "The image, the kernel, the convolution by hand (a double loop over the flipped "
                               "kernel) and scipy.signal.convolve2d with mode valid: the two results are the same "
                               "(the title gives the largest difference).",
            "photo": "The photo, averaged over its colour channels and divided by its max. The course's photo is "
                     "the Stedelijk Museum's bathtub from Wikimedia; where it cannot be had (offline), the data "
                     "layer's Starry Night stands in, and the title says which one this is.",
            "edges_scipy": "A vertical and a horizontal 3 x 3 edge kernel and the photo convolved with each "
                           "(scipy, mode same; colour limits 0 to .01 as the course sets them).",
            "edges_torch": "The same with torch's F.conv2d in float64. conv2d does not flip the kernel "
                           "(cross-correlation), so with the flipped kernel it matches scipy to rounding.",
        },
        expect=(Expect("max_abs_diff_manual_scipy", 0, 1e-10, "catalog: manual and scipy convolutions agree"),
                Expect("max_abs_diff_torch_scipy", 0, 1e-10, "catalog: torch conv2d gives the same edge maps"),
                Expect("valid_size", 14, 14, "catalog: a 7 x 7 kernel leaves 14 x 14 of 20 x 20 (exact)")),
        params=ConvInCodeParams,
    ),
    Experiment(
        S, "conv2", ("convolution_conv2",), "The Conv2 class in PyTorch",
        figures={
            "kernels": "The 15 kernels of nn.Conv2d(3, 15, 5) (input channel 0 of each), as initialized.",
            "image": "A random 64 x 64 RGB image (one sample, three channels).",
            "feature_maps": "The 15 feature maps of the image, each 60 x 60: a 5 x 5 kernel without padding loses "
                            "4 pixels per dimension.",
        },
        expect=(Expect("output_height", 60, 60, "catalog: 1 x 15 x 60 x 60 (exact)"),
                Expect("weight_dim_0", 15, 15, "catalog: weight [15, 3, 5, 5] (exact)")),
        params=ConvLayerParams,
    ),
    Experiment(
        S, "conv2_transpose", ("convolution_conv2transpose",), "Transpose convolution",
        figures={
            "kernels": "The 15 kernels of nn.ConvTranspose2d(3, 15, 5) (input channel 0), as initialized: its "
                       "weight is [in, out, k, k], the other way round from Conv2d.",
            "image": "A random 64 x 64 RGB image.",
            "feature_maps": "The 15 outputs, each 68 x 68: the transpose convolution adds 4 pixels per dimension.",
        },
        expect=(Expect("output_height", 68, 68, "catalog: 1 x 15 x 68 x 68 (exact)"),
                Expect("weight_dim_0", 3, 3, "catalog: weight [3, 15, 5, 5] (exact)")),
        params=ConvLayerParams,
    ),
    Experiment(
        S, "output_size", ("convolution_codeChallenge",), "CodeChallenge: choose the parameters",
        figures={
            "sizes": "For the worked example and each of the notebook's five answers (LeNet-5, AlexNet and VGG-16 "
                     "among them): the output size floor((N + 2p - k) / s) + 1 the formula expects against the "
                     "size an nn.Conv2d with those parameters really gives, height and width.",
        },
        expect=(Expect("cases_matching", 6, 6, "catalog: every answer gives its target size (exact)"),
                Expect("worked_example_width", 84, 84, "catalog: Expected size [1 252 84] (exact)")),
        params=OutputSizeParams,
    ),
    Experiment(
        S, "pooling", ("convolution_meanMaxPool",), "Max/mean pooling",
        figures={
            "pooled": "A random 30 x 30 image, max-pooled and mean-pooled with a 3 x 3 window and stride 3: 10 x 10 "
                      "each. The titles give the output shapes of MaxPool2d and MaxPool3d on 1 and 3 channels, and "
                      "of the little CNN (Conv2d 3 to 10, k 5, stride 3, padding 2, ReLU, AvgPool3d, Linear 588 to "
                      "1, sigmoid) on a random 128 x 128 image.",
        },
        expect=(Expect("maxpool3d_channels", 1, 1, "catalog: MaxPool3d pools the 3 channels into 1 (exact)"),
                Expect("cnn_flat_features", 588, 588, "catalog: 3 x 14 x 14 = 588 inputs to the Linear layer (exact)")),
        params=PoolingParams,
    ),
    Experiment(
        S, "transforms", ("convolution_transforms",), "Image transformations", datasets=("cifar10",),
        figures={
            "examples": "Twenty-five random CIFAR-10 training images titled with their class.",
            "transformed": "One image as stored (32 x 32 RGB), after ToTensor, Resize(128) and Grayscale shown in "
                           "a colour map, and the same in grey.",
        },
        expect=(Expect("train_images", 50000, 50000, "catalog: 50,000 training images (exact)"),
                Expect("transformed_height", 128, 128, "catalog: Resize(128) (exact)")),
        params=TransformsParams,
    ),
    Experiment(
        S, "custom_dataset", ("convolution_customDataSet",), "Creating and using custom DataSets",
        datasets=("mnist",),
        figures={
            "loaded": "The first 8 digits as stored (top) and as a custom Dataset hands them to a DataLoader "
                      "(bottom), its transform (ToPILImage, RandomVerticalFlip(p=.5), ToTensor) applied in "
                      "__getitem__: about half come out upside down.",
        },
        expect=(Expect("batch_channels", 1, 1, "catalog: batches are 8 x 1 x 28 x 28 (exact)"),
                Expect("batch_size", 8, 8, "catalog: one batch of 8 (exact)")),
        params=CustomDatasetParams,
    ),
]
