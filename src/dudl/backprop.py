"""Backpropagation by hand for the course's plain nets: a chain of Linear layers and elementwise activations
trained on one of the course's losses. It calls the very kernels that autograd calls for such a net, with the
same arguments and in the same layout, so every gradient, and every weight after the optimizer step, is bit for
bit autograd's (tests/test_backprop.py checks that over nets, losses, optimizers and batch sizes). What it
leaves out is autograd's own cost: building a graph every step, the engine's bookkeeping, module call hooks, and
`optimizer.step()`'s Python around plain SGD's update. For the small MLPs that make up most of the course, that
cost is most of a step (issue 11: about 0.8 ms a step of the 784-64-32-32-10 net, of which the arithmetic is
0.15 ms).

`supervised_step` (dudl.train) uses it on its own where a training qualifies: a chain (`LayerChain.of`), one of
the losses below with its default arguments, fp32 on the CPU, no gradient clipping or regularizer, and no hooks
anywhere. Everything else, and everything when `DUDL_AUTOGRAD_ONLY=1` is set, takes autograd as before.

The step itself runs in C++ where dudl.backprop_native could build it (the same kernels and arguments as the
Python below, one call a step), else in Python; `DUDL_NATIVE=0` keeps it in Python.

How autograd computes a Linear layer y = addmm(b, x, W.t()) backward, which is what we replicate:
the weight's gradient is g.t().mm(x) (mm_mat2_backward's column-major branch, since W.t() is a transposed
view), the input's gradient g.mm(W) (none for the first layer: its input is data), the bias's g.sum(0) (the
broadcast bias summed back to its shape).
"""

from __future__ import annotations

import operator
import os
from typing import Callable, Sequence

import torch
from torch import nn

aten = torch.ops.aten
ENV = "DUDL_AUTOGRAD_ONLY"
MEAN = 1  # at::Reduction::Mean


def enabled() -> bool:
    return os.environ.get(ENV, "") in ("", "0")


# ---------------------------------------------------------------- layers


class _Linear:
    __slots__ = ("weight", "bias", "w", "w_t", "b")

    def __init__(self, module: nn.Linear):
        self.weight, self.bias = module.weight, module.bias
        # detached views share the parameters' storage: they follow the optimizer's in-place updates
        self.w = module.weight.detach()
        self.w_t = self.w.t()
        self.b = module.bias.detach() if module.bias is not None else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.addmm(self.b, x, self.w_t) if self.b is not None else x.mm(self.w_t)

    def grads(self, g: torch.Tensor, x: torch.Tensor) -> list[torch.Tensor]:
        grads = [g.t().mm(x)]
        if self.bias is not None:
            grads.append(g.sum(0))
        return grads

    def input_grad(self, g: torch.Tensor) -> torch.Tensor:
        return g.mm(self.w)


# An activation: (forward(x), backward(g, x, y) -> grad of x, in-place forward or None, (kind, arg) of the C++ step),
# where x is its input and y its output. ReLU, tanh and sigmoid need only their output backward, so right after a
# Linear layer (whose output nothing else needs) they run in place: one allocation less a layer, the same values.
Activation = tuple[Callable, Callable, Callable | None, tuple[str, float]]


def _activation(module: nn.Module) -> Activation | None:
    kind = type(module)
    if kind is nn.Identity:
        return (lambda x: x), (lambda g, x, y: g), None, ("identity", 0.0)
    if kind is nn.ReLU:
        return torch.relu, (lambda g, x, y: aten.threshold_backward(g, y, 0)), torch.relu_, ("relu", 0.0)
    if kind is nn.LeakyReLU:
        slope = module.negative_slope
        return ((lambda x: torch._C._nn.leaky_relu(x, slope)),
                (lambda g, x, y: aten.leaky_relu_backward(g, x, slope, False)), None, ("leaky_relu", float(slope)))
    if kind is nn.Tanh:
        return torch.tanh, (lambda g, x, y: aten.tanh_backward(g, y)), torch.tanh_, ("tanh", 0.0)
    if kind is nn.Sigmoid:
        return torch.sigmoid, (lambda g, x, y: aten.sigmoid_backward(g, y)), torch.sigmoid_, ("sigmoid", 0.0)
    if kind in (nn.LogSoftmax, nn.Softmax) and module.dim is not None:
        dim = module.dim
        if kind is nn.LogSoftmax:
            return ((lambda x: torch.log_softmax(x, dim)),
                    (lambda g, x, y: aten._log_softmax_backward_data(g, y, dim, x.dtype)), None,
                    ("log_softmax", float(dim)))
        return ((lambda x: torch.softmax(x, dim)),
                (lambda g, x, y: aten._softmax_backward_data(g, y, dim, x.dtype)), None, ("softmax", float(dim)))
    return None


def _no_hooks(module: nn.Module) -> bool:
    hooks = ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks")
    return not any(getattr(m, h, None) for m in module.modules() for h in hooks)


def _global_hooks() -> bool:
    from torch.nn.modules import module as M

    return any(getattr(M, name, None) for name in ("_global_forward_hooks", "_global_forward_pre_hooks",
                                                   "_global_backward_hooks", "_global_backward_pre_hooks"))


def _flatten(modules: Sequence[nn.Module]) -> list[nn.Module]:
    out: list[nn.Module] = []
    for m in modules:
        out.extend(_flatten(list(m)) if type(m) is nn.Sequential else [m])
    return out


class LayerChain:
    """A model as its sequence of Linear layers and activations, with a forward that keeps what backward needs.
    `LayerChain.of(model)` is None for a model that is not such a chain (a convolution, dropout, batchnorm,
    shared weights, hooks, ...). (Frozen weights are checked at every step: see HandStep.) A model whose forward is not nn.Sequential's declares its chain with a
    `layer_chain()` method (dudl.models.mlp.MLP); a test checks each such model's forward against its chain."""

    def __init__(self, layers: list, parameters: list[torch.Tensor]):
        self.layers = layers
        self.parameters = parameters  # in the order backward returns their gradients
        # the first Linear's input is data: nothing before it needs a gradient
        self.first_linear = next(i for i, layer in enumerate(layers) if isinstance(layer, _Linear))
        self.forwards = [layer.forward if isinstance(layer, _Linear)
                         else layer[2] if layer[2] is not None and i and isinstance(layers[i - 1], _Linear)
                         else layer[0] for i, layer in enumerate(layers)]

    @classmethod
    def of(cls, model: nn.Module) -> LayerChain | None:
        if hasattr(model, "layer_chain"):
            modules = _flatten(model.layer_chain())
        elif type(model) is nn.Sequential:
            modules = _flatten(list(model))
        else:
            return None
        if not _no_hooks(model):
            return None
        layers: list = []
        for m in modules:
            if type(m) is nn.Linear:
                layers.append(_Linear(m))
            else:
                act = _activation(m)
                if act is None:
                    return None
                layers.append(act)
        params: list[torch.Tensor] = []
        for layer in reversed(layers):
            if isinstance(layer, _Linear):
                params += [layer.weight] + ([layer.bias] if layer.bias is not None else [])
        declared = list(model.parameters())
        if not params or len({id(p) for p in params}) != len(params) or {id(p) for p in params} != {
                id(p) for p in declared}:
            return None  # weights shared between layers, or parameters the chain does not use
        if any(p.device.type != "cpu" or p.dtype != torch.float32 or p._backward_hooks
               or getattr(p, "_post_accumulate_grad_hooks", None) for p in params):
            return None
        return cls(layers, params)

    def native(self) -> tuple[list[int], list[float], list[torch.Tensor], list[torch.Tensor | None]]:
        """The chain as the C++ step takes it (backprop_native.cpp): layer codes and their numbers, then the
        Linear layers' weights and biases in order, as the detached views the optimizer's updates go through."""
        from dudl.backprop_native import KINDS

        codes = [("linear", 0.0) if isinstance(layer, _Linear) else layer[3] for layer in self.layers]
        linears = [layer for layer in self.layers if isinstance(layer, _Linear)]
        return ([KINDS[kind] for kind, _ in codes], [arg for _, arg in codes], [layer.w for layer in linears],
                [layer.b for layer in linears])

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The values at every point of the chain: [x, after layer 1, ..., output]."""
        values = [x]
        for forward in self.forwards:
            x = forward(x)
            values.append(x)
        return values

    def backward(self, values: list[torch.Tensor], g: torch.Tensor) -> list[torch.Tensor]:
        """The parameters' gradients (in `self.parameters`' order) from the loss's gradient at the output."""
        grads: list[torch.Tensor] = []
        for i in range(len(self.layers) - 1, self.first_linear - 1, -1):
            layer = self.layers[i]
            if isinstance(layer, _Linear):
                grads += layer.grads(g, values[i])
                if i > self.first_linear:
                    g = layer.input_grad(g)
            else:
                g = layer[1](g, values[i], values[i + 1])
        return grads


# ---------------------------------------------------------------- losses


# A loss: (forward(out, target) -> (loss, saved), backward(out, target, saved) -> grad of out).
Loss = tuple[Callable, Callable]
_ONE: dict[torch.dtype, torch.Tensor] = {}


def _one(dtype: torch.dtype) -> torch.Tensor:
    """The engine's seed gradient, ones_like(loss)."""
    if dtype not in _ONE:
        _ONE[dtype] = torch.ones((), dtype=dtype)
    return _ONE[dtype]


def _nll(logp: torch.Tensor, target: torch.Tensor):
    return aten.nll_loss_forward(logp, target, None, MEAN, -100)


def _nll_backward(logp, target, total_weight):
    return aten.nll_loss_backward(_one(logp.dtype), logp, target, None, MEAN, -100, total_weight)


def _cross_entropy() -> Loss:
    def forward(out, target):
        logp = torch.log_softmax(out, 1)
        loss, total_weight = _nll(logp, target)
        return loss, (logp, total_weight)

    def backward(out, target, saved):
        logp, total_weight = saved
        return aten._log_softmax_backward_data(_nll_backward(logp, target, total_weight), logp, 1, out.dtype)

    return forward, backward


def _nll_loss() -> Loss:
    def forward(out, target):
        loss, total_weight = _nll(out, target)
        return loss, total_weight

    return forward, (lambda out, target, total_weight: _nll_backward(out, target, total_weight))


def _mse() -> Loss:
    return ((lambda out, target: (aten.mse_loss(out, target, MEAN), None)),
            (lambda out, target, _: aten.mse_loss_backward(_one(out.dtype), out, target, MEAN)))


def _bce() -> Loss:
    return ((lambda out, target: (aten.binary_cross_entropy(out, target, None, MEAN), None)),
            (lambda out, target, _: aten.binary_cross_entropy_backward(_one(out.dtype), out, target, None, MEAN)))


def _bce_with_logits() -> Loss:
    # autograd's binary_cross_entropy_with_logits_backward (a C++ formula, not an op) without weights:
    # (sigmoid(x) - t) * grad, divided by the element count for the mean
    def backward(out, target, _):
        return (out.sigmoid() - target).mul_(_one(out.dtype)).div_(out.numel())

    return ((lambda out, target: (torch.binary_cross_entropy_with_logits(out, target, None, None, MEAN), None)),
            backward)


def loss_of(loss_fn: Callable) -> Loss | None:
    """The hand-made forward and backward of a course loss module with its default arguments, else None."""
    kind = type(loss_fn)
    if not isinstance(loss_fn, nn.Module) or getattr(loss_fn, "reduction", None) != "mean" or not _no_hooks(loss_fn):
        return None
    if kind in (nn.CrossEntropyLoss, nn.NLLLoss):
        if loss_fn.weight is not None or loss_fn.ignore_index != -100:
            return None
        if kind is nn.NLLLoss:
            return _nll_loss()
        return _cross_entropy() if loss_fn.label_smoothing == 0.0 else None
    if kind is nn.MSELoss:
        return _mse()
    if kind is nn.BCELoss:
        return _bce() if loss_fn.weight is None else None
    if kind is nn.BCEWithLogitsLoss:
        return _bce_with_logits() if loss_fn.weight is None and loss_fn.pos_weight is None else None
    return None


def _loss_fits(loss_fn: Callable, out_shape: tuple, out_dtype: torch.dtype, target: torch.Tensor) -> bool:
    """The target has the form the hand-made loss handles for an output of this shape and dtype (anything else:
    autograd, with torch's own checks)."""
    if isinstance(loss_fn, (nn.CrossEntropyLoss, nn.NLLLoss)):
        return len(out_shape) == 2 and target.ndim == 1 and target.dtype == torch.int64
    return tuple(out_shape) == tuple(target.shape) and out_dtype == target.dtype


# ---------------------------------------------------------------- the optimizer's step


def _plain_sgd(optimizer: torch.optim.Optimizer) -> bool:
    """torch's SGD with nothing but a learning rate: its update is param.add_(grad, alpha=-lr) (or the same
    foreach), which we run directly. Anything else steps through optimizer.step()."""
    if type(optimizer) is not torch.optim.SGD:
        return False
    if optimizer._optimizer_step_pre_hooks or optimizer._optimizer_step_post_hooks:
        return False
    from torch.optim import optimizer as O

    if getattr(O, "_global_optimizer_pre_hooks", None) or getattr(O, "_global_optimizer_post_hooks", None):
        return False
    return all(g["momentum"] == 0 and g["weight_decay"] == 0 and not g["nesterov"] and not g["maximize"]
               and not g.get("fused") and not g.get("differentiable") for g in optimizer.param_groups)


_REQUIRES_GRAD = operator.attrgetter("requires_grad")

# the C++ step's code for each loss module loss_of accepts (options are checked there)
_NATIVE_LOSS = {nn.CrossEntropyLoss: "cross_entropy", nn.NLLLoss: "nll", nn.MSELoss: "mse", nn.BCELoss: "bce",
                nn.BCEWithLogitsLoss: "bce_with_logits"}


class HandStep:
    """One supervised step with the hand-made backward: forward, loss, gradients, then the optimizer's update.
    Each parameter's .grad holds its gradient afterwards, as after loss.backward(). The step runs in C++
    (dudl.backprop_native: the same kernels, one call from Python) where that is built, else in Python."""

    def __init__(self, chain: LayerChain, loss: Loss, loss_fn: Callable, optimizer: torch.optim.Optimizer):
        self.chain, self.loss, self.loss_fn, self.optimizer = chain, loss, loss_fn, optimizer
        owned = {id(p) for g in optimizer.param_groups for p in g["params"]}
        self.covers = owned == {id(p) for p in chain.parameters}
        self.groups: list | None = None  # decided at the first step: the trainer may set `fused` before it
        self.native = self._native()

    def _native(self) -> tuple | None:
        """(the compiled step, its fixed arguments, the output's width) where the C++ step is on and built, else
        None."""
        from dudl import backprop_native

        if not backprop_native.enabled():
            return None
        op = backprop_native.load()
        if op is None:
            return None
        kinds, args, weights, biases = self.chain.native()
        loss = backprop_native.LOSSES[_NATIVE_LOSS[type(self.loss_fn)]]
        return op, (kinds, args, weights, biases, loss, list(self.chain.parameters)), weights[-1].shape[0]

    def _sgd_groups(self) -> list:
        """[(parameter positions, param group)] for plain SGD, else [] (the update goes through step())."""
        if not _plain_sgd(self.optimizer):
            return []
        position = {id(p): i for i, p in enumerate(self.chain.parameters)}
        return [([position[id(p)] for p in g["params"]], [p.detach() for p in g["params"]], g)
                for g in self.optimizer.param_groups]

    def _native_fits(self, x: torch.Tensor, y: torch.Tensor) -> bool:
        """_loss_fits, told from the batch before the forward (the chain's output is [rows, last layer's width])."""
        return x.ndim == 2 and _loss_fits(self.loss_fn, (x.shape[0], self.native[2]), x.dtype, y)

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor] | None:
        """(loss, output), or None where this batch is not one the hand-made step handles (then nothing has
        changed, and the caller takes autograd)."""
        if x.device.type != "cpu" or x.dtype != torch.float32:
            return None
        if not all(map(_REQUIRES_GRAD, self.chain.parameters)):
            return None  # frozen layers (weights/freeze_weights freezes some for a while): autograd skips them
        if self.groups is None:
            self.groups = self._sgd_groups()
            if self.native is not None:  # plain SGD's -lr for each parameter, in the chain's order
                group_of = {i: g for indices, _, g in self.groups for i in indices}
                self.lr_groups = [group_of[i] for i in range(len(self.chain.parameters))] if self.groups else []
        params = self.chain.parameters
        if self.native is not None and self._native_fits(x, y):
            op, fixed = self.native[:2]  # it also sets each parameter's .grad
            loss, out = op(x, y, *fixed, [-float(g["lr"]) for g in self.lr_groups])
        else:
            with torch.no_grad():
                values = self.chain.forward(x)
                out = values[-1]
                if not _loss_fits(self.loss_fn, out.shape, out.dtype, y):
                    return None
                loss, saved = self.loss[0](out, y)
                grads = self.chain.backward(values, self.loss[1](out, y, saved))
                for p, g in zip(params, grads):
                    p.grad = g
                for indices, detached, group in self.groups:
                    torch._foreach_add_(detached, [grads[i] for i in indices], alpha=-group["lr"])
        if self.groups:
            self.optimizer._opt_called = True  # what an lr scheduler checks to know the optimizer stepped
        else:
            self.optimizer.step()
        return loss, out


def hand_step(model: nn.Module, loss_fn: Callable, optimizer: torch.optim.Optimizer) -> HandStep | None:
    """A HandStep for this training, or None where it does not qualify (then autograd does the step)."""
    if not enabled():
        return None
    loss = loss_of(loss_fn)
    if loss is None:
        return None
    chain = LayerChain.of(model)
    if chain is None:
        return None
    step = HandStep(chain, loss, loss_fn, optimizer)
    return step if step.covers else None
