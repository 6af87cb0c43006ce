"""The transfer-learning section's nets and the surgery it does on them: the Fashion-MNIST convolutional autoencoder
and the classifiers that reuse an autoencoder's encoder (FMNIST and CIFAR-10), copying an encoder's weights,
replacing a pretrained net's output layer."""

from __future__ import annotations

from torch import nn


def _strided(channels, kernel: int) -> list[nn.Module]:
    """Conv2d(c_in, c_out, kernel, stride 2, padding 1) -> leaky ReLU for each step of `channels`: the encoders
    of the course's autoencoders (each halves the image)."""
    layers: list[nn.Module] = []
    for a, b in zip(channels[:-1], channels[1:]):
        layers += [nn.Conv2d(a, b, kernel, stride=2, padding=1), nn.LeakyReLU()]
    return layers


def fmnist_autoencoder() -> nn.Sequential:
    """transfer_pretrainFMNIST's AE: Conv2d(1,16,3) -> Conv2d(16,32,3), stride 2, padding 1 (28 -> 14 -> 7), then
    ConvTranspose2d(32,16,4) -> ConvTranspose2d(16,1,4), stride 2, padding 1 (7 -> 14 -> 28); leaky ReLU after
    every layer, the output included (as the notebook has it)."""
    return nn.Sequential(*_strided([1, 16, 32], 3),
                         nn.ConvTranspose2d(32, 16, 4, stride=2, padding=1), nn.LeakyReLU(),
                         nn.ConvTranspose2d(16, 1, 4, stride=2, padding=1), nn.LeakyReLU())


def _leaky_head(sizes) -> list[nn.Module]:
    """Linear layers with a leaky ReLU after every one, the output layer included (the notebooks'
    F.leaky_relu(self.fc_last(x)))."""
    layers: list[nn.Module] = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b), nn.LeakyReLU()]
    return layers


def fmnist_encoder_classifier() -> nn.Sequential:
    """transfer_pretrainFMNIST's classifier: the AE's two encoder convs (28 -> 14 -> 7: 32 x 7 x 7 = 1,568
    values), then Linear(1568,50) -> Linear(50,10), leaky ReLU after both."""
    return nn.Sequential(*_strided([1, 16, 32], 3), nn.Flatten(), *_leaky_head([32 * 7 * 7, 50, 10]))


def cifar_encoder_classifier() -> nn.Sequential:
    """transfer_PretrainCIFAR's classifier: the encoder of the CIFAR-10 AE (dudl.models.cnn_milestone.
    cifar_autoencoder: Conv2d 3 -> 16 -> 32 -> 64, kernel 4, stride 2; 32 -> 4: 64 x 4 x 4 = 1,024 values), then
    1024 -> 128 -> 64 -> 10, leaky ReLU after every layer."""
    return nn.Sequential(*_strided([3, 16, 32, 64], 4), nn.Flatten(), *_leaky_head([64 * 4 * 4, 128, 64, 10]))


def convs(model: nn.Module) -> list[nn.Conv2d]:
    """The Conv2d layers of a net in order (ConvTranspose2d, the decoder's, is not one)."""
    return [m for m in model.modules() if type(m) is nn.Conv2d]


def copy_encoder(source: nn.Module, target: nn.Module) -> int:
    """Copy the weights and biases of the source's Conv2d layers into the target's, in order (the course copies
    the parameters whose name has 'enc'); the target's other layers keep their random init. Returns how many
    layers were copied."""
    pairs = list(zip(convs(source), convs(target)))
    if not pairs or len(convs(target)) > len(convs(source)):
        raise ValueError(f"the source has {len(convs(source))} conv layers, the target {len(convs(target))}")
    for s, t in pairs:
        t.load_state_dict(s.state_dict())
    return len(pairs)


def head_name(arch: str) -> str:
    """Where each pretrained net keeps its output layer: resnet18's fc, vgg16's classifier[6]."""
    return {"resnet18": "fc", "vgg16": "classifier.6"}[arch]


def replace_head(model: nn.Module, name: str, outputs: int) -> nn.Linear:
    """Replace the Linear layer at dotted path `name` ("fc", "classifier.6", or "11" of a Sequential) by a fresh
    Linear(in_features, outputs) (trainable, randomly initialized); returns the new layer."""
    *path, last = name.split(".")
    parent = model.get_submodule(".".join(path)) if path else model
    old = parent.get_submodule(last)
    if not isinstance(old, nn.Linear):
        raise TypeError(f"{name} is a {type(old).__name__}, not a Linear layer")
    new = nn.Linear(old.in_features, outputs).to(old.weight.device)
    if isinstance(parent, nn.Sequential):
        parent[int(last)] = new
    else:
        setattr(parent, last, new)
    return new

