"""The sections that follow the target when it is not a price (``direction``,
``volatility``): a verdict that names the target's own baseline and loss, its
Diebold-Mariano table, a reliability diagram for probabilities, forecast against realized
volatility over time, and the loss per fold. :func:`by_target` picks these or the price
sections."""
from __future__ import annotations

import math

import numpy as np

from forecast.report.markup import (ACTUAL, DASHED, best, cell, colors, epoch, esc, fmt, line,
                                    num)
from forecast.report.sections.audit import leak_line
from forecast.report.sections.common import (fold_marks, has_std, is_baseline, model_names,
                                             predictions, rows)
from forecast.targets import TARGETS

# (key, column title, formatter kind, lower is better?) of each target's verdict table
COLUMNS = {
    "direction": (("accuracy", "accuracy %", "share", False),
                  ("balanced_accuracy", "balanced accuracy %", "share", False),
                  ("brier", "Brier", "ratio", True),
                  ("brier_skill", "Brier skill", "ratio", False),
                  ("log_loss", "log loss", "ratio", True),
                  ("roc_auc", "ROC AUC", "ratio", False)),
    "volatility": (("qlike", "QLIKE", "ratio", True),
                   ("mse", "MSE", "sci", True),
                   ("mz_r2", "MZ R²", "ratio", False),
                   ("mz_intercept", "MZ intercept", "sci", None),
                   ("mz_slope", "MZ slope", "ratio2", None)),
}
LOSS = {"direction": ("brier", "Brier score"), "volatility": ("qlike", "QLIKE")}
TIME = (("wall_seconds", "wall time s", "seconds", None), ("params", "parameters", "count", None))
BINS = 10  # of the reliability diagram, equally filled


def target_of(result):
    return TARGETS[result.experiment.features.target]


def by_target(price_section, target_section):
    """The section for prices (price and return targets), or the target's own (None: the
    section is left out)."""
    def render(result, charts):
        prices = target_of(result).name in ("price", "return")
        section = price_section if prices else target_section
        return section(result, charts) if section else ""
    render.__doc__ = (price_section or target_section).__doc__
    return render


def verdict(result, charts) -> str:
    """The verdict in the target's terms and the table of every model's scores."""
    from forecast.report.sections.verdict import _trading_headline
    if not result.models:
        return "<p>This run holds no model results.</p>"
    t = target_of(result)
    models = rows(result)
    key, label = LOSS[t.name]
    win = best(models, key)
    base = t.baseline_in(models)
    lines = [f"<b>{esc(win)}</b> has the lowest {label}, {fmt(models[win][key], 'ratio')}"
             f" (the forecast: {esc(t.unit)}; the baseline: {esc(t.baseline_label)})."
             if win else f"No model has a finite {label}: every forecast failed."]
    lost = True
    for name, e in models.items():
        if name == base:
            continue
        lines.append(esc(t.skill(name, e, models)) + ".")
        if t.outcome(e, models) == "better":  # a significant win, as the sentence says
            lost = False
    lines.append(_trading_headline(result))
    lines.append(leak_line(result))
    box = (f'<div class="verdict{" lost" if lost else ""}" id="verdict-text">'
           + "".join(f"<p>{x}</p>" for x in lines if x) + "</div>")
    columns = COLUMNS[t.name] + TIME
    winners = {k: best(models, k, lower) for k, _, _, lower in columns if lower is not None}
    head = "".join(f'<th data-key="{k}">{title}</th>' for k, title, _, _ in columns)
    body = "".join(
        f'<tr data-model="{esc(n)}"{" class=best" if n == win else ""}>'
        f'<td class="text">{esc(n)}'
        + (f'<span class="badge">best {esc(label)}</span>' if n == win else "") + "</td>"
        + "".join(cell(e, k, kind, winners.get(k) == n) for k, _, kind, _ in columns)
        + "</tr>" for n, e in models.items())
    notes = {"direction": "y_pred is the probability of a rise; accuracy calls a rise above "
                          "0.5; Brier = mean (probability - outcome)²; Brier skill = 1 - Brier "
                          "/ Brier of climatology (above 0: a lower Brier score, a win only "
                          "where its test is significant); ROC AUC 0.5 is no ranking skill",
             "volatility": "QLIKE = mean(realized / forecast + log forecast) over the "
                           "realized variances of daily log returns (lower is better); "
                           "Mincer-Zarnowitz: realized = intercept + slope x forecast, an "
                           "unbiased forecast has intercept 0 and slope 1"}[t.name]
    return (box + f'<div class="scroll"><table id="verdict-table"><tr><th class=text>model'
            f'</th>{head}</tr>{body}</table></div><p class=note>{notes}'
            + (", ± the standard deviation over seeds" if has_std(result) else "") + ".</p>")


def significance(result, charts) -> str:
    """Diebold-Mariano on the target's loss against naive (and against GARCH(1,1))."""
    t = target_of(result)
    refs = [("dm", "naive" if t.name == "volatility" else "climatology")]
    if t.name == "volatility":
        refs.append(("dm_garch", "GARCH(1,1)"))
    tested = {n: m.scores for n, m in result.models.items()
              if any(math.isfinite(num(m.scores.get(f"{k}_stat"))) for k, _ in refs)}
    if not tested:
        return ""
    head = "".join(f"<th>DM against {who}</th><th>p</th>" for _, who in refs)
    body = "".join(
        f'<tr data-model="{esc(n)}"><td class="text">{esc(n)}</td>'
        + "".join(cell(s, f"{k}_stat", "ratio2") + cell(s, f"{k}_pvalue", "p")
                  for k, _ in refs) + "</tr>" for n, s in tested.items())
    loss = LOSS[t.name][1]
    return (f'<div class="scroll"><table id="significance-table"><tr><th class=text>model'
            f"</th>{head}</tr>{body}</table></div><p class=note>Diebold-Mariano test of equal "
            f"mean {loss} on the same days (Harvey-Leybourne-Newbold correction, two-sided, "
            f"autocovariances up to the horizon). A negative statistic means a lower {loss} "
            "than the baseline; a p-value below 0.05 means the difference is unlikely to be "
            "luck.</p>")


def forecasts(result, charts) -> str:
    """A reliability diagram (direction) or forecast against realized volatility over time
    (volatility)."""
    p = predictions(result)
    if p is None:
        return "<p>No predictions recorded.</p>"
    return (_reliability if target_of(result).name == "direction" else _volatility)(
        result, p, charts)


def _reliability(result, p, charts) -> str:
    palette = colors(result.models)
    points = {}
    for name in model_names(result):
        g = p[p.model == name]
        edges = np.unique(np.quantile(g.y_pred, np.linspace(0, 1, BINS + 1)))
        which = np.clip(np.searchsorted(edges, g.y_pred, side="right") - 1, 0,
                        max(len(edges) - 2, 0))
        points[name] = [(float(g.y_pred[which == b].mean()), float(g.y_true[which == b].mean()))
                        for b in np.unique(which)]
    xs = sorted({round(x, 4) for pts in points.values() for x, _ in pts})
    series = [line("perfectly calibrated", xs, ACTUAL, 4, dash=DASHED)]
    for name, pts in points.items():
        y = [None] * len(xs)
        for x, freq in pts:
            y[xs.index(round(x, 4))] = freq
        series.append(line(name, y, palette[name], 4, paths="none"))
    charts.append({"id": "chart-reliability", "x": xs, "xKind": "linear",
                   "xLabel": "forecast probability of a rise", "yLabel": "share of rises",
                   "height": 340, "series": series})
    return ('<div class="chart" id="chart-reliability"></div><p class=note>Reliability '
            f"diagram: each model's test days in {BINS} groups of equal size by forecast "
            "probability; a point is a group's mean forecast against the share of those days "
            "that rose. On the dashed line a forecast of 55% comes true 55% of the time; "
            "climatology (naive) is one point per fold.</p>")


def _volatility(result, p, charts) -> str:
    h = result.experiment.features.horizon
    annual = lambda v: np.sqrt(252 / h * np.asarray(v, float)) * 100  # noqa: E731
    dates = np.sort(p.date.unique())
    truth = p.drop_duplicates("date").set_index("date").y_true.reindex(dates)
    series = [line("realized", annual(truth), ACTUAL, 2)]
    palette = colors(result.models)
    for name in model_names(result):
        g = p[p.model == name].groupby("date").y_pred.mean().reindex(dates)
        series.append(line(name, annual(g), palette[name], 2,
                           dash=DASHED if is_baseline(result, name) else None))
    charts.append({"id": "chart-volatility", "x": epoch(dates), "xKind": "time",
                   "xLabel": "date", "yLabel": "volatility, % a year", "height": 380,
                   "series": series, "marks": fold_marks(result)})
    return ('<div class="chart" id="chart-volatility"></div><p class=note>Forecast and '
            f"realized volatility of the {h} days after each test day, annualised "
            f"(sqrt(252 / {h} x variance)); dashed lines mark where each fold's test period "
            "starts. Drag to zoom, double-click to zoom out.</p>")


def folds(result, charts) -> str:
    """The target's loss per fold: chart and table."""
    t = target_of(result)
    key, label = LOSS[t.name]
    names = [n for n in result.models]
    per = {n: {f["fold"]: f for f in result.models[n].folds} for n in names}
    ks = sorted({k for d in per.values() for k in d})
    if not ks:
        return ""
    palette = colors(result.models)
    series = [line(n, [num(per[n].get(k, {}).get(key)) for k in ks], palette[n], 6,
                   dash=DASHED if is_baseline(result, n) else None) for n in names]
    charts.append({"id": "chart-folds", "x": list(range(len(ks))), "xKind": "category",
                   "xTicks": [f"fold {k}" for k in ks], "xLabel": "fold", "yLabel": label,
                   "height": 280, "series": series})
    head = "".join(f"<th>{esc(n)}</th>" for n in names)
    body = ""
    for k in ks:
        entries = {n: per[n].get(k, {}) for n in names}
        win = best(entries, key)
        body += (f"<tr><td class=text>fold {esc(k)}</td>"
                 + "".join(cell(e, key, "ratio", n == win) for n, e in entries.items())
                 + "</tr>")
    return ('<div class="chart" id="chart-folds"></div><div class="scroll">'
            f'<table id="fold-table"><tr><th class=text>fold</th>{head}</tr>{body}</table>'
            f"</div><p class=note>{label} of each model on each fold's test days (lower is "
            "better); the best of each fold in bold.</p>")


def cost(result, charts) -> str:
    """Wall time against the target's loss, one point per model."""
    t = target_of(result)
    key, label = LOSS[t.name]
    models = result.models
    order = sorted(models, key=lambda n: num(models[n].wall_seconds))
    xs = [max(num(models[n].wall_seconds), 1e-3) * (1 + 1e-6 * i) for i, n in enumerate(order)]
    palette = colors(models)
    series = []
    for n in order:
        y = [None] * len(order)
        y[order.index(n)] = num(models[n].scores.get(key))
        series.append(line(n, y, palette[n], 6, paths="none"))
    charts.append({"id": "chart-cost", "x": [float(f"{x:.9g}") for x in xs], "xKind": "log",
                   "xLabel": "wall time s (log)", "yLabel": label, "height": 300,
                   "series": series, "pointLabels": True})
    return ('<div class="chart" id="chart-cost"></div><p class=note>Training plus prediction '
            f"time over all folds against the {label} over all test days: down and to the "
            "left is better. Times under 1 ms are drawn at 1 ms.</p>")
