"""Section text (beyond the course): a character-level LSTM language model and skip-gram word embeddings on Jane
Austen's novels (the mirror's janeaustenr texts), trained with the one trainer."""

from typing import Annotated, Literal

from pydantic import Field

from dudl.catalog import Expect, Experiment
from dudl.paramspec import BatchSize, Block, Count, Depth, Epochs, Lr, NonNegative, Positive, Units

S = "text"
BOOKS = Literal["prideprejudice", "emma", "mansfieldpark", "northangerabbey", "persuasion", "sensesensibility"]
Word = Annotated[str, Field(pattern="^[a-z]+$")]
WordPair = Annotated[list[Word], Field(min_length=2, max_length=2)]


class CharLSTMParams(Block):
    """A character LSTM trained on one book without its held-out chapters, scored on them by perplexity."""

    book: BOOKS
    test_every: Annotated[int, Field(ge=2)]   # chapters test_every, 2 * test_every, ... are held out
    embedding: Units
    hidden: Units
    layers: Depth
    batch: BatchSize           # parallel streams of the text, each read in order
    seq_length: Count          # characters per window (backpropagation stops at the window)
    lr: Lr                     # Adam
    clip_grad: Positive        # gradient-norm clipping
    epochs: Epochs
    prime: Annotated[str, Field(min_length=1)]
    sample_length: Count
    temperatures: Annotated[list[NonNegative], Field(min_length=1)]


class WordEmbeddingParams(Block):
    """Skip-gram with negative sampling on one book (or all six), against gensim's word2vec with the same
    settings."""

    book: BOOKS | Literal["all"]
    dim: Units
    window: Count              # the largest reach either side; word2vec draws 1..window per center
    min_count: Count
    negatives: Count
    subsample: NonNegative     # word2vec's `sample`: frequent words are dropped at random (0: none)
    batch_size: BatchSize
    lr: Lr                     # Adam
    epochs: Epochs
    probes: Annotated[list[Word], Field(min_length=1)]
    neighbours: Count
    analogy_pairs: dict[str, Annotated[list[WordPair], Field(min_length=2)]]  # relation -> word pairs a:b
    map_words: Count           # the most frequent words drawn on the PCA map ...
    map_skip: Annotated[int, Field(ge=0)]  # ... after skipping this many (the commonest are function words)
    gensim: bool               # also train gensim's word2vec as the reference


EXPERIMENTS = [
    Experiment(
        S, "char_lstm", (), "Character-level LSTM on a Jane Austen novel", datasets=("text",),
        figures={
            "perplexity": "Per-character perplexity (exp of the mean cross-entropy in nats) on the training "
                          "chapters (mean over each epoch's windows, in train mode) and on the held-out chapters "
                          "(chapters 10, 20, ..., 60 of Pride and Prejudice, 6 of 61, scored after each epoch with the "
                          "state carried through them). Grey dashed: a unigram model of the training characters; "
                          "a uniform model would score the vocabulary size. Embedding(V, 32) -> LSTM(32, 256) -> "
                          "Linear(256, V) over the book's characters (case kept; line breaks inside paragraphs "
                          "joined, one newline between paragraphs); 64 contiguous streams read 100 characters at "
                          "a time, the hidden state carried from window to window and detached (truncated "
                          "backpropagation), reset each epoch; Adam lr .002, gradient norm clipped at 5, 10 "
                          "epochs. Not a course notebook: it extends RNN_loremipsum to real text.",
            "samples": "Text generated after the prime Elizabeth at two temperatures (softmax of logits / T; "
                       "lower is more conservative), one seeded draw each.",
        },
        expect=(Expect("test_perplexity", 1.0, 6.0, "estimate: a small character LSTM reaches about 3.5-5 on "
                                                     "held-out English prose"),),
        history=("train_perplexity", "test_perplexity"), models=("model",), params=CharLSTMParams,
        # measured: 298 s at scale 1.0 on one thread of the 2-core machine (shared with other jobs): 97 window
        # batches of 64 x 100 characters x 10 epochs, plus the held-out chapters scored each epoch
        cpu_minutes=5.0,
    ),
    Experiment(
        S, "word_embeddings", (), "Word embeddings (skip-gram with negative sampling) on Jane Austen",
        datasets=("text",),
        figures={
            "loss": "Skip-gram negative-sampling loss per epoch (log-sigmoid of the true context's score plus "
                    "that of 5 negatives drawn from the unigram distribution to the 3/4 power, summed per pair, "
                    "mean over a batch). 100-dimensional vectors, window up to 5 (drawn 1..5 per center, as "
                    "word2vec does), words seen at least 5 times, frequent words subsampled (1e-3), Adam in "
                    "batches (word2vec itself steps per pair with linearly decaying SGD).",
            "neighbours": "The nearest words (cosine similarity) to each probe word, in our embeddings and in "
                          "gensim's word2vec trained on the same tokens with the same settings (skip-gram, "
                          "negative 5, window 5, min_count 5, sample 1e-3, the same epochs).",
            "analogies": "A hand-made Austen analogy set: every a:b :: c:d from pairs that share one relation "
                         "(gender: man:woman, he:she, mr:mrs, sir:lady, brother:sister ...; singular:plural), "
                         "answered by the word nearest b - a + c (3CosAdd, question words excluded). Bars: percent "
                         "right per relation, ours and gensim's; questions with a word outside the vocabulary "
                         "are not scored.",
            "word_map": "The most frequent words (after the commonest function words) on the first two principal "
                        "components of our word vectors.",
        },
        expect=(Expect("analogy_accuracy", 5, 100, "estimate: a small corpus gets some of the gender analogies"),),
        history=("train_loss",), params=WordEmbeddingParams,
        # measured: 48 s at scale 1.0 on Pride and Prejudice (115,484 tokens, 5 epochs, with gensim); all six
        # novels (book: all, 715,150 tokens) took 648 s
        cpu_minutes=1.0,
    ),
]
