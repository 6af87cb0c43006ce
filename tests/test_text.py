"""Section text and the shared text module: vocabulary round trips, windows and streams, perplexity (a uniform
model scores the vocabulary size), chapters and the held-out split, skip-gram pairs and subsampling, analogies
and the PCA map, the per-book prepared files, and both experiments at a tiny scale."""

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import copy_config, run_experiment
from dudl.data import fetch, prepare, registry
from dudl.experiments import text as T
from dudl.models.rnn import CharNet, SkipGram, char_loss, negative_sampling_loss
from dudl.text import (Vocabulary, analogies, analogy_accuracy, analogy_questions, chapters, held_out_split,
                       keep_probabilities, nearest, next_token_windows, next_value_windows, noise_distribution,
                       pca_2d, perplexity, plain, skipgram_pairs, streams, words)

BOOK = "Title\n\nChapter 1\n\nOne _two_\nthree.\n\nFour.\n\nCHAPTER II\n\nFive six.\n\nChapter 3\n\nSeven.\n"


def test_vocabulary_round_trips_characters_and_words():
    text = "Mr. Darcy, said she."
    vocab = Vocabulary.of_characters(text)
    assert vocab.tokens == tuple(sorted(set(text)))
    assert vocab.decode(vocab.encode(text)) == text
    assert vocab.encode(text).dtype == np.int64
    with pytest.raises(KeyError, match="not in the vocabulary"):
        vocab.encode("z")
    assert len(vocab.encode("zMr", skip_unknown=True)) == 2
    w = Vocabulary.of_words("b a b c b a".split(), min_count=2)
    assert w.tokens == ("b", "a")  # by frequency, ties alphabetical; c (once) dropped
    assert w.decode(w.encode(["a", "b"]), sep=" ") == "a b"
    with pytest.raises(ValueError):
        Vocabulary(("a", "a"))


def test_windows_have_the_shapes_and_shift_of_next_token_prediction():
    ids = np.arange(20)
    x, y = next_token_windows(ids, 5)
    assert x.shape == y.shape == (15, 5)
    assert (y == x + 1).all() and (x[3] == np.arange(3, 8)).all()
    x2, _ = next_token_windows(ids, 5, stride=5)
    assert x2.shape == (3, 5)
    vx, vy = next_value_windows(np.linspace(0, 1, 50), 9)
    assert vx.shape == (41, 9, 1) and vy.shape == (41, 1) and vy[0, 0] == pytest.approx(9 / 49)
    with pytest.raises(ValueError):
        next_token_windows(ids, 20)


def test_streams_read_each_part_of_the_text_in_order():
    ids = np.arange(1001)
    x, y = streams(ids, batch=4, length=10)
    assert x.shape == y.shape == (25, 4, 10)  # 1000 // 4 = 250 per stream = 25 windows of 10
    assert (y == x + 1).all()
    for s in range(4):  # window k + 1 of a stream continues window k
        assert (np.concatenate(list(x[:, s])) == np.arange(250 * s, 250 * s + 250)).all()


def test_perplexity_of_a_uniform_model_is_the_vocabulary_size():
    assert perplexity(math.log(74)) == pytest.approx(74)
    V = 30
    logits = torch.zeros(2, 50, V)  # every character equally likely
    targets = torch.randint(0, V, (2, 50))
    assert perplexity(float(char_loss(logits, targets))) == pytest.approx(V, rel=1e-5)
    # and through the evaluation the experiment uses: a net whose output layer is zero is uniform
    net = CharNet(V, 8, 16, 1)
    torch.nn.init.zeros_(net.out.weight)
    torch.nn.init.zeros_(net.out.bias)
    x, y = (torch.as_tensor(a) for a in streams(np.random.default_rng(0).integers(0, V, 500), 3, 20))
    assert perplexity(T.stream_cross_entropy(net, x, y)) == pytest.approx(V, rel=1e-5)


def test_chapters_and_the_held_out_split():
    parts = chapters(BOOK)
    assert len(parts) == 3 and "One" in parts[0] and "Five" in parts[1]
    assert plain(parts[0]) == "One two three.\nFour."
    train, test, held = held_out_split(BOOK, 2)
    assert held == [2] and test == "Five six." and "Seven." in train and "Five" not in train
    with pytest.raises(ValueError):
        held_out_split(BOOK, 5)  # no chapter 5: nothing held out
    with pytest.raises(ValueError):
        chapters("no headings here")
    assert words("Mr. Darcy's _letter_") == ["mr", "darcy", "s", "letter"]


def test_skipgram_pairs_reach_at_most_the_window_and_stay_in_their_paragraph():
    ids = np.arange(10)
    pairs = skipgram_pairs(ids, 2, np.random.default_rng(0))
    gaps = np.abs(pairs[:, 0] - pairs[:, 1])
    assert gaps.min() == 1 and gaps.max() <= 2
    full = skipgram_pairs(ids, 1, np.random.default_rng(0))
    assert len(full) == 18  # window 1: every neighbour pair, both directions
    segments = np.repeat([0, 1], 5)
    split = skipgram_pairs(ids, 1, np.random.default_rng(0), segments)
    assert len(split) == 16 and not ((split[:, 0] == 4) & (split[:, 1] == 5)).any()


def test_subsampling_and_noise_favour_rare_words():
    counts = np.array([1000.0, 10.0, 1.0])
    keep = keep_probabilities(counts, 1e-3)
    assert keep[0] < keep[1] <= keep[2] <= 1
    assert (keep_probabilities(counts, 0) == 1).all()
    noise = noise_distribution(counts)
    assert noise.sum() == pytest.approx(1) and noise[2] > counts[2] / counts.sum()


def test_analogies_neighbours_and_the_map_on_planted_vectors():
    vocab = Vocabulary(("man", "woman", "king", "queen", "apple"))
    v = np.array([[1, 0, 0], [1, 1, 0], [1, 0, 1], [1, 1, 1], [-1, -1, -5]], dtype=float)
    questions = analogy_questions([("man", "woman"), ("king", "queen")])
    assert questions == [("man", "woman", "king", "queen"), ("king", "queen", "man", "woman")]
    answers, covered = analogies(v, vocab, questions + [("man", "woman", "prince", "princess")])
    assert covered == 2 and answers[:2] == ["queen", "woman"] and answers[2] is None
    assert analogy_accuracy(answers, questions + [("man", "woman", "prince", "princess")]) == 100
    assert nearest(v, vocab, "king", 1)[0][0] in {"man", "queen"}
    coords, explained = pca_2d(v)
    again, _ = pca_2d(v * 1.0)
    assert coords.shape == (5, 2) and 0 < explained.sum() <= 1 and np.array_equal(coords, again)


def test_skipgram_scores_and_the_negative_sampling_loss():
    model = SkipGram(10, 4)
    rows = torch.tensor([[1, 2, 3, 4], [5, 6, 7, 8]])
    scores = model(rows)
    assert scores.shape == (2, 3) and torch.all(scores == 0)  # output vectors start at zero (word2vec)
    labels = torch.tensor([[1.0, 0, 0], [1.0, 0, 0]])
    assert float(negative_sampling_loss(scores, labels).detach()) == pytest.approx(3 * math.log(2))  # a sum over 1 + k


@pytest.fixture(scope="module")
def text_root(tmp_path_factory) -> Path:
    root = copy_config(tmp_path_factory.mktemp("text"))
    ds = registry.get("text")
    try:
        fetch.fetch(ds, root, fetch.mirror_roots(), upstream=False, log=lambda m: None)
    except fetch.FetchError:
        pytest.skip("needs the offline dataset mirror: set DUDL_MIRROR=../shared/datasets (.ci/run does)")
    prepare.prepare(ds, {}, root, log=lambda m: None)
    return root


def test_prepare_writes_the_corpus_and_each_book(text_root):
    processed = text_root / registry.get("text").processed_dir
    raw = text_root / registry.get("text").raw_dir
    for book in sorted(raw.glob("*.txt")):
        assert (processed / book.name).read_text(encoding="utf-8") == book.read_text(encoding="utf-8")
    assert len(chapters((processed / "prideprejudice.txt").read_text(encoding="utf-8"))) == 61
    corpus = (processed / "corpus.txt").read_text(encoding="utf-8")
    assert corpus.startswith((raw / "emma.txt").read_text(encoding="utf-8")[:1000])


def test_char_lstm_at_a_tiny_scale(text_root):
    result = run_experiment(text_root, "text/char_lstm", scale=0.02,
                            overrides=["text.char_lstm.hidden=16", "text.char_lstm.embedding=8",
                                       "text.char_lstm.sample_length=30"])
    m = result.metrics
    assert m["held_out_chapters"] == 6 and m["uniform_perplexity"] == m["vocabulary"]
    assert 1 < m["test_perplexity"] < 1.2 * m["vocabulary"]  # near uniform after a few steps, not beyond
    assert list(result.history.columns[:4]) == ["epoch", "train_loss", "train_perplexity", "test_loss"]
    samples = result.table("samples")
    assert list(samples.temperature) == [0.5, 1.0]
    assert all(s.startswith("Elizabeth") and len(s) == len("Elizabeth") + 30 for s in samples["sample"])


def test_word_embeddings_at_a_tiny_scale(text_root):
    pytest.importorskip("gensim", reason="gensim (a dependency) is the reference word2vec")
    result = run_experiment(text_root, "text/word_embeddings", scale=0.05,
                            overrides=["text.word_embeddings.dim=16", "text.word_embeddings.min_count=3"])
    m = result.metrics
    assert m["analogy_questions"] == 15 * 14 + 12 * 11  # every ordered pair of pairs: gender and plural
    assert len(result.table("analogies")) == 2 * m["analogy_questions"]  # ours and gensim's
    assert m["analogy_covered"] <= m["analogy_questions"] and "gensim_analogy_accuracy" in m
    models = set(result.table("neighbours")["model"])
    assert models == {"ours", "gensim"}
    assert -1 <= m["similarity_agreement"] <= 1
    assert result.data["map"].shape[1] == 2


def test_word_embeddings_with_no_probe_word_in_the_vocabulary_still_draws_its_figures(text_root):
    # A scaled-down book can hold none of the probe words (the integration tests' scale did): the neighbours
    # table is then empty but keeps its columns, and its figure says so instead of failing.
    pytest.importorskip("gensim", reason="gensim (a dependency) is the reference word2vec")
    result = run_experiment(text_root, "text/word_embeddings", scale=0.02,
                            overrides=["text.word_embeddings.dim=8", "text.word_embeddings.gensim=false",
                                       "text.word_embeddings.probes=[zzzz]"])
    assert result.table("neighbours").empty
    assert list(result.summary.columns) == T.NEIGHBOUR_COLUMNS
