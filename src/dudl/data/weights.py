"""Pretrained ImageNet weights (ResNet-18, VGG-16, VGG-19, AlexNet) through torchvision's own weight enums, from a
place the data layer manages and verifies.

Each network's file is a dataset of the registry (`<arch>_weights`): `dudl fetch resnet18_weights` takes it from a
mirror (folder `weights/`) or from download.pytorch.org and verifies it as torchvision does (the sha256 of the file
starts with the hash in its name), into data/raw/<arch>_weights/. Loading then runs torchvision's real path,
`<Enum>.IMAGENET1K_V1.get_state_dict(model_dir=that folder, weights_only=True)`, which finds the file under the
exact name its cache expects and unpickles tensors only. The hash is checked again before every load (torchvision
checks it only on download), so a file swapped after the fetch is refused, not used.

Offline, a missing file is a WeightsUnavailable naming the file and where to put it; nothing is downloaded behind
the data layer's back.
"""

from __future__ import annotations

from pathlib import Path

from dudl.data import fetch, registry

# arch -> torchvision's weight enum (its IMAGENET1K_V1 member is what the course's pretrained=True meant)
ENUMS: dict[str, str] = {
    "resnet18": "ResNet18_Weights",
    "vgg16": "VGG16_Weights",
    "vgg19": "VGG19_Weights",
    "alexnet": "AlexNet_Weights",
}


class WeightsUnavailable(FileNotFoundError):
    """The pretrained weights of a network are not here (and not to be had from where we may look)."""


def _check_arch(arch: str) -> None:
    if arch not in ENUMS:
        raise KeyError(f"no pretrained weights known for '{arch}'; known: {', '.join(ENUMS)}")


def dataset_key(arch: str) -> str:
    _check_arch(arch)
    return f"{arch}_weights"


def dataset(arch: str) -> registry.Dataset:
    return registry.get(dataset_key(arch))


def weight_path(arch: str, root: Path = Path(".")) -> Path:
    """data/raw/<arch>_weights/<the file name torchvision's cache expects>."""
    ds = dataset(arch)
    return Path(root) / ds.raw_dir / ds.files[0].name


def weight_enum(arch: str):
    from torchvision import models

    _check_arch(arch)
    return getattr(models, ENUMS[arch]).IMAGENET1K_V1


def unavailable_reason(arch: str, root: Path = Path(".")) -> str | None:
    """None when the file is present and verified; else what is wrong and how to provide it."""
    ds, path = dataset(arch), weight_path(arch, root)
    spec = ds.files[0]
    if not path.exists():
        return (f"{ds.title} not available: {spec.name} is not at {path}. Run `dudl fetch {ds.key}` with internet, "
                f"or put the file there (or at {fetch.MIRROR_ENV}/{ds.mirror_dir}/{spec.name}); it is {spec.urls[0]}")
    if not fetch.verify(path, spec):
        return (f"{ds.title} refused: {path} fails its hash check ({spec.checksums[0]}: the sha256 must start with "
                f"the hash in the file name). Delete it and fetch it again.")
    return None


def state_dict(arch: str, root: Path = Path(".")) -> dict:
    """The verified ImageNet state dict, loaded by torchvision's own code with weights_only=True."""
    reason = unavailable_reason(arch, root)
    if reason is not None:
        raise WeightsUnavailable(reason)
    path = weight_path(arch, root)
    return weight_enum(arch).get_state_dict(progress=False, model_dir=str(path.parent), check_hash=True,
                                            weights_only=True)


def pretrained(arch: str, root: Path = Path(".")):
    """torchvision's `arch` network with its ImageNet weights, loaded strictly: a file that does not fit the
    architecture is an error, not a half-loaded net. The net is built on the meta device and the loaded tensors
    are assigned to it, so VGG's 140 M parameters are not first initialized at random (8 s here) to be
    overwritten."""
    import torch
    from torchvision import models

    weights = state_dict(arch, root)
    with torch.device("meta"):
        model = getattr(models, arch)(weights=None)
    model.load_state_dict(weights, assign=True)
    return model
