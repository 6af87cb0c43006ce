"""results/report.html: every figure with its caption, grouped by section, then the scorecard over seeds and
the table of every run. One static page, no script: it opens from the results folder (figures are linked
relative to it, so the page stays small with a thousand figures) in any browser, and `dvc pull` or a copy of
results/ carries it with its figures. Snakemake's own provenance report is results/workflow_report.html.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from dudl import catalog
from dudl.atomic import atomic_write

REPORT = catalog.RESULTS / "report.html"
RUN_METRICS_SHOWN = 6

STYLE = """
:root { --ink: #1d2430; --muted: #5b6575; --line: #dde2ea; --paper: #fbfcfd; --accent: #0173b2;
        --good: #029e73; --bad: #d55e00; --same: #7f7f7f; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink);
       background: var(--paper); }
header { padding: 28px 40px 18px; background: #fff; border-bottom: 1px solid var(--line); }
h1 { margin: 0 0 6px; font-size: 26px; }
h2 { margin: 36px 0 8px; font-size: 21px; border-bottom: 2px solid var(--accent); padding-bottom: 4px; }
h3 { margin: 22px 0 2px; font-size: 17px; }
main { padding: 0 40px 60px; max-width: 1500px; }
nav a { display: inline-block; margin: 4px 10px 0 0; color: var(--accent); text-decoration: none; }
.meta, .note { color: var(--muted); font-size: 13px; margin: 0 0 8px; }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap: 16px; }
figure { margin: 0; background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 8px; }
figure img { width: 100%; height: auto; display: block; }
figcaption { font-size: 13px; color: var(--muted); margin-top: 6px; }
table { border-collapse: collapse; font-size: 13px; background: #fff; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
th { position: sticky; top: 0; background: #f1f4f8; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; padding: 0 7px; border-radius: 9px; color: #fff; font-size: 12px; }
.reproduced { background: var(--good); } .differs { background: var(--bad); } .identity { background: var(--same); }
.other { background: #b8bec8; }
.counts span { margin-right: 12px; }
details summary { cursor: pointer; color: var(--accent); margin: 8px 0; }
.skipped { color: var(--bad); }
"""


def _e(value) -> str:
    return html.escape("" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value))


def _number(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return f"{value:.4g}" if isinstance(value, float) else _e(value)


def _badge(verdict: str) -> str:
    kind = verdict if verdict in ("reproduced", "differs", "identity") else "other"
    return f'<span class="badge {kind}">{_e(verdict)}</span>'


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path) if path.exists() else pd.DataFrame()


def _experiment(exp: catalog.Experiment, root: Path, status: dict[str, tuple[str, str]], card: pd.DataFrame) -> str:
    state, reason = status.get(exp.id, ("not run", ""))
    notebooks = ", ".join(exp.notebooks) or "beyond the course"
    parts = [f'<article id="{_e(exp.slug)}"><h3>{_e(exp.title)}</h3>',
             f'<p class="meta"><code>{_e(exp.id)}</code> · notebooks: {_e(notebooks)}']
    mine = card[card.experiment == exp.id] if not card.empty else card
    if len(mine):
        counts = mine.verdict.value_counts()
        parts.append(" · course checks: " + ", ".join(f"{n} {_e(v)}" for v, n in counts.items()))
    parts.append("</p>")
    if state == "skipped":
        parts.append(f'<p class="note skipped">Skipped: {_e(reason)}</p>')
    figures = [(name, caption, exp.figure_dir / f"{name}.png") for name, caption in exp.figures.items()]
    shown = [(n, c, p) for n, c, p in figures if (root / p).exists()]
    if shown:
        parts.append('<div class="figures">')
        for name, caption, path in shown:
            src = _e(path.relative_to(catalog.RESULTS).as_posix())
            parts.append(f'<figure><a href="{src}"><img src="{src}" alt="{_e(exp.id)}: {_e(name)}" '
                         f'loading="lazy"></a><figcaption><b>{_e(name)}</b>: {_e(caption)}</figcaption></figure>')
        parts.append("</div>")
    elif state != "skipped":
        parts.append('<p class="note">No figures yet: run <code>snakemake</code> or <code>dvc repro</code>.</p>')
    parts.append("</article>")
    return "".join(parts)


def _scorecard(card: pd.DataFrame, summary: str) -> str:
    if card.empty:
        return "<p class='note'>No scorecard yet.</p>"
    order = {"differs": 0, "reproduced": 1, "identity": 2}
    card = card.assign(_o=card.verdict.map(order).fillna(3)).sort_values(["_o", "experiment", "metric"])
    rows = []
    for r in card.itertuples():
        rows.append(f"<tr><td>{_e(r.experiment)}</td><td>{_e(r.metric)}</td><td>{_badge(r.verdict)}</td>"
                    f"<td class='num'>{_number(r.seeds)}</td><td class='num'>{_number(r.median)}</td>"
                    f"<td class='num'>{_number(r.p5)} – {_number(r.p95)}</td>"
                    f"<td class='num'>{_number(r.low)} – {_number(r.high)}</td>"
                    f"<td class='num'>{_number(r.inside)}</td><td class='num'>{_number(r.gap_sd)}</td>"
                    f"<td>{_e(r.note)}</td><td>{_e(r.source)}</td></tr>")
    head = ("<tr><th>experiment</th><th>metric</th><th>verdict</th><th>seeds</th><th>our median</th>"
            "<th>our 5–95%</th><th>course</th><th>share inside</th><th>gap (sd)</th><th>note</th>"
            "<th>source</th></tr>")
    return (f"<p>{_e(summary)}</p><details><summary>The {len(card)} checks (differences first)</summary>"
            f"<table>{head}{''.join(rows)}</table></details>")


def _runs(runs: pd.DataFrame) -> str:
    if runs.empty:
        return "<p class='note'>No runs yet.</p>"
    metrics = [c for c in runs.columns if c.startswith("metric.")]
    rows = []
    for _, r in runs.iterrows():
        shown = [f"{c.removeprefix('metric.')} {_number(r[c])}" for c in metrics if pd.notna(r[c])][:RUN_METRICS_SHOWN]
        rows.append(f"<tr><td>{_e(r.experiment)}</td><td>{_e(r.run)}</td><td class='num'>{_number(r.seed)}</td>"
                    f"<td class='num'>{_number(r.scale)}</td><td>{_e(r.device)}</td>"
                    f"<td class='num'>{_number(r.wall_s)}</td><td>{_e('; '.join(shown))}</td></tr>")
    head = ("<tr><th>experiment</th><th>run</th><th>seed</th><th>scale</th><th>device</th><th>wall s</th>"
            f"<th>metrics (the first {RUN_METRICS_SHOWN})</th></tr>")
    return (f"<p>{len(runs)} runs; every param and metric of each is in <a href='runs.csv'>runs.csv</a> "
            "(<code>dudl compare</code> draws them).</p>"
            f"<details><summary>Every run</summary><table>{head}{''.join(rows)}</table></details>")


def render(root: Path = Path(".")) -> str:
    from dudl.scorecard import summary as scorecard_summary

    index = _read(root / catalog.RESULTS / "index.csv")
    card = _read(root / catalog.RESULTS / "scorecard.csv")
    summary = scorecard_summary(card) if not card.empty else ""
    runs = _read(root / catalog.RESULTS / "runs.csv")
    status = {r.experiment: (r.status, r.reason) for r in index.itertuples()} if not index.empty else {}
    done = int((index.status == "done").sum()) if not index.empty else 0
    sections = list(dict.fromkeys(e.section for e in catalog.EXPERIMENTS))
    nav = "".join(f'<a href="#{_e(s)}">{_e(s)}</a>' for s in sections)
    body = [f"<header><h1>A Deep Understanding of Deep Learning, reproduced</h1>"
            f"<p class='meta'>{done} of {len(index)} course notebooks done · "
            f"<a href='#scorecard'>scorecard</a> · <a href='#runs'>runs</a> · "
            f"<a href='index.csv'>index.csv</a></p><nav>{nav}</nav></header><main>"]
    for section in sections:
        folder = catalog.SECTIONS[section]
        body.append(f'<section id="{_e(section)}"><h2>{_e(section)} <small class="meta">(course: '
                    f'{_e(folder)})</small></h2>')
        body += [_experiment(e, root, status, card) for e in catalog.EXPERIMENTS if e.section == section]
        body.append("</section>")
    body.append(f'<section id="scorecard"><h2>Scorecard over seeds</h2>{_scorecard(card, summary)}</section>')
    body.append(f'<section id="runs"><h2>Runs</h2>{_runs(runs)}</section></main>')
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>dudl report</title><link rel='icon' href='data:,'><style>{STYLE}</style></head>"
            f"<body>{''.join(body)}</body></html>\n")


def write(root: Path = Path(".")) -> Path:
    text = render(root)
    return atomic_write(root / REPORT, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
