"""Text for sequence models: a vocabulary (characters or words), windows over a token sequence, parallel streams
for truncated backpropagation through time, perplexity, chapters, sampling from a character model, and the
skip-gram pieces of word embeddings (pairs, negative sampling, neighbours, analogies, a 2-D map).

Used by sections rnn (the lorem-ipsum character model) and text (Austen: character LSTM, word embeddings).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

# ---------------------------------------------------------------- vocabulary


@dataclass(frozen=True)
class Vocabulary:
    """Tokens (characters or words) <-> integer ids. Ids follow the order of `tokens`: sorted characters, or words
    by falling frequency (ties alphabetical), so the same text always gives the same ids."""

    tokens: tuple[str, ...]

    def __post_init__(self):
        if len(set(self.tokens)) != len(self.tokens):
            raise ValueError("a vocabulary lists each token once")

    @classmethod
    def of_characters(cls, text: str) -> "Vocabulary":
        return cls(tuple(sorted(set(text))))

    @classmethod
    def of_words(cls, words: Iterable[str], min_count: int = 1) -> "Vocabulary":
        counts = Counter(words)
        kept = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
        return cls(tuple(kept))

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: str) -> bool:
        return token in self.index

    @property
    def index(self) -> dict[str, int]:
        return {t: i for i, t in enumerate(self.tokens)}

    def encode(self, tokens: Iterable[str], skip_unknown: bool = False) -> np.ndarray:
        """int64 ids; an unknown token is an error unless `skip_unknown` (then it is dropped)."""
        index = self.index
        if skip_unknown:
            return np.array([index[t] for t in tokens if t in index], dtype=np.int64)
        try:
            return np.array([index[t] for t in tokens], dtype=np.int64)
        except KeyError as exc:
            raise KeyError(f"token {exc.args[0]!r} is not in the vocabulary") from None

    def decode(self, ids: Iterable[int], sep: str = "") -> str:
        return sep.join(self.tokens[int(i)] for i in ids)


# ---------------------------------------------------------------- windows


def next_value_windows(series: np.ndarray, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Many-to-one windows of a 1-D series: x [n - length, length, 1] (float32), y [n - length, 1], the value
    right after each window (the course's data[t:t+L] -> data[t+L], stride 1)."""
    series = np.asarray(series, dtype=np.float32)
    n = len(series) - length
    if n < 1:
        raise ValueError(f"a series of {len(series)} values has no window of {length} followed by a value")
    x = np.lib.stride_tricks.sliding_window_view(series, length)[:n]
    return np.ascontiguousarray(x[..., None]), series[length:, None].copy()


def next_token_windows(ids: np.ndarray, length: int, stride: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Language-model windows: x [n, length] and y [n, length], y the same window shifted by one token
    (the course's data[t:t+L] -> data[t+1:t+L+1]); windows start every `stride` tokens."""
    ids = np.asarray(ids)
    n = len(ids) - length
    if n < 1:
        raise ValueError(f"{len(ids)} tokens hold no window of {length} plus its next token")
    starts = np.arange(0, n, stride)
    offsets = np.arange(length)
    return ids[starts[:, None] + offsets], ids[starts[:, None] + offsets + 1]


def streams(ids: np.ndarray, batch: int, length: int) -> tuple[np.ndarray, np.ndarray]:
    """The token sequence cut into `batch` contiguous streams, read `length` tokens at a time: x and y of shape
    [windows, batch, length], y shifted by one. Window k+1 of a stream continues window k, so a hidden state
    carried from one window to the next (detached: truncated backpropagation) sees the text in order."""
    ids = np.asarray(ids)
    per_stream = (len(ids) - 1) // batch
    windows = per_stream // length
    if windows < 1:
        raise ValueError(f"{len(ids)} tokens make no window of {length} in {batch} streams")
    used = windows * length
    x = ids[:batch * per_stream].reshape(batch, per_stream)[:, :used]
    y = ids[1:batch * per_stream + 1].reshape(batch, per_stream)[:, :used]
    as_windows = lambda a: np.ascontiguousarray(a.reshape(batch, windows, length).transpose(1, 0, 2))
    return as_windows(x), as_windows(y)


# ---------------------------------------------------------------- perplexity


def perplexity(mean_cross_entropy: float) -> float:
    """exp of the mean per-token cross-entropy (in nats): the number of equally likely tokens the model is, on
    average, choosing among. A uniform model over V tokens has perplexity V."""
    return float(math.exp(mean_cross_entropy))


# ---------------------------------------------------------------- books

CHAPTER = re.compile(r"^\s*chapter\s+([0-9]+|[ivxlc]+)\.?\s*$", re.IGNORECASE | re.MULTILINE)


def chapters(book: str) -> list[str]:
    """A book's chapters (the text after each 'Chapter 12' / 'CHAPTER XII' heading line, up to the next one);
    front matter before the first heading and volume headings between chapters go with no chapter or stay with
    the chapter before."""
    heads = list(CHAPTER.finditer(book))
    if not heads:
        raise ValueError("no chapter headings ('Chapter 1', 'CHAPTER I', ...) found")
    ends = [h.start() for h in heads[1:]] + [len(book)]
    return [book[h.end():end] for h, end in zip(heads, ends)]


def plain(text: str) -> str:
    """Paragraphs on one line each (the printed line breaks inside a paragraph become spaces), paragraphs
    separated by one newline, runs of spaces squeezed, the underscores Gutenberg marks italics with dropped."""
    text = text.replace("_", "").replace("\r", "")
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    return "\n".join(p for p in paragraphs if p)


def held_out_split(book: str, every: int) -> tuple[str, str, list[int]]:
    """(training text, held-out text, held-out chapter numbers from 1): every `every`-th chapter is held out
    (chapters every, 2*every, ...), the rest train. Both texts are `plain`, chapters joined by newlines."""
    parts = chapters(book)
    held = [i for i in range(1, len(parts) + 1) if i % every == 0]
    if not held or len(held) == len(parts):
        raise ValueError(f"holding out every {every}th of {len(parts)} chapters leaves no train or no test text")
    train = "\n".join(plain(c) for i, c in enumerate(parts, 1) if i not in held)
    test = "\n".join(plain(c) for i, c in enumerate(parts, 1) if i in held)
    return train, test, held


WORD = re.compile(r"[a-z]+")


def words(text: str) -> list[str]:
    """Lower-case alphabetic words ("Mr. Darcy's" -> mr, darcy, s), the tokens of the word embeddings."""
    return WORD.findall(text.lower().replace("_", ""))


# ---------------------------------------------------------------- sampling from a character model


def sample(model, vocab: Vocabulary, prime: str, length: int, temperature: float, generator=None,
           device="cpu"):
    """(prime + `length` generated characters, the final hidden state) from a model(ids [1, T], hidden) ->
    (logits [1, T, V], hidden): the prime is read once, then each character is drawn from
    softmax(logits / temperature) and fed back (temperature 0: the argmax, the course's greedy choice)."""
    import torch

    was_training = model.training
    model.eval()
    out = []
    with torch.no_grad():
        x = torch.as_tensor(vocab.encode(prime), device=device)[None]
        logits, hidden = model(x, None)
        for _ in range(length):
            last = logits[0, -1].float()
            if temperature == 0:
                nxt = int(last.argmax())
            else:
                probs = torch.softmax(last / temperature, dim=-1).cpu()
                nxt = int(torch.multinomial(probs, 1, generator=generator))
            out.append(nxt)
            logits, hidden = model(torch.tensor([[nxt]], device=device), hidden)
    model.train(was_training)
    return prime + vocab.decode(out), hidden


# ---------------------------------------------------------------- skip-gram with negative sampling


def keep_probabilities(counts: np.ndarray, sample: float) -> np.ndarray:
    """word2vec's subsampling of frequent words: a word of corpus frequency f is kept with probability
    (sqrt(f / sample) + 1) * sample / f (capped at 1), the formula of the reference C code and gensim."""
    f = counts / counts.sum()
    if sample <= 0:
        return np.ones_like(f)
    return np.minimum(1.0, (np.sqrt(f / sample) + 1) * sample / f)


def skipgram_pairs(ids: np.ndarray, window: int, rng: np.random.Generator,
                   segments: np.ndarray | None = None) -> np.ndarray:
    """(center, context) pairs [n, 2] of a token sequence: each center takes a window of b tokens either side,
    b drawn uniformly from 1..window per center (word2vec's reduced window). With `segments` (a label per
    token, e.g. its paragraph), a pair never crosses from one segment into another (gensim's sentences)."""
    ids = np.asarray(ids)
    reach = rng.integers(1, window + 1, size=len(ids))
    pairs = []
    for offset in range(1, window + 1):
        for sign in (-1, 1):
            centers = np.arange(len(ids))
            others = centers + sign * offset
            ok = (others >= 0) & (others < len(ids)) & (reach >= offset)
            if segments is not None:
                ok[ok] &= segments[centers[ok]] == segments[others[ok]]
            pairs.append(np.stack([ids[centers[ok]], ids[others[ok]]], axis=1))
    return np.concatenate(pairs) if pairs else np.zeros((0, 2), dtype=np.int64)


def noise_distribution(counts: np.ndarray, power: float = 0.75) -> np.ndarray:
    """The negative-sampling distribution: unigram counts to the 3/4 power, normalized."""
    weights = np.asarray(counts, dtype=np.float64) ** power
    return weights / weights.sum()


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def nearest(vectors: np.ndarray, vocab: Vocabulary, word: str, k: int) -> list[tuple[str, float]]:
    """The k words of highest cosine similarity to `word` (itself excluded)."""
    unit = unit_rows(vectors)
    i = vocab.index[word]
    sims = unit @ unit[i]
    sims[i] = -np.inf
    best = np.argsort(-sims, kind="stable")[:k]
    return [(vocab.tokens[j], float(sims[j])) for j in best]


def analogy_questions(pairs: Sequence[tuple[str, str]]) -> list[tuple[str, str, str, str]]:
    """Every a:b :: c:d question from a list of word pairs (a, b) that share one relation: for each ordered pair
    of different pairs (a, b), (c, d)."""
    return [(a, b, c, d) for i, (a, b) in enumerate(pairs) for j, (c, d) in enumerate(pairs) if i != j]


def analogies(vectors: np.ndarray, vocab: Vocabulary, questions: Sequence[tuple[str, str, str, str]]):
    """Answer a:b :: c:? by 3CosAdd (the word nearest b - a + c, the three question words excluded), as
    word2vec's compute-accuracy and gensim's most_similar do. Returns (answers, covered): the answer of each
    question whose four words are all in the vocabulary (None otherwise), and how many were."""
    unit = unit_rows(vectors)
    index = vocab.index
    answers: list[str | None] = []
    for a, b, c, d in questions:
        if not all(w in index for w in (a, b, c, d)):
            answers.append(None)
            continue
        target = unit[index[b]] - unit[index[a]] + unit[index[c]]
        sims = unit @ (target / max(np.linalg.norm(target), 1e-12))
        sims[[index[a], index[b], index[c]]] = -np.inf
        answers.append(vocab.tokens[int(np.argmax(sims))])
    return answers, sum(a is not None for a in answers)


def analogy_accuracy(answers: Sequence[str | None], questions: Sequence[tuple[str, str, str, str]]) -> float:
    """Percent of the covered questions answered with their d (nan when none is covered)."""
    scored = [(ans, q[3]) for ans, q in zip(answers, questions) if ans is not None]
    return 100.0 * sum(a == d for a, d in scored) / len(scored) if scored else float("nan")


def pca_2d(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(coordinates [n, 2] on the first two principal components of the centred rows, their explained variance
    shares), signs fixed so that each component's largest-magnitude loading is positive (deterministic)."""
    centred = vectors - vectors.mean(axis=0)
    u, s, vt = np.linalg.svd(centred, full_matrices=False)
    signs = np.sign(vt[np.arange(2), np.abs(vt[:2]).argmax(axis=1)])
    signs[signs == 0] = 1
    coords = centred @ (vt[:2].T * signs)
    return coords, (s[:2] ** 2) / (s ** 2).sum()
