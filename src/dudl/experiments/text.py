"""Section text (beyond the course): a character LSTM language model on one Austen novel, scored by perplexity on
held-out chapters, and skip-gram word embeddings with negative sampling, compared with gensim's word2vec."""

from __future__ import annotations

import math
import zlib
from typing import Any, Mapping

import numpy as np
import pandas as pd
import torch
from torch import nn

from dudl.experiments.training import adam, to_tensors
from dudl.models.mlp import count_parameters
from dudl.models.rnn import CharNet, SkipGram, char_loss, negative_sampling_loss
from dudl.results import Result
from dudl.steps import SequenceStep
from dudl.text import (Vocabulary, analogies, analogy_accuracy, analogy_questions, held_out_split,
                       keep_probabilities, nearest, noise_distribution, pca_2d, perplexity, plain, sample,
                       skipgram_pairs, streams, words)
from dudl.train import supervised_step, train

P = Mapping[str, Any]


def book_text(ctx, book: str) -> str:
    """One prepared book, or all six joined ("all")."""
    name = "corpus.txt" if book == "all" else f"{book}.txt"
    return ctx.data_file("text", name).read_text(encoding="utf-8")


# ---------------------------------------------------------------- character LSTM


@torch.no_grad()
def stream_cross_entropy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Mean per-character cross-entropy (nats) over windows [n, batch, length] read in order, the hidden state
    carried from each window to the next (as in training), in eval mode."""
    was_training = model.training
    model.eval()
    total, count, hidden = 0.0, 0, None
    for xb, yb in zip(x, y):
        out, hidden = model(xb, hidden)
        total += float(char_loss(out, yb)) * yb.numel()
        count += yb.numel()
    model.train(was_training)
    return total / count


def unigram_cross_entropy(train_ids: np.ndarray, test_ids: np.ndarray, vocab_size: int) -> float:
    """The cross-entropy on test_ids of the training text's character frequencies (add-one smoothed)."""
    counts = np.bincount(train_ids, minlength=vocab_size) + 1.0
    return float(-np.log(counts / counts.sum())[test_ids].mean())


def char_lstm(p: P, ctx) -> Result:
    book = book_text(ctx, p["book"])
    train_text, test_text, held = held_out_split(book, p["test_every"])
    vocab = Vocabulary.of_characters(plain(book))  # every character of the book, held-out chapters included
    train_ids = vocab.encode(train_text[:ctx.scale.count(len(train_text))])
    test_ids = vocab.encode(test_text[:ctx.scale.count(len(test_text))])
    batch, length = p["batch"], p["seq_length"]
    ctx.torch_seed("model")
    fit = lambda ids: max(1, min(batch, (len(ids) - 1) // length))  # fewer streams only for a tiny text
    x, y = to_tensors(ctx.device, *streams(train_ids, fit(train_ids), length))
    tx, ty = to_tensors(ctx.device, *streams(test_ids, fit(test_ids), length))
    model = CharNet(len(vocab), p["embedding"], p["hidden"], p["layers"]).to(ctx.device)
    opt = adam(p["lr"])(model.parameters())
    step = SequenceStep(model, char_loss, opt, carry=True)

    def held_out() -> dict[str, float]:
        ce = stream_cross_entropy(model, tx, ty)
        return {"test_loss": ce, "test_perplexity": perplexity(ce)}

    # one step per window of all streams, in text order (no shuffling: the carried state continues the text)
    history = train(step, _Windows(x, y), ctx.scale.epochs(p["epochs"]), modules=model, optimizers=opt, evaluate=held_out, clip_grad=p["clip_grad"],
                    show_progress=ctx.show_progress, desc="model")
    frame = history.frame()
    frame.insert(2, "train_perplexity", np.exp(frame["train_loss"]))
    sample_gen = torch.Generator().manual_seed(ctx.seed_for("sample"))
    samples = pd.DataFrame([
        {"temperature": t, "sample": sample(model, vocab, p["prime"], p["sample_length"], t, sample_gen,
                                            device=ctx.device)[0]}
        for t in p["temperatures"]])
    unigram = unigram_cross_entropy(train_ids, test_ids, len(vocab))
    return Result(
        metrics={"test_perplexity": float(frame["test_perplexity"].iloc[-1]),
                 "train_perplexity": float(frame["train_perplexity"].iloc[-1]),
                 "best_test_perplexity": float(frame["test_perplexity"].min()),
                 "test_cross_entropy": float(frame["test_loss"].iloc[-1]),
                 "unigram_test_perplexity": perplexity(unigram), "uniform_perplexity": len(vocab),
                 "vocabulary": len(vocab), "train_characters": len(train_ids), "test_characters": len(test_ids),
                 "held_out_chapters": len(held), "parameters": count_parameters(model)},
        summary=samples,
        history=frame,
        data={"samples": samples, "held_out": np.asarray(held)},
        models={"model": model.state_dict()},
    )


class _Windows:
    """The windows of all streams, one (x [batch, length], y) per step, in text order; re-iterable."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor):
        self.x, self.y = x, y

    def __len__(self) -> int:
        return len(self.x)

    def __iter__(self):
        return iter(zip(self.x, self.y))


# ---------------------------------------------------------------- word embeddings


class SkipGramBatches:
    """Each pass: subsample the tokens (word2vec's `sample`), make (center, context) pairs with a reduced
    window within each paragraph, shuffle them, and yield rows [center, context, k negatives] with labels
    [1, 0 x k] in batches. Each pass draws from a numpy generator seeded from the torch `generator`, whose
    state the trainer keeps in resume checkpoints, so a resumed run draws what an unbroken one would."""

    def __init__(self, ids: np.ndarray, segments: np.ndarray, counts: np.ndarray, p: P, generator: torch.Generator):
        self.ids, self.segments, self.p, self.generator = ids, segments, p, generator
        self.keep = keep_probabilities(counts, p["subsample"])
        self.noise = noise_distribution(counts)
        self._len = None

    def _pairs(self, rng: np.random.Generator) -> np.ndarray:
        kept = rng.random(len(self.ids)) < self.keep[self.ids]
        pairs = skipgram_pairs(self.ids[kept], self.p["window"], rng, self.segments[kept])
        return pairs[rng.permutation(len(pairs))]

    def __len__(self) -> int:
        if self._len is None:  # an estimate for the progress bar: the expected pairs of one pass
            kept = self.keep[self.ids].sum()
            self._len = max(1, int(kept * (self.p["window"] + 1) / self.p["batch_size"]))
        return self._len

    def __iter__(self):
        rng = np.random.default_rng(int(torch.randint(2 ** 62, (1,), generator=self.generator)))
        pairs = self._pairs(rng)
        k, b = self.p["negatives"], self.p["batch_size"]
        labels = torch.zeros(1, k + 1)
        labels[0, 0] = 1
        for start in range(0, len(pairs), b):
            chunk = pairs[start:start + b]
            negatives = rng.choice(len(self.noise), size=(len(chunk), k), p=self.noise)
            rows = torch.from_numpy(np.concatenate([chunk, negatives], axis=1))
            yield rows, labels.expand(len(chunk), k + 1)


def stable_hash(word: str) -> int:
    """A hash that is the same in every process (gensim seeds each word's initial vector with it)."""
    return zlib.crc32(word.encode())


def gensim_vectors(sentences: list[list[str]], vocab: Vocabulary, p: P, seed: int) -> tuple[np.ndarray, float]:
    """gensim's word2vec with our settings (skip-gram, negative sampling), one worker so that it is
    deterministic; its vectors in our vocabulary's order, and its training seconds."""
    import time

    from gensim.models import Word2Vec

    start = time.perf_counter()
    model = Word2Vec(sentences, vector_size=p["dim"], window=p["window"], min_count=p["min_count"], sg=1, hs=0,
                     negative=p["negatives"], sample=p["subsample"], epochs=p["epochs"], workers=1, seed=seed,
                     hashfxn=stable_hash)
    seconds = time.perf_counter() - start
    missing = [w for w in vocab.tokens if w not in model.wv.key_to_index]
    if missing:
        raise RuntimeError(f"gensim's vocabulary lacks {missing[:5]}: the two models did not see the same tokens")
    return np.stack([model.wv[w] for w in vocab.tokens]), seconds


# Named so that a table with no rows (a scaled-down vocabulary holding none of the probe words) keeps its header.
NEIGHBOUR_COLUMNS = ["model", "word", "neighbours", "similarities"]


def _neighbour_rows(vectors: np.ndarray, vocab: Vocabulary, probes, k: int, model: str) -> list[dict]:
    rows = []
    for word in probes:
        if word not in vocab:
            continue
        found = nearest(vectors, vocab, word, k)
        rows.append({"model": model, "word": word, "neighbours": " ".join(w for w, _ in found),
                     "similarities": " ".join(f"{s:.3f}" for _, s in found)})
    return rows


def _analogy_rows(vectors, vocab, pairs: Mapping[str, list], model: str) -> list[dict]:
    rows = []
    for relation, relation_pairs in pairs.items():
        questions = analogy_questions([tuple(pr) for pr in relation_pairs])
        answers, _ = analogies(vectors, vocab, questions)
        rows += [{"model": model, "relation": relation, "a": a, "b": b, "c": c, "d": d,
                  "answer": "" if ans is None else ans, "covered": ans is not None, "correct": ans == d}
                 for (a, b, c, d), ans in zip(questions, answers)]
    return rows


def _accuracy(table: pd.DataFrame) -> float:
    covered = table[table.covered]
    return float(100 * covered.correct.mean()) if len(covered) else float("nan")


def similarity_agreement(ours: np.ndarray, theirs: np.ndarray, top: int) -> float:
    """Spearman correlation of the cosine similarities of every pair of the `top` most frequent words in two
    embeddings of the same vocabulary: how alike the two spaces are, whatever their rotation."""
    from scipy.stats import spearmanr

    from dudl.text import unit_rows

    a, b = unit_rows(ours[:top]), unit_rows(theirs[:top])
    upper = np.triu_indices(len(a), k=1)
    return float(spearmanr((a @ a.T)[upper], (b @ b.T)[upper]).statistic)


def word_embeddings(p: P, ctx) -> Result:
    text = book_text(ctx, p["book"])
    paragraphs = [words(par) for par in plain(text).split("\n")]
    paragraphs = [s for s in paragraphs[:ctx.scale.count(len(paragraphs))] if s]
    tokens = [w for s in paragraphs for w in s]
    vocab = Vocabulary.of_words(tokens, p["min_count"])
    index = vocab.index
    # the tokens of the vocabulary in text order, each labelled with its paragraph (gensim's "sentence")
    ids = np.array([index[w] for w in tokens if w in index], dtype=np.int64)
    segments = np.array([i for i, s in enumerate(paragraphs) for w in s if w in index], dtype=np.int64)
    counts = np.bincount(ids, minlength=len(vocab)).astype(np.float64)
    batches = SkipGramBatches(ids, segments, counts, p, ctx.torch_seed("model"))
    model = SkipGram(len(vocab), p["dim"]).to(ctx.device)
    opt = adam(p["lr"])(model.parameters())
    history = train(supervised_step(model, negative_sampling_loss, opt), batches, ctx.scale.epochs(p["epochs"]),
                    modules=model, optimizers=opt, show_progress=ctx.show_progress, desc="model")
    ours = model.center.weight.detach().cpu().numpy()
    probes, k = p["probes"], p["neighbours"]
    neighbours = _neighbour_rows(ours, vocab, probes, k, "ours")
    answers = _analogy_rows(ours, vocab, p["analogy_pairs"], "ours")
    metrics: dict[str, Any] = {}
    if p["gensim"]:
        theirs, _seconds = gensim_vectors(paragraphs, vocab, {**p, "epochs": ctx.scale.epochs(p["epochs"])},
                                          ctx.seed_for("gensim") % (2 ** 31))
        neighbours += _neighbour_rows(theirs, vocab, probes, k, "gensim")
        answers += _analogy_rows(theirs, vocab, p["analogy_pairs"], "gensim")
        metrics["similarity_agreement"] = similarity_agreement(ours, theirs, min(300, len(vocab)))
    table = pd.DataFrame(answers)
    for model_name, part in table.groupby("model", sort=False):
        prefix = "" if model_name == "ours" else f"{model_name}_"
        metrics[f"{prefix}analogy_accuracy"] = _accuracy(part)
        for relation, rel in part.groupby("relation", sort=False):
            metrics[f"{prefix}analogy_accuracy_{relation}"] = _accuracy(rel)
    ours_part = table[table.model == "ours"]
    words_shown = list(range(p["map_skip"], min(len(vocab), p["map_skip"] + p["map_words"])))
    coords, explained = pca_2d(ours[words_shown]) if len(words_shown) >= 3 else (np.zeros((0, 2)), np.zeros(2))
    frame = history.frame()
    metrics |= {"final_train_loss": float(frame.train_loss.iloc[-1]),
                "analogy_questions": int(len(ours_part)), "analogy_covered": int(ours_part.covered.sum()),
                "vocabulary": len(vocab), "tokens": int(len(ids)), "pca_explained": float(explained.sum()),
                "parameters": count_parameters(model)}
    return Result(
        metrics={k: (v if not (isinstance(v, float) and math.isnan(v)) else None) for k, v in metrics.items()},
        summary=pd.DataFrame(neighbours, columns=NEIGHBOUR_COLUMNS),
        history=frame,
        data={"neighbours": pd.DataFrame(neighbours, columns=NEIGHBOUR_COLUMNS), "analogies": table, "map": coords,
              "map_words": pd.DataFrame({"word": [vocab.tokens[i] for i in words_shown]})},
    )
