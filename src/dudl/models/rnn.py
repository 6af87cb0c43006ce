"""Recurrent nets: a recurrent layer (RNN, LSTM or GRU) with a linear readout, a character model (embedding ->
LSTM -> linear), and the skip-gram model of word embeddings. Every recurrent net is `net(x, hidden) -> (output,
hidden)` with batch-first inputs, the signature dudl.steps.SequenceStep trains.

The course feeds [sequence, batch, features] (batch_first=False); we feed [batch, sequence, features]. The
arithmetic is the same; hidden states are [layers, batch, hidden] either way.
"""

from __future__ import annotations

import torch
from torch import nn

RECURRENT = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


def recurrent(kind: str, input_size: int, hidden: int, layers: int) -> nn.Module:
    if kind not in RECURRENT:
        raise ValueError(f"unknown recurrent layer '{kind}': {', '.join(RECURRENT)}")
    return RECURRENT[kind](input_size, hidden, layers, batch_first=True)


class SequenceNet(nn.Module):
    """A recurrent layer then Linear(hidden, outputs) on every time step (the course's rnnnet / LSTMnet)."""

    def __init__(self, input_size: int, hidden: int, layers: int = 1, outputs: int = 1, kind: str = "rnn"):
        super().__init__()
        self.rnn = recurrent(kind, input_size, hidden, layers)
        self.out = nn.Linear(hidden, outputs)

    def forward(self, x: torch.Tensor, hidden=None):
        y, hidden = self.rnn(x, hidden)
        return self.out(y), hidden


class CharNet(nn.Module):
    """Embedding(vocab, embedding) -> recurrent (hidden x layers) -> Linear(hidden, vocab): next-character logits
    at every position (the course's lstmnet, with embedding = vocab: a square embedding matrix)."""

    def __init__(self, vocab: int, embedding: int, hidden: int, layers: int, kind: str = "lstm",
                 dropout: float = 0.0):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embedding)
        self.rnn = recurrent(kind, embedding, hidden, layers)
        if layers > 1 and dropout > 0:
            self.rnn.dropout = dropout
        self.out = nn.Linear(hidden, vocab)

    def forward(self, x: torch.Tensor, hidden=None):
        y, hidden = self.rnn(self.embedding(x), hidden)
        return self.out(y), hidden


def flat_logits(out: torch.Tensor) -> torch.Tensor:
    """[batch, time, vocab] logits as [batch * time, vocab] rows for CrossEntropyLoss."""
    return out.reshape(-1, out.shape[-1])


def char_loss(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over every position of every window (in nats per character)."""
    return nn.functional.cross_entropy(flat_logits(out), y.reshape(-1))


class SkipGram(nn.Module):
    """Skip-gram with negative sampling: an input (center) and an output (context) embedding. Given rows
    [center, context, negative_1..k] it returns their scores [batch, 1 + k]: the dot products of the center's
    input vector with the output vectors of the context and of each negative."""

    def __init__(self, vocab: int, dim: int):
        super().__init__()
        self.center = nn.Embedding(vocab, dim)
        self.context = nn.Embedding(vocab, dim)
        # word2vec's initialization: input vectors U(-0.5, 0.5) / dim, output vectors zero
        nn.init.uniform_(self.center.weight, -0.5 / dim, 0.5 / dim)
        nn.init.zeros_(self.context.weight)

    def forward(self, rows: torch.Tensor) -> torch.Tensor:
        c = self.center(rows[:, 0])                   # [B, d]
        o = self.context(rows[:, 1:])                 # [B, 1 + k, d]
        return torch.einsum("bd,bkd->bk", c, o)


def negative_sampling_loss(scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """-log sigmoid(positive score) - sum of log sigmoid(-negative score), averaged over the batch (word2vec's
    objective: a sum over the 1 + k terms of each pair, not their mean)."""
    terms = nn.functional.binary_cross_entropy_with_logits(scores, labels, reduction="none")
    return terms.sum(dim=1).mean()
