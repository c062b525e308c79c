"""Each model against the run's baseline day by day: the running sum of the baseline's loss
minus the model's over the test days (Welch & Goyal 2008), the picture of who was better
and when. The lines of actual and predicted prices lie on top of each other at every zoom;
these do not."""
from __future__ import annotations

from forecast import paired
from forecast.report.markup import DASHED, colors, decimals, epoch, esc, line
from forecast.report.sections.common import (fold_marks, is_baseline, model_names,
                                             predictions, several_seeds)
from forecast.targets import TARGETS

# where a line ends, in words: the number of test days times the difference of ...
ENDS = {"direction": "the Brier scores, above 0 for a lower Brier score",
        "volatility": "the QLIKE scores, above 0 for a lower QLIKE"}
PRICE_END = "the mean squared errors, above 0 for a lower RMSE"


def gain(result, charts) -> str:
    """The cumulative gain of every model over the baseline (naive persistence for prices,
    climatology on the Brier score for direction, GARCH(1,1) or naive on QLIKE for
    volatility), fold starts marked."""
    p = predictions(result)
    t = TARGETS[result.experiment.features.target]
    names = model_names(result)
    base = t.baseline_in(names)
    if p is None or base not in names or len(names) < 2:
        return ""
    label = t.baseline_label if base == t.baseline else "naive persistence"
    loss = {n: paired.losses(p[p.model == n], t) for n in names}
    dates = paired.common_days(*loss.values())
    palette = colors(result.models)
    series = []
    for n in names:
        if n == base:
            continue
        total = paired.cumulative(loss[n], loss[base]).reindex(dates)
        series.append(line(n, total, palette[n], decimals(total),
                           dash=DASHED if is_baseline(result, n) else None))
    charts.append({"id": "chart-gain", "x": epoch(dates), "xKind": "time", "xLabel": "date",
                   "yLabel": f"{t.loss_name} gain, summed", "height": 340,
                   "series": series, "marks": fold_marks(result), "hline": 0})
    what = esc(f"{label}'s {t.loss_name}")
    end = ENDS.get(t.name, PRICE_END)
    return (f"<p>Each line adds up, test day after test day, {what} minus the model's "
            "(Welch &amp; Goyal 2008). <b>It rises where the model's forecast was the better "
            f"one and falls where {esc(label)}'s was</b>: a steady rise is skill, a line "
            "that wanders around 0 is none, a fall after a rise is skill lost. Where a line "
            f"ends is the number of test days times the difference of {end}; whether it is "
            "far enough from 0 to be more than luck is the Diebold-Mariano test "
            '(<a href="#significance">Significance</a>).</p>'
            '<div class="chart" id="chart-gain"></div><p class=note>Dashed vertical lines: '
            "where each fold's test period starts; dashed series: baselines. Click a legend "
            "entry to hide a series (one far off the others flattens them), drag to zoom."
            + (" With several seeds, each day's loss is the mean over the seeds."
               if several_seeds(p) else "") + "</p>")
