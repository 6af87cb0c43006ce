"""The step hooks of the one trainer (dudl.train.train) for what is not the plain supervised recipe: autoencoders,
GANs, sequence models with a carried hidden state, and image optimization (style transfer). Each is what one
step computes and which optimizers step; the loop, the device, precision, clipping, history and resume stay in
the trainer. (The supervised step, with stacked models as its special case, is dudl.train.supervised_step.)
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import torch
from torch import nn

from dudl.train import StepTools


def _inputs(batch: Any) -> torch.Tensor:
    """The images of a batch that may carry labels too: (x, y) -> x."""
    return batch[0] if isinstance(batch, (tuple, list)) else batch


class AutoencoderStep:
    """The target is the input itself, or the clean input when `corrupt` makes a noisy or occluded copy to
    encode (the denoising autoencoder)."""

    def __init__(self, model: nn.Module, loss_fn: Callable, optimizer: torch.optim.Optimizer,
                 corrupt: Callable[[torch.Tensor], torch.Tensor] | None = None):
        self.model, self.loss_fn, self.optimizer, self.corrupt = model, loss_fn, optimizer, corrupt

    def __call__(self, batch: Any, tools: StepTools) -> dict[str, torch.Tensor]:
        clean = _inputs(batch)
        seen = self.corrupt(clean) if self.corrupt is not None else clean
        with tools.autocast():
            loss = self.loss_fn(self.model(seen), clean)
        tools.optimize(loss, self.optimizer)
        return {"train_loss": loss}


class GANStep:
    """One step of the course's GANs: the discriminator on a real batch and a generated one, then the generator
    through the updated discriminator, each with its own optimizer (D first, then G). Records both losses, D's
    mean output on the real and the fake batch of D's step (`d_real`, `d_fake`; `probabilities`: D ends in a
    sigmoid, as the course's do, otherwise its logits go through one) and the course's decisions: the share of
    the real batch judged real (p > .5) in D's step and of the fresh fake batch judged real in G's step
    (`real_judged_real`, `fake_judged_real`, the notebooks' disDecs).

    The same math as the course's loop with less work: the fake batch of D's step is generated without a graph
    (the course backpropagates D's loss into G too, and zeroes that gradient before G's step), and D's weights
    take no gradient in G's step (the course computes one and zeroes it before D's next step). Only the input
    gradient flows through D there, so every number is bit for bit the course's.
    `joint`: D scores the real and the fake batch as one batch of 2n instead of two passes. For a D without
    batchnorm that is the same function, its weight gradients summed in another order, so the numbers change in
    the last bits: opt-in. A D with batchnorm would see other batch statistics: refused."""

    def __init__(self, generator: nn.Module, discriminator: nn.Module, g_optimizer: torch.optim.Optimizer,
                 d_optimizer: torch.optim.Optimizer, latent: Callable[[int, torch.device], torch.Tensor],
                 loss_fn: Callable | None = None, probabilities: bool = True, joint: bool = False):
        if joint and any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in discriminator.modules()):
            raise ValueError("joint: one D pass over real and fake would mix their batchnorm statistics")
        self.generator, self.discriminator = generator, discriminator
        self.g_optimizer, self.d_optimizer = g_optimizer, d_optimizer
        self.latent = latent
        self.loss_fn = loss_fn or (nn.BCELoss() if probabilities else nn.BCEWithLogitsLoss())
        self.probabilities, self.joint = probabilities, joint

    def _prob(self, out: torch.Tensor) -> torch.Tensor:
        return (out if self.probabilities else torch.sigmoid(out)).detach().float().mean()

    def _judged_real(self, out: torch.Tensor) -> torch.Tensor:
        return (out.detach() > (0.5 if self.probabilities else 0.0)).float().mean()

    def __call__(self, batch: Any, tools: StepTools) -> dict[str, torch.Tensor]:
        real = _inputs(batch)
        n, device = real.shape[0], real.device
        ones = torch.ones(n, 1, device=device)
        zeros = torch.zeros(n, 1, device=device)
        with tools.autocast():
            with torch.no_grad():  # D's step leaves G alone
                fake = self.generator(self.latent(n, device))
            if self.joint:
                d_real, d_fake = self.discriminator(torch.cat([real, fake.to(real.dtype)])).split(n)
            else:
                d_real = self.discriminator(real)
                d_fake = self.discriminator(fake)
            d_loss = self.loss_fn(d_real, ones.to(d_real.dtype)) + self.loss_fn(d_fake, zeros.to(d_fake.dtype))
        tools.optimize(d_loss, self.d_optimizer)
        frozen = [p for p in self.discriminator.parameters() if p.requires_grad]
        for p in frozen:
            p.requires_grad_(False)
        try:
            with tools.autocast():
                g_out = self.discriminator(self.generator(self.latent(n, device)))
                g_loss = self.loss_fn(g_out, ones.to(g_out.dtype))
            tools.optimize(g_loss, self.g_optimizer)
        finally:
            for p in frozen:
                p.requires_grad_(True)
        return {"d_loss": d_loss, "g_loss": g_loss, "d_real": self._prob(d_real), "d_fake": self._prob(d_fake),
                "real_judged_real": self._judged_real(d_real), "fake_judged_real": self._judged_real(g_out)}


def _detach(hidden: Any) -> Any:
    if hidden is None:
        return None
    if isinstance(hidden, (tuple, list)):
        return type(hidden)(_detach(h) for h in hidden)
    return hidden.detach()


class SequenceStep:
    """A recurrent model `model(x, hidden) -> (output, hidden)` (nn.RNN/LSTM/GRU style). With `carry`, each
    window starts from the previous window's final hidden state, detached so that backpropagation stops at the
    window (truncated BPTT); the state starts afresh (None) at every epoch. `hidden` holds the current state.
    `metric(out, y)`, when given, is recorded as train_acc from each step's output (before the update), as the
    course's sign accuracy is."""

    def __init__(self, model: nn.Module, loss_fn: Callable, optimizer: torch.optim.Optimizer, carry: bool = True,
                 output: Callable[[torch.Tensor], torch.Tensor] | None = None,
                 metric: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None):
        self.model, self.loss_fn, self.optimizer, self.carry = model, loss_fn, optimizer, carry
        self.output = output  # e.g. keep only the last time step: lambda out: out[:, -1]
        self.metric = metric
        self.hidden: Any = None

    def start_epoch(self) -> None:
        self.hidden = None

    def __call__(self, batch: Any, tools: StepTools) -> dict[str, torch.Tensor]:
        x, y = batch
        with tools.autocast():
            out, hidden = self.model(x, self.hidden if self.carry else None)
            if self.output is not None:
                out = self.output(out)
            loss = self.loss_fn(out, y)
        tools.optimize(loss, self.optimizer)
        self.hidden = _detach(hidden) if self.carry else None
        values = {"train_loss": loss}
        if self.metric is not None:
            values["train_acc"] = self.metric(out.detach(), y)
        return values


class ImageParameter(nn.Module):
    """The optimized parameter of style transfer: an image (as a module, so that the trainer checkpoints it)."""

    def __init__(self, initial: torch.Tensor):
        super().__init__()
        self.image = nn.Parameter(initial.detach().clone())

    def forward(self) -> torch.Tensor:
        return self.image


class ImageStep:
    """Optimize an input tensor against a frozen network: `losses(image)` returns the named losses (a dict with
    a "loss" total, or one tensor); the network's weights are not in the optimizer and take no gradient. Use
    with `train(step, None, epochs, steps_per_epoch=k, modules=image)`. `clamp` keeps pixels in range after each
    step, as style transfer does."""

    def __init__(self, image: ImageParameter, losses: Callable[[torch.Tensor], Mapping[str, torch.Tensor] | torch.Tensor],
                 optimizer: torch.optim.Optimizer, clamp: tuple[float, float] | None = None):
        self.image, self.losses, self.optimizer, self.clamp = image, losses, optimizer, clamp

    def __call__(self, batch: Any, tools: StepTools) -> dict[str, torch.Tensor]:
        with tools.autocast():
            values = self.losses(self.image())
        values = dict(values) if isinstance(values, Mapping) else {"loss": values}
        tools.optimize(values["loss"], self.optimizer)
        if self.clamp is not None:
            with torch.no_grad():
                self.image.image.clamp_(*self.clamp)
        return values


def freeze(network: nn.Module) -> nn.Module:
    """A network that only computes: eval mode, no gradients for its weights (style transfer's VGG, frozen
    layers of transfer learning)."""
    network.eval()
    for p in network.parameters():
        p.requires_grad_(False)
    return network
