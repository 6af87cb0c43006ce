"""Figures of section text, and text panels (generated samples) for any section."""

from __future__ import annotations

import textwrap
from typing import Any, Mapping

import numpy as np

from dudl.plots import style
from dudl.results import Result


def text_panels(texts: Mapping[str, str], width: int = 100, max_lines: int = 14):
    """Titled blocks of text, one under another, wrapped to `width` characters (newlines kept)."""
    wrapped = {}
    for title, text in texts.items():
        lines = [line for par in str(text).split("\n") for line in (textwrap.wrap(par, width) or [""])]
        wrapped[title] = lines[:max_lines] + (["..."] if len(lines) > max_lines else [])
    heights = [0.45 + 0.16 * len(lines) for lines in wrapped.values()]
    fig, axes = style.figure(nrows=len(wrapped), width=width * 0.085, height=1.0)
    fig.set_size_inches(width * 0.085, sum(heights))
    for ax, (title, lines) in zip(axes, wrapped.items()):
        ax.axis("off")
        ax.set_title(title, loc="left")
        ax.text(0, 1, "\n".join(lines), va="top", ha="left", fontsize=8, family="monospace", transform=ax.transAxes)
    return fig


def char_lstm(result: Result, p: Mapping[str, Any]):
    h, m = result.history, result.metrics
    fig, (ax,) = style.figure(width=6.0, height=4.2)
    ax.plot(h["epoch"], h["train_perplexity"], "o-", color=style.TRAIN, label="Training chapters")
    ax.plot(h["epoch"], h["test_perplexity"], "o-", color=style.TEST, label="Held-out chapters")
    ax.axhline(m["unigram_test_perplexity"], **style.REFERENCE, label="Unigram model (held out)")
    ax.set(xlabel="Epoch", ylabel="Perplexity per character",
           title=f"Held-out perplexity {m['test_perplexity']:.2f} (uniform: {m['uniform_perplexity']})")
    ax.legend()
    samples = result.table("samples")
    panels = text_panels({f"Temperature {row.temperature:g}": row.sample for row in samples.itertuples()})
    return {"perplexity": fig, "samples": panels}


def word_embeddings(result: Result, p: Mapping[str, Any]):
    h, m = result.history, result.metrics
    loss, (ax,) = style.figure(width=5.2, height=3.8)
    ax.plot(h["epoch"], h["train_loss"], "o-", color=style.TRAIN)
    ax.set(xlabel="Epoch", ylabel="Negative-sampling loss", title=f"Final loss {m['final_train_loss']:.3f}")

    table = result.table("neighbours")
    texts = {}
    for word in dict.fromkeys(table["word"]):
        rows = table[table.word == word]
        texts[word] = "\n".join(f"{row.model:>6}: {row.neighbours}" for row in rows.itertuples())
    neighbours = text_panels(texts or {"(no probe word is in the vocabulary)": ""}, width=90)

    answers = result.table("analogies")
    answers = answers[answers.covered.astype(str).isin(["True", "true", "1"])].copy()
    answers["correct"] = answers.correct.astype(str).isin(["True", "true", "1"]) * 100.0
    analogies, (ax,) = style.figure(width=5.6, height=4.0)
    if len(answers):
        scores = answers.groupby(["relation", "model"], sort=False)["correct"].mean().reset_index()
        counts = answers[answers.model == "ours"].groupby("relation", sort=False).size()
        import seaborn as sns

        sns.barplot(data=scores, x="relation", y="correct", hue="model", palette=[style.TRAIN, style.TEST][
            :scores.model.nunique()], ax=ax)
        ax.set_xticks(range(len(counts)), [f"{r}\n({n} scored)" for r, n in counts.items()])
        ax.legend(title=None)
    ax.set(xlabel="", ylabel="Answered right (%)", ylim=(0, 100),
           title=f"Analogies: {_pct(m.get('analogy_accuracy'))} ours"
                 + (f", {_pct(m.get('gensim_analogy_accuracy'))} gensim" if "gensim_analogy_accuracy" in m else ""))

    coords, names = np.asarray(result.data["map"]), list(result.table("map_words")["word"])
    word_map, (ax,) = style.figure(width=8.5, height=7.0)
    if len(coords):
        ax.scatter(coords[:, 0], coords[:, 1], s=8, color=style.TRAIN, alpha=0.6)
        for (x, y), word in zip(coords, names):
            ax.annotate(word, (x, y), fontsize=7, xytext=(2, 2), textcoords="offset points")
    ax.set(xlabel="PC 1", ylabel="PC 2",
           title=f"The {len(names)} most frequent words after the first {p['map_skip']}, on two principal components")
    return {"loss": loss, "neighbours": neighbours, "analogies": analogies, "word_map": word_map}


def _pct(value) -> str:
    return "n/a" if value is None or (isinstance(value, float) and np.isnan(value)) else f"{value:.1f}%"
