"""How the networks trained (loss per epoch) and what each model cost against its error."""
from __future__ import annotations

import numpy as np

from forecast.report.markup import PALETTE, colors, esc, line, num
from forecast.report.sections.common import is_baseline, model_names


def training(result, charts) -> str:
    """Training and early-stopping loss per epoch, one chart per network, a line per fold."""
    parts = []
    for i, name in enumerate(n for n in model_names(result) if not is_baseline(result, n)):
        folds = [f for f in result.models[name].folds if (f.get("history") or {}).get("loss")]
        if not folds:
            continue
        epochs = max(len(f["history"]["loss"]) for f in folds)
        series = []
        for k, f in enumerate(folds):
            color = PALETTE[k % len(PALETTE)]
            h = f["history"]
            for key, label, dash in (("loss", "training", None),
                                     ("val_loss", "validation", [5, 4])):
                if h.get(key):
                    values = list(h[key]) + [None] * (epochs - len(h[key]))
                    series.append(line(f"fold {f['fold']} {label}", values, color, 5,
                                       dash=dash))
        chart_id = f"chart-loss-{i}"
        # epochs on a category axis: whole numbers only, even for a single epoch
        charts.append({"id": chart_id, "x": list(range(epochs)), "xKind": "category",
                       "xTicks": [str(k) for k in range(1, epochs + 1)], "xLabel": "epoch",
                       "yLabel": "loss (scaled, log)", "yLog": True, "height": 260,
                       "series": series})
        parts.append(f'<div><h3>{esc(name)}</h3><div class="chart" id="{chart_id}"></div></div>')
    if not parts:
        return "<p>No model in this run was trained (baselines only).</p>"
    return (f'<div class="grid2">{"".join(parts)}</div><p class=note>Mean squared error of the '
            "scaled target per epoch: solid on the samples fitted, dashed on the early-stopping "
            "tail of the training samples (never the test fold). With several seeds, the "
            "first seed's history.</p>")


def cost(result, charts) -> str:
    """Wall time against RMSE, one point per model."""
    models = result.models
    floor = 1e-3  # baselines take microseconds: a log axis needs a floor
    order = sorted(models, key=lambda n: num(models[n].wall_seconds))
    xs, series = [], []
    palette = colors(models)
    for i, n in enumerate(order):
        wall = num(models[n].wall_seconds)
        # equal times would collide on the x axis; nudge them apart invisibly
        xs.append(max(wall if np.isfinite(wall) else floor, floor) * (1 + 1e-6 * i))
    for n in order:
        y = [None] * len(order)
        y[order.index(n)] = num(models[n].scores.get("rmse"))
        series.append(line(n, y, palette[n], 4, paths="none"))
    charts.append({"id": "chart-cost", "x": [float(f"{x:.9g}") for x in xs], "xKind": "log",
                   "xLabel": "wall time s (log)", "yLabel": "RMSE", "height": 300,
                   "series": series, "pointLabels": True})
    return ('<div class="chart" id="chart-cost"></div><p class=note>Training plus prediction '
            "time over all folds against the RMSE over all test days: down and to the left is "
            "better. Times under 1 ms are drawn at 1 ms.</p>")
