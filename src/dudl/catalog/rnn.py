"""Section rnn (course folder RNN/): the RNN, LSTM and GRU classes (shape demos), predicting an alternating
sequence, extrapolating a sine-like wave with a carried hidden state, and a character LSTM on lorem ipsum."""

from typing import Annotated, Literal

from pydantic import Field

from dudl.catalog import Expect, Experiment
from dudl.paramspec import BatchSize, Block, Count, Depth, Epochs, Lr, Positive, Units

S = "rnn"


class Intro2RNNParams(Block):
    """RNN_intro2RNN: the nn.RNN class."""

    input_size: Units
    hidden: Units
    layers: Depth
    nonlinearity: Literal["tanh", "relu"]
    seq_length: Count
    batch: BatchSize


class LSTMGRUParams(Block):
    """RNN_LSTMGRU: the nn.LSTM and nn.GRU classes."""

    input_size: Units
    hidden: Units
    layers: Depth
    seq_length: Count
    batch: BatchSize


class AltSequencesParams(Block):
    """RNN_altSequences: predict the next value of a sequence whose sign alternates."""

    n: Annotated[int, Field(ge=3)]
    hidden: Units
    layers: Depth
    seq_length: Count
    lr: Lr                     # SGD
    epochs: Epochs


class SineParams(Block):
    """RNN_codeChallenge_SineExtrapolate: sin(t + cos(t)), one window predicts the next value."""

    n: Annotated[int, Field(ge=3)]
    periods_pi: Positive       # t = linspace(0, periods_pi * pi, n)
    hidden: Units
    layers: Depth
    seq_length: Count
    lr: Lr                     # SGD
    epochs: Epochs
    extrapolate: Annotated[int, Field(ge=2)]  # the free-running signal is this many times n long


class LoremParams(Block):
    """RNN_loremipsum: a character LSTM on a lorem-ipsum text."""

    characters: Annotated[int, Field(ge=100)]  # length of the generated lorem-ipsum text
    text_seed: Annotated[int, Field(ge=0)]     # fixes which lorem-ipsum text is generated
    seq_length: Count
    hidden: Units
    layers: Depth
    lr: Lr                     # Adam
    epochs: Epochs
    prime: Annotated[str, Field(min_length=1)]
    generate: Count            # characters generated greedily after the prime


SIGN_CURVES = ("train_loss", "train_acc")

EXPERIMENTS = [
    Experiment(
        S, "intro2rnn", ("RNN_intro2RNN",), "The RNN class",
        figures={
            "weights": "The weight matrices of nn.RNN(9, 16, 1 layer, tanh) at their random initialization, each "
                       "titled with its shape: input to hidden [16, 9] and hidden to hidden [16, 16]. A batch of 2 "
                       "random sequences of 5 steps gives an output [5, 2, 16] and a final hidden state [1, 2, 16] "
                       "(metrics.json, in the course's sequence-first layout); an explicit zero hidden state gives "
                       "exactly the default's output (difference 0). The notebook prints these and draws nothing.",
        },
        expect=(Expect("zero_hidden_max_difference", 0, 0, "catalog: explicit zero hidden state = default"),
                Expect("output_hidden_size", 16, 16, "catalog: output [5, 2, 16]")),
        params=Intro2RNNParams, cpu_minutes=0.1,
    ),
    Experiment(
        S, "lstm_gru", ("RNN_LSTMGRU",), "The LSTM and GRU classes",
        figures={
            "weights": "The input-to-hidden weights of layer 0 of nn.LSTM(9, 16, 2 layers) and nn.GRU(9, 16, 2 "
                       "layers), each titled with its shape: 4 gates x 16 rows for the LSTM [64, 9], 3 gates x 16 "
                       "for the GRU [48, 9], the gates' blocks marked in torch's order (input, forget, cell, output; reset, "
                       "update, new). Outputs [5, 2, 16], hidden and cell states [2, 2, 16] "
                       "(metrics.json). The notebook prints these and draws nothing.",
        },
        expect=(Expect("lstm_weight_ih_l0_rows", 64, 64, "catalog: [64, 9], 4 gates x 16"),
                Expect("gru_weight_ih_l0_rows", 48, 48, "catalog: [48, 9], 3 gates x 16"),
                Expect("lstm_zero_hidden_max_difference", 0, 0, "explicit zero (h, c) = default")),
        params=LSTMGRUParams, cpu_minutes=0.1,
    ),
    Experiment(
        S, "alt_sequences", ("RNN_altSequences",), "Predicting alternating sequences",
        figures={
            "sequence": "The 50 training values: U(0, 1) magnitudes whose sign alternates, +, -, +, ...",
            "training": "Loss (MSE of the last output against the next value) and sign accuracy per epoch, each "
                        "the mean over the 41 windows of 9 values, computed during training as the course does. "
                        "nn.RNN(1, 5, tanh) -> Linear(5, 1); SGD lr .001, one window per step, 30 epochs; the "
                        "hidden state starts at zero for every window (the course sets up a zero state but never "
                        "passes it, so the default zero state is used).",
            "fit": "The trained net on its training sequence: actual and predicted values, the errors, and "
                   "predicted against actual. The overall r mixes two sign groups (Simpson's paradox); within "
                   "each sign, r is near 0 (metrics.json: r_within_positive, r_within_negative).",
            "hidden": "The final hidden state of each window (5 units) along the training sequence.",
            "test": "A new sequence whose signs are flipped (-, +, -, ...): actual and predicted values and the "
                    "errors, titled with the sign accuracy. No learning.",
            "weights": "The input-to-hidden weights of the trained RNN (one per hidden unit).",
        },
        expect=(Expect("final_train_acc", 95, 100, "catalog: sign accuracy -> 100%"),
                Expect("test_sign_acc", 95, 100, "catalog: 100% on the phase-flipped test")),
        history=SIGN_CURVES, models=("model",), params=AltSequencesParams, summary=False,
        cpu_minutes=0.1,  # measured: 3.3 s at scale 1.0
    ),
    Experiment(
        S, "sine_extrapolate", ("RNN_codeChallenge_SineExtrapolate",), "CodeChallenge: Sine wave extrapolation",
        figures={
            "signal": "The 500-sample signal sin(t + cos(t)), t = linspace(0, 30 pi, 500), and its first 30 "
                      "samples: one window.",
            "loss": "Loss (MSE of each window's last output against the next value) per epoch, the mean over the "
                    "470 windows. nn.RNN(1, 9) -> Linear(9, 1); SGD lr .001, one window per step, 30 epochs. The "
                    "hidden state is carried from each window to the next, detached (backpropagation stops at "
                    "the window), and starts afresh each epoch.",
            "fit": "The trained net on the training signal (hidden state carried across the windows): actual and "
                   "predicted, errors, and predicted against actual with r (no Simpson's paradox here).",
            "hidden": "The carried hidden state (9 units) after each window of the training signal.",
            "weights": "The input-to-hidden weights of the trained RNN.",
            "test": "Unseen data: sin(t + sin(t)) on the same t, predicted window by window, with r. (The course "
                    "first builds a second test signal at a lower frequency and overwrites it before use; only "
                    "this one is tested.)",
            "extrapolation": "Free-running extrapolation: the net reads the 500 real samples, then feeds its own "
                             "predictions back for 500 more (left; grey: the true continuation of sin(t + cos(t))). "
                             "Course bug: its loop writes each prediction over the real signal from sample 30 on, "
                             "so it runs free from the first window instead of from the end of the data; that "
                             "version is on the right. Both drift away from the signal.",
        },
        expect=(Expect("train_r", 0.9, 1.0, "catalog: train r about 0.9+"),
                Expect("test_r", 0.7, 1.0, "catalog: test r about 0.8-0.9")),
        history=("train_loss",), models=("model",), params=SineParams, summary=False,
        cpu_minutes=0.5,  # measured: 19 s at scale 1.0 (14,100 single-window steps)
    ),
    Experiment(
        S, "loremipsum", ("RNN_loremipsum",), "Lorem ipsum",
        figures={
            "sequence": "The training text as character indices. The text is ours: 5,809 characters generated "
                        "deterministically (seeded) from the classic lorem ipsum word list, lower-cased, in "
                        "sentences with commas, semicolons and full stops; the course pastes its own 5,809-"
                        "character paragraph into the notebook, which we do not copy. The vocabulary is sorted "
                        "(course quirk: it numbers the characters in the order of a Python set, which can change "
                        "from run to run).",
            "embeddings": "The embedding matrix (characters x embedding dimensions, square as in the course) "
                          "before and after training.",
            "loss": "Loss (CrossEntropyLoss over the 80 next characters of a window) per epoch, the mean over "
                    "all windows. Embedding(V, V) -> LSTM(V, 512, 3 layers) -> Linear(512, V); Adam lr .001; one "
                    "window of 80 characters per step, stride 1, the hidden state reset for every window (as "
                    "the course has it); 10 epochs. The course divides the summed loss by the number of windows "
                    "minus one; we take the mean.",
            "hidden": "The final hidden state of each LSTM layer after generating the sample.",
            "embedding_structure": "Correlation between the learned character embeddings, and the eigenvalue "
                                   "spectrum of the embedding matrix times its transpose.",
            "sample": "The first 300 characters of the training text, and 200 characters generated after the "
                      "prime x, each the argmax of the net's output fed back in (greedy, as the course generates, "
                      "so it repeats itself).",
        },
        expect=(Expect("final_train_loss", 0.0, 0.3, "catalog: loss drops to about 0.05-0.2"),),
        history=("train_loss",), models=("model",), params=LoremParams, summary=False, gpu=1, mem_mb=3000,
        # measured: 0.125 s per step of the 3 x 512 LSTM on one thread of the 2-core machine, 57,290 steps
        # (5,729 windows x 10 epochs): about 2 hours on a CPU, a few minutes on a GPU
        cpu_minutes=125.0,
    ),
]
