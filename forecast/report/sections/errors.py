"""The forecasts against the prices, and where the errors were: per fold, over time, and
their distribution."""
from __future__ import annotations

import numpy as np

from forecast.report.markup import (ACTUAL, DASHED, best, colors, count, decimals, epoch, esc,
                                    fmt, line, num, rounded)
from forecast.report.sections.common import (fold_marks, has_std, is_baseline, model_names,
                                             predictions, several_seeds)

ROLLING_DAYS = 21         # about a month of trading days for the rolling error
HIST_BINS = 40


def prices(result, charts) -> str:
    """Actual prices and every model's forecasts over all test days (the main chart)."""
    p = predictions(result)
    if p is None:
        return "<p>No predictions recorded.</p>"
    dates = np.sort(p.date.unique())
    truth = p.drop_duplicates("date").set_index("date").y_true.reindex(dates)
    dec = decimals(truth)
    series = [{"label": "actual", "y": rounded(truth, dec), "color": ACTUAL, "width": 2}]
    palette = colors(result.models)
    for name in model_names(result):
        g = p[p.model == name].groupby("date").y_pred
        series.append(line(name, g.mean().reindex(dates), palette[name], dec,
                           spread=(g.min().reindex(dates), g.max().reindex(dates))
                           if p[p.model == name].seed.nunique() > 1 else None,
                           dash=DASHED if is_baseline(result, name) else None))
    charts.append({"id": "chart-prices", "x": epoch(dates), "xKind": "time", "xLabel": "date",
                   "yLabel": "price", "height": 380, "series": series,
                   "marks": fold_marks(result)})
    return ('<div class="chart" id="chart-prices"></div><p class=note>Every test day of every '
            "fold; dashed lines mark where each fold's test period starts. Drag to zoom, "
            "double-click to zoom out, click a legend entry to hide a series."
            + (" Shaded: the range over seeds." if several_seeds(p) else "") + "</p>")


def errors(result, charts) -> str:
    """Error per fold, over time, and its distribution."""
    if predictions(result) is None:
        return ""
    return (fold_errors(result, charts) + rolling_errors(result, charts)
            + distribution(result, charts))


def fold_errors(result, charts) -> str:
    names = model_names(result)
    p = predictions(result)
    folds = ([(f.fold, f) for f in result.folds]
             or [(k, None) for k in sorted(p.fold.unique())])
    per = {n: {f["fold"]: f for f in result.models[n].folds} if n in result.models else {}
           for n in names}
    palette = colors(result.models)
    series = []
    for n in names:
        rmse = [num(per[n].get(k, {}).get("rmse")) for k, _ in folds]
        sd = [num(per[n].get(k, {}).get("rmse_std")) for k, _ in folds]
        spread = None
        if any(np.isfinite(sd)):
            spread = (np.subtract(rmse, sd), np.add(rmse, sd))
        series.append(line(n, rmse, palette[n], 4, spread=spread,
                           dash=DASHED if is_baseline(result, n) else None))
    charts.append({"id": "chart-folds", "x": list(range(len(folds))), "xKind": "category",
                   "xTicks": [f"fold {k}" for k, _ in folds], "xLabel": "fold",
                   "yLabel": "RMSE", "height": 280, "series": series})
    head = ("<tr><th class=text>fold</th><th class=text>test days</th>"
            + "".join(f'<th>{esc(n)}</th>' for n in names) + "</tr>")
    rows = []
    for k, f in folds:
        entries = {n: per[n].get(k, {}) for n in names}
        win = best(entries, "rmse")
        span = (f"{esc(f.test_start or '?')} to {esc(f.test_end or '?')}"
                f" ({count(f.n_test)})" if f is not None else "")
        cells = "".join(
            f'<td{" class=win" if n == win else ""}>{fmt(e.get("rmse"), "price")}'
            f'<span class="note"> U {fmt(e.get("theil_u"), "ratio")}</span></td>'
            for n, e in entries.items())
        rows.append(f'<tr><td class="text">{esc(k)}</td><td class="text">{span}</td>'
                    f"{cells}</tr>")
    return ('<h3>Error per fold</h3><div class="chart" id="chart-folds"></div>'
            f'<div class="scroll"><table id="fold-table">{head}{"".join(rows)}</table></div>'
            "<p class=note>RMSE per fold (U: Theil's U in that fold; bold: the lowest RMSE)."
            + (" Shaded: ± one standard deviation over seeds." if has_std(result) else "")
            + "</p>")


def rolling_errors(result, charts) -> str:
    p = predictions(result).assign(sq=lambda d: (d.y_pred - d.y_true) ** 2)
    dates = np.sort(p.date.unique())
    palette = colors(result.models)
    series = []
    for n in model_names(result):
        sq = p[p.model == n].groupby("date").sq.mean().reindex(dates)
        roll = np.sqrt(sq.rolling(ROLLING_DAYS, min_periods=ROLLING_DAYS).mean())
        series.append(line(n, roll, palette[n], decimals(roll),
                           dash=DASHED if is_baseline(result, n) else None))
    charts.append({"id": "chart-rolling", "x": epoch(dates), "xKind": "time", "xLabel": "date",
                   "yLabel": f"RMSE, {ROLLING_DAYS} days", "height": 280, "series": series,
                   "marks": fold_marks(result)})
    return (f'<h3>Error over time</h3><div class="chart" id="chart-rolling"></div>'
            f"<p class=note>RMSE over the last {ROLLING_DAYS} trading days: where the models "
            "missed most.</p>")


def distribution(result, charts) -> str:
    p = predictions(result)
    names = model_names(result)
    err = {n: (p.y_pred - p.y_true)[p.model == n].to_numpy() for n in names}
    pooled = np.concatenate(list(err.values()))
    pooled = pooled[np.isfinite(pooled)]
    if not len(pooled):
        return ""
    # the central 99% sets the range so one crash day does not flatten the histogram;
    # the rest is piled into the outer bins
    lo, hi = np.percentile(pooled, [0.5, 99.5])
    if not hi > lo:
        lo, hi = lo - 1, hi + 1
    edges = np.linspace(lo, hi, HIST_BINS + 1)
    dec = decimals(edges)
    palette = colors(result.models)
    series, rows = [], []
    for n in names:
        e = err[n][np.isfinite(err[n])]
        share = np.histogram(np.clip(e, lo, hi), edges)[0] / max(len(e), 1) * 100
        series.append(line(n, np.append(share, share[-1]), palette[n], 3, paths="step",
                           dash=DASHED if is_baseline(result, n) else None))
        miss = p[p.model == n].assign(a=lambda d: (d.y_pred - d.y_true).abs())
        worst = miss.loc[miss.a.idxmax()] if len(miss) else None
        q5, q50, q95 = np.percentile(e, [5, 50, 95]) if len(e) else (np.nan,) * 3
        rows.append(f'<tr><td class="text">{esc(n)}</td>'
                    + "".join(f"<td>{fmt(v, 'price')}</td>" for v in
                              (e.mean() if len(e) else np.nan, e.std() if len(e) else np.nan,
                               q5, q50, q95))
                    + (f"<td>{fmt(worst.a, 'price')}</td><td class=text>{worst.date:%Y-%m-%d}"
                       f"</td>" if worst is not None else "<td></td><td></td>") + "</tr>")
    charts.append({"id": "chart-errors", "x": rounded(edges, dec), "xKind": "linear",
                   "xLabel": "forecast - actual", "yLabel": "% of days", "height": 280,
                   "series": series, "hline": None})
    return ('<h3>Distribution of errors</h3><div class="chart" id="chart-errors"></div>'
            '<div class="scroll"><table id="error-table"><tr><th class=text>model</th>'
            "<th>mean (bias)</th><th>std</th><th>5%</th><th>median</th><th>95%</th>"
            f'<th>largest miss</th><th class=text>on</th></tr>{"".join(rows)}</table></div>'
            "<p class=note>Forecast minus actual price, all test days (and seeds); the outer "
            "bins hold the most extreme 1%.</p>")
