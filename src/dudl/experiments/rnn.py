"""Section rnn: the RNN, LSTM and GRU classes (shapes), an alternating sequence and a sine-like wave predicted one
value ahead by a small RNN (the wave with its hidden state carried across windows), and a character LSTM on a
lorem-ipsum text. Training is dudl.train.train with dudl.steps.SequenceStep, one window per step as the course
steps."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd
import torch
from torch import nn

from dudl.experiments.training import adam, sgd, to_tensors
from dudl.models.mlp import count_parameters
from dudl.models.rnn import CharNet, SequenceNet, char_loss
from dudl.results import Result
from dudl.steps import SequenceStep
from dudl.text import Vocabulary, next_token_windows, next_value_windows, sample
from dudl.train import Batches, train

P = Mapping[str, Any]
ACTIVATION_AXES = ("sequence", "batch", "features")
STATE_AXES = ("layers", "batch", "features")
WEIGHT_AXES = ("rows", "columns")


# ---------------------------------------------------------------- shapes (RNN_intro2RNN, RNN_LSTMGRU)


def _dims(name: str, tensor: torch.Tensor, axes) -> dict[str, int]:
    if tensor.ndim != len(axes):
        raise ValueError(f"{name} has shape {list(tensor.shape)}, expected axes {axes}")
    return {f"{name}_{axis}": int(n) for axis, n in zip(axes, tensor.shape)}


def _weights(prefix: str, layer: nn.Module) -> tuple[dict[str, int], dict[str, np.ndarray], list[dict]]:
    """Every weight matrix of a recurrent layer: its dims (metrics), values (figures) and a table row."""
    dims, values, rows = {}, {}, []
    for name, w in layer.named_parameters():
        if "weight" in name:
            dims |= _dims(f"{prefix}_{name}", w, WEIGHT_AXES)
            values[f"{prefix}_{name}"] = w.detach().numpy().copy()
            rows.append({"layer": prefix, "tensor": name, "shape": "x".join(map(str, w.shape))})
    return dims, values, rows


def _shape_rows(prefix: str, tensors: Mapping[str, torch.Tensor]) -> list[dict]:
    return [{"layer": prefix, "tensor": k, "shape": "x".join(map(str, t.shape))} for k, t in tensors.items()]


def intro2rnn(p: P, ctx) -> Result:
    """nn.RNN in the course's sequence-first layout: shapes, the default hidden state (zeros), weight shapes, and
    the RNN -> Linear wrapper with an MSE on random targets."""
    ctx.torch_seed("rnn")
    rnn = nn.RNN(p["input_size"], p["hidden"], p["layers"], nonlinearity=p["nonlinearity"])
    x = torch.rand(p["seq_length"], p["batch"], p["input_size"])
    zero = torch.zeros(p["layers"], p["batch"], p["hidden"])
    with torch.no_grad():
        y, h1 = rnn(x, zero)
        _, h2 = rnn(x)
        readout = nn.Linear(p["hidden"], 1)
        out = readout(y)
        mse = nn.functional.mse_loss(out, torch.rand(p["seq_length"], p["batch"], 1))
    dims, values, rows = _weights("rnn", rnn)
    shapes = {"input": x, "output": y, "hidden": h1, "net_output": out}
    metrics = {**_dims("input", x, ACTIVATION_AXES), **_dims("output", y, ACTIVATION_AXES),
               **_dims("hidden", h1, STATE_AXES), **_dims("net_output", out, ACTIVATION_AXES), **dims,
               "zero_hidden_max_difference": float((h1 - h2).abs().max()),
               "output_hidden_size": int(y.shape[-1]), "random_target_mse": float(mse),
               "parameters": count_parameters(rnn) + count_parameters(readout)}
    return Result(metrics=metrics, summary=pd.DataFrame(_shape_rows("rnn", shapes) + rows), data=values)


def lstm_gru(p: P, ctx) -> Result:
    """nn.LSTM (hidden and cell states) and nn.GRU (hidden only) with 2 layers: shapes and gate-stacked weights."""
    ctx.torch_seed("lstm_gru")
    n_in, hidden, layers, seq, batch = (p[k] for k in ("input_size", "hidden", "layers", "seq_length", "batch"))
    lstm, gru = nn.LSTM(n_in, hidden, layers), nn.GRU(n_in, hidden, layers)
    x = torch.rand(seq, batch, n_in)
    zeros = torch.zeros(layers, batch, hidden)
    with torch.no_grad():
        y, (h, c) = lstm(x, (zeros, zeros))
        _, (h_default, c_default) = lstm(x)
        gy, gh = gru(x, zeros)
        _, gh_default = gru(x)
    metrics = {**_dims("lstm_output", y, ACTIVATION_AXES), **_dims("lstm_hidden", h, STATE_AXES),
               **_dims("lstm_cell", c, STATE_AXES), **_dims("gru_output", gy, ACTIVATION_AXES),
               **_dims("gru_hidden", gh, STATE_AXES),
               "lstm_zero_hidden_max_difference": float(max((h - h_default).abs().max(), (c - c_default).abs().max())),
               "gru_zero_hidden_max_difference": float((gh - gh_default).abs().max()),
               "lstm_parameters": count_parameters(lstm), "gru_parameters": count_parameters(gru)}
    values, rows = {}, []
    for prefix, layer in (("lstm", lstm), ("gru", gru)):
        dims, vals, table = _weights(prefix, layer)
        metrics |= dims
        values |= vals
        rows += table
    rows = _shape_rows("lstm", {"output": y, "hidden": h, "cell": c}) + _shape_rows(
        "gru", {"output": gy, "hidden": gh}) + rows
    return Result(metrics=metrics, summary=pd.DataFrame(rows), data=values)


# ---------------------------------------------------------------- one value ahead (altSequences, SineExtrapolate)


def sign_accuracy(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Percent of predictions with the sign of their target."""
    return (torch.sign(out) == torch.sign(y)).float().mean() * 100


def last_step(out: torch.Tensor) -> torch.Tensor:
    """Many-to-one: the output after the last value of each window."""
    return out[:, -1]


@torch.no_grad()
def window_predictions(model: nn.Module, series: np.ndarray, length: int, carry: bool, device):
    """Each window of `length` values of the series predicts the next one (the course's evaluation loops):
    predictions aligned with the series (nan for the first `length`) and the hidden state after each window
    (zeros there), the state carried across windows when `carry`."""
    model.eval()
    x, _ = next_value_windows(series, length)
    preds = np.full(len(series), np.nan)
    states = np.zeros((len(series), model.rnn.hidden_size))
    hidden = None
    for i, window in enumerate(torch.as_tensor(x, device=device)):
        out, hidden = model(window[None], hidden if carry else None)
        preds[i + length] = float(out[0, -1, 0])
        states[i + length] = hidden[-1, 0].cpu().numpy()
    model.train()
    return preds, states


@torch.no_grad()
def free_run(model: nn.Module, series: np.ndarray, length: int, total: int, start: int, device) -> np.ndarray:
    """Extrapolation with the hidden state carried: window after window over a signal of `total` values that
    begins with the real series; from index `start` on, each value is the net's prediction fed back in.
    start = len(series): read the data, then run free; start = length: the course's loop, which overwrites the
    real signal with predictions from the first window on."""
    model.eval()
    signal = torch.zeros(total, device=device)
    signal[:len(series)] = torch.as_tensor(series, device=device)
    hidden = None
    for t in range(total - length):
        out, hidden = model(signal[t:t + length].view(1, length, 1), hidden)
        if t + length >= start:
            signal[t + length] = out[0, -1, 0]
    model.train()
    return signal.cpu().numpy()


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    ok = ~(np.isnan(a) | np.isnan(b))
    return float(np.corrcoef(a[ok], b[ok])[0, 1]) if ok.sum() > 2 and a[ok].std() > 0 and b[ok].std() > 0 else float("nan")


def _train_one_ahead(p: P, ctx, series: np.ndarray, carry: bool, metric=None):
    """The course's training: SGD, one window per step in order, MSE of the window's last output."""
    generator = ctx.torch_seed("model")
    x, y = to_tensors(ctx.device, *next_value_windows(series, p["seq_length"]))
    model = SequenceNet(1, p["hidden"], p["layers"]).to(ctx.device)
    opt = sgd(p["lr"])(model.parameters())
    step = SequenceStep(model, nn.MSELoss(), opt, carry=carry, output=last_step, metric=metric)
    history = train(step, Batches(x, y, 1, generator=generator), ctx.scale.epochs(p["epochs"]), modules=model,
                    optimizers=opt, show_progress=ctx.show_progress, desc="model")
    return model, history


def alternating(rng: np.random.Generator, n: int, phase: int = 0) -> np.ndarray:
    """U(0, 1) magnitudes with alternating signs: + at even indices (phase 0) or at odd ones (phase 1)."""
    return (rng.random(n) * (-1.0) ** (np.arange(n) + phase)).astype(np.float32)


def alt_sequences(p: P, ctx) -> Result:
    L = p["seq_length"]
    data = alternating(ctx.rng("data"), p["n"])
    model, history = _train_one_ahead(p, ctx, data, carry=False, metric=sign_accuracy)
    preds, states = window_predictions(model, data, L, carry=False, device=ctx.device)
    flipped = alternating(ctx.rng("test"), p["n"], phase=1)
    test_preds, _ = window_predictions(model, flipped, L, carry=False, device=ctx.device)
    acc = lambda pred, true: float(100 * np.mean(np.sign(pred[L:]) == np.sign(true[L:])))
    pos, neg = data[L:] > 0, data[L:] < 0
    frame = history.frame()
    return Result(
        metrics={"final_train_loss": float(frame.train_loss.iloc[-1]), "final_train_acc": float(frame.train_acc.iloc[-1]),
                 "train_sign_acc": acc(preds, data), "test_sign_acc": acc(test_preds, flipped),
                 "train_r": _corr(preds[L:], data[L:]),
                 "r_within_positive": _corr(preds[L:][pos], data[L:][pos]),
                 "r_within_negative": _corr(preds[L:][neg], data[L:][neg]),
                 "windows": len(data) - L, "parameters": count_parameters(model)},
        history=frame,
        data={"series": data, "predictions": preds, "hidden": states, "test_series": flipped,
              "test_predictions": test_preds, "input_weights": model.rnn.weight_ih_l0.detach().cpu().numpy()[:, 0]},
        models={"model": model.state_dict()},
    )


def sine_signal(n: int, periods_pi: float, inner=np.cos, total: int | None = None) -> np.ndarray:
    """sin(t + inner(t)) with t = linspace(0, periods_pi * pi, n), continued at the same spacing to `total`."""
    dt = periods_pi * np.pi / (n - 1)
    t = np.arange(total or n) * dt
    return np.sin(t + inner(t)).astype(np.float32)


def sine_extrapolate(p: P, ctx) -> Result:
    n, L = p["n"], p["seq_length"]
    data = sine_signal(n, p["periods_pi"])
    model, history = _train_one_ahead(p, ctx, data, carry=True)
    preds, states = window_predictions(model, data, L, carry=True, device=ctx.device)
    test = sine_signal(n, p["periods_pi"], inner=np.sin)
    test_preds, _ = window_predictions(model, test, L, carry=True, device=ctx.device)
    total = p["extrapolate"] * n
    truth = sine_signal(n, p["periods_pi"], total=total)
    free = free_run(model, data, L, total, start=n, device=ctx.device)
    course = free_run(model, data, L, total, start=L, device=ctx.device)
    frame = history.frame()
    return Result(
        metrics={"final_train_loss": float(frame.train_loss.iloc[-1]),
                 "train_r": _corr(preds, data), "test_r": _corr(test_preds, test),
                 "extrapolation_r": _corr(free[n:], truth[n:]),
                 "extrapolation_rmse": float(np.sqrt(np.mean((free[n:] - truth[n:]) ** 2))),
                 "course_extrapolation_r": _corr(course[L:], truth[L:]),
                 "windows": n - L, "parameters": count_parameters(model)},
        history=frame,
        data={"series": data, "predictions": preds, "hidden": states, "test_series": test,
              "test_predictions": test_preds, "truth": truth, "extrapolated": free, "course_extrapolated": course,
              "input_weights": model.rnn.weight_ih_l0.detach().cpu().numpy()[:, 0]},
        models={"model": model.state_dict()},
    )


# ---------------------------------------------------------------- lorem ipsum

# The unique words of the classic lorem ipsum passage (Cicero, de finibus, as typesetters scrambled it).
LOREM_WORDS = (
    "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore "
    "magna aliqua enim ad minim veniam quis nostrud exercitation ullamco laboris nisi aliquip ex ea commodo "
    "consequat duis aute irure in reprehenderit voluptate velit esse cillum eu fugiat nulla pariatur excepteur "
    "sint occaecat cupidatat non proident sunt culpa qui officia deserunt mollit anim id est laborum"
).split()


def lorem_text(characters: int, seed: int) -> str:
    """A lower-case lorem-ipsum text of exactly `characters` characters, the same for the same seed: it opens
    with the classic first sentence, then sentences of 5-14 words drawn from the classic word list, a comma
    after a word with probability .1 and a semicolon with .03, each sentence ending in a full stop."""
    rng = np.random.default_rng(seed)
    sentences = ["lorem ipsum dolor sit amet, consectetur adipiscing elit."]
    length = len(sentences[0])
    while length < characters:
        picked = [LOREM_WORDS[i] for i in rng.integers(len(LOREM_WORDS), size=int(rng.integers(5, 15)))]
        marks = rng.random(len(picked) - 1)
        words = [w + ("," if m < 0.1 else ";" if m < 0.13 else "") for w, m in zip(picked, marks)] + [picked[-1]]
        sentences.append(" ".join(words) + ".")
        length += len(sentences[-1]) + 1
    return " ".join(sentences)[:characters]


# Every character lorem_text can write. The vocabulary is this alphabet, not the characters of one text: a
# scaled-down text may lack some (the prime 'x' among them), and at scale 1.0 the 5,809 characters hold all 25,
# so the vocabulary, its order and the numbers are the same as the text's own.
LOREM_ALPHABET = "".join(sorted(set("".join(LOREM_WORDS)) | set(" ,;.")))


def loremipsum(p: P, ctx) -> Result:
    text = lorem_text(ctx.scale.count(p["characters"], minimum=p["seq_length"] + 2), p["text_seed"])
    vocab = Vocabulary.of_characters(LOREM_ALPHABET)
    ids = vocab.encode(text)
    generator = ctx.torch_seed("model")
    x, y = to_tensors(ctx.device, *next_token_windows(ids, p["seq_length"]))
    model = CharNet(len(vocab), len(vocab), p["hidden"], p["layers"]).to(ctx.device)
    before = model.embedding.weight.detach().cpu().numpy().copy()
    opt = adam(p["lr"])(model.parameters())
    step = SequenceStep(model, char_loss, opt, carry=False)  # the course resets the state for every window
    history = train(step, Batches(x, y, 1, generator=generator), ctx.scale.epochs(p["epochs"]), modules=model,
                    optimizers=opt, show_progress=ctx.show_progress, desc="model")
    generated, hidden = sample(model, vocab, p["prime"], p["generate"], temperature=0, device=ctx.device)
    after = model.embedding.weight.detach().cpu().numpy()
    frame = history.frame()
    return Result(
        metrics={"final_train_loss": float(frame.train_loss.iloc[-1]), "characters": len(text),
                 "vocabulary": len(vocab), "windows": len(x), "parameters": count_parameters(model),
                 "sample_distinct_characters": len(set(generated))},
        history=frame,
        data={"ids": ids, "embedding_before": before, "embedding_after": after,
              "final_hidden": hidden[0][:, 0].cpu().numpy(),
              "characters": pd.DataFrame({"character": list(vocab.tokens)}),
              "sample": pd.DataFrame({"text": [generated], "text_start": [text[:300]]})},
        models={"model": model.state_dict()},
    )
