"""The comparison page's headline: which run is better, on what (the target's own score), and
whether the difference is significant, on the days the runs all forecast.

Runs that tested on different days have scores that are not comparable as they stand (two
runs' naive persistence then has two RMSEs): each run's scores are recomputed from its
predictions on the days every run forecast, and the best run's best model is tested against
the next best run's (Diebold-Mariano on each day's loss, the mean over seeds on each side:
seeds of two runs do not pair). Runs of different series (tickers, sources, horizons) cannot
be set side by side day by day, and the headline says so.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from forecast import paired
from forecast.report.markup import cell, count, esc, fmt, num
from forecast.report.scores import PRICES, compared_by, ranked_by
from forecast.targets import SIGNIFICANCE, TARGETS


def headline(loaded, members, target: str, box_id: str = "compare-verdict") -> str:
    """The headline of the runs ``members`` (positions in ``loaded``), all of ``target``,
    and the table of their scores on the days they all forecast; '' for fewer than two
    runs or a target the report does not know."""
    t, s = TARGETS.get(target), ranked_by(target)
    if len(members) < 2 or t is None or s is None:
        return ""
    runs = {i: loaded[i] for i in members}
    missing = [i for i, r in runs.items() if r.predictions is None or not len(r.predictions)]
    if missing:
        return _box(box_id, [f"{_runs(missing)} without predictions: the runs cannot be "
                             "compared day by day, so no difference between them is tested. "
                             "The tables hold each run's scores over its own test days."])
    different = _different_series(runs)
    if different:
        return _box(box_id, [different + " " + _by_recorded(runs, target)])
    days = {i: pd.DatetimeIndex(r.predictions.date.unique()).sort_values()
            for i, r in runs.items()}
    common = days[members[0]]
    for d in days.values():
        common = common.intersection(d)
    if not len(common):
        return _box(box_id, ["<b>The runs forecast no day in common</b> ("
                             + "; ".join(f"#{i + 1}: {_span(d)}" for i, d in days.items())
                             + "), so their errors cannot be compared day by day. "
                             + _by_recorded(runs, target)])
    lines = [_days(runs, days, common, t, s)]
    horizon = max(r.experiment.features.horizon for r in runs.values())
    scores = {i: _scores_on(r, common, t, horizon) for i, r in runs.items()}
    won, line = _winner(runs, scores, common, t, s, horizon)
    lines.append(line)
    return (_box(box_id, lines, won)
            + _table(runs, scores, common, t, s, horizon))


def _box(box_id, lines, won=False) -> str:
    return (f'<div class="verdict{"" if won else " lost"}" id="{esc(box_id)}">'
            + "".join(f"<p>{x}</p>" for x in lines) + "</div>")


def _runs(positions) -> str:
    return ("run " if len(positions) == 1 else "runs ") + ", ".join(
        f"#{i + 1}" for i in positions)


def _span(d) -> str:
    return f"{count(len(d))} days, {d[0]:%Y-%m-%d} to {d[-1]:%Y-%m-%d}"


def _different_series(runs) -> str:
    """Why the runs' errors cannot be set side by side day by day ('' when they can)."""
    tickers = {i: r.data.ticker or "?" for i, r in runs.items()}
    horizons = {i: r.experiment.features.horizon for i, r in runs.items()}
    if len(set(tickers.values())) > 1:
        return ("<b>These runs forecast different series</b> ("
                + ", ".join(f"#{i + 1} {esc(k)}" for i, k in tickers.items())
                + "), so their errors cannot be compared day by day or tested against each "
                "other.")
    if len(set(horizons.values())) > 1:
        return ("<b>These runs forecast different horizons</b> ("
                + ", ".join(f"#{i + 1} {h} days" for i, h in horizons.items())
                + "), so their errors cannot be compared day by day or tested against each "
                "other.")
    first, *rest = runs.values()
    truth = _truth(first)
    for i, r in list(runs.items())[1:]:
        other = _truth(r)
        both = truth.index.intersection(other.index)
        if len(both) and not np.allclose(truth.loc[both], other.loc[both], rtol=1e-4, atol=0):
            return (f"<b>Run #{i + 1} forecast other values than run #{min(runs) + 1}</b> "
                    "on the days both forecast (other prices: another source, file or "
                    "adjustment), so their errors cannot be compared day by day or tested "
                    "against each other.")
    return ""


def _truth(r) -> pd.Series:
    p = r.predictions
    return p.drop_duplicates("date").set_index("date").y_true.astype(float)


def _by_recorded(runs, target) -> str:
    """The best model of each run by the recorded score, untested."""
    s = compared_by(target)
    if s is None:
        return ""
    if target == "volatility":
        return ("QLIKE grows with the level of volatility, so the runs' QLIKE are not "
                "comparable either; the tables hold each run's own.")
    best = []
    for i, r in runs.items():
        v = {n: num(m.scores.get(s.key)) for n, m in r.models.items()}
        v = {n: x for n, x in v.items() if np.isfinite(x)}
        if v:
            n = (min if s.lower else max)(v, key=v.get)
            best.append((v[n] if s.lower else -v[n], i, n, v[n]))
    if len(best) < 2:
        return ""
    best.sort()
    (_, i, n, x), (_, j, m, y) = best[:2]
    return (f"By {s.label}, comparable across series, run #{i + 1}'s {esc(n)} is best "
            f"({fmt(x, s.kind)}, against {fmt(y, s.kind)} for run #{j + 1}'s {esc(m)}, the "
            "next best run's best); no test can say whether that is more than luck.")


def _days(runs, days, common, t, s) -> str:
    """Whether the runs tested on the same days, and what that means for their scores."""
    n = len(runs)
    both = "both" if n == 2 else f"all {n}"
    if all(len(d) == len(common) for d in days.values()):
        return (f"{both.capitalize()} runs forecast the same {_span(common)}: their scores "
                "compare as they stand.")
    base = t.baseline_in(set.intersection(*(set(r.models) for r in runs.values())))
    label = t.baseline_label if base == t.baseline else "naive persistence"
    recorded = [(i, num(r.models[base].scores.get(s.key))) for i, r in runs.items()
                if base in r.models]
    said = ""
    if len(recorded) == n:
        said = (f"; {esc(label)}'s {s.label} is "
                + " and ".join(f"{fmt(v, s.kind)} in #{i + 1}" for i, v in recorded)
                + " over each run's own days")
    return ("<b>The runs forecast different days</b> ("
            + "; ".join(f"#{i + 1}: {_span(d)}" for i, d in days.items()) + f"){said}, "
            "so their scores are not comparable as they stand. Below, every run is scored "
            f"again on the {count(len(common))} days {both} runs forecast.")


def _scores_on(r, days, t, horizon) -> dict:
    """Model -> its scores on ``days`` (each seed scored, then the mean) and its loss each
    day (the mean over seeds)."""
    p = r.predictions[r.predictions.date.isin(days)].sort_values(["model", "seed", "date"])
    refs = {ref: p[p.model == ref].drop_duplicates("date").set_index("date").y_pred
            for ref in t.references if (p.model == ref).any()}
    out = {}
    for name, rows in p.groupby("model", sort=False):
        per_seed = [t.scores(g.y_true.to_numpy(), g.y_pred.to_numpy(), g.y_last.to_numpy(),
                             {k: v.loc[g.date].to_numpy() for k, v in refs.items()}, horizon)
                    for _, g in rows.groupby("seed")]
        mean = {k: float(np.mean([x[k] for x in per_seed])) for k in per_seed[0]}
        out[name] = {"scores": mean,
                     "loss": paired.losses(rows, t).mean(axis=1).to_frame()}
    order = [n for n in r.models if n in out] + [n for n in out if n not in r.models]
    return {n: out[n] for n in order}


def _best(models: dict, s):
    v = {n: num(e["scores"].get(s.key)) for n, e in models.items()}
    v = {n: x for n, x in v.items() if np.isfinite(x)}
    return (min if s.lower else max)(v, key=v.get) if v else None


def _winner(runs, scores, common, t, s, horizon):
    """(whether a run is significantly better, the sentence saying which run is better)."""
    tops = [(i, _best(scores[i], s)) for i in runs]
    tops = [(i, n) for i, n in tops if n is not None]
    if len(tops) < 2:
        return False, "No run has a finite score on these days: nothing to compare."
    value = lambda i, n: scores[i][n]["scores"][s.key]  # noqa: E731
    tops.sort(key=lambda x: value(*x) if s.lower else -value(*x))
    (i, a), (j, b) = tops[:2]
    both = "both" if len(runs) == 2 else "all"
    other = f"run #{j + 1}" if len(runs) == 2 else f"the next best run, #{j + 1}"
    stat, p = paired.test(scores[i][a]["loss"], scores[j][b]["loss"], horizon)
    where = f"over the {count(len(common))} days {both} runs forecast"
    x, y = value(i, a), value(j, b)
    mine = f"its best model, {esc(a)}, has {s.label} {_close(x, y)}"
    theirs = f"{_close(y, x)} for {other}'s best, {esc(b)}"
    if not np.isfinite(p):  # the same forecasts (naive persistence, often): nothing to test
        return False, (f"<b>No difference between the runs</b> {where}: the best model of "
                       f"run #{i + 1}, {esc(a)}, and of {other}, {esc(b)}, made the same "
                       f"forecasts ({s.label} {_close(x, y)}); the table below compares "
                       "each model run against run.")
    if p < SIGNIFICANCE:
        return True, (f"<b>Run #{i + 1} is better</b> on {s.label} {where}: {mine}, "
                      f"against {theirs}; the difference is significant at 5% "
                      f"(Diebold-Mariano p = {esc(fmt(p, 'p'))}).")
    return False, (f"<b>No significant difference between the runs</b> on {s.label} {where}: "
                   f"run #{i + 1}'s {mine[4:]}, against {theirs}, but Diebold-Mariano "
                   f"p = {esc(fmt(p, 'p'))}.")


def _close(x: float, y: float) -> str:
    """``x`` with the decimals it takes to tell it from ``y`` (4 at least, 8 at most)."""
    d = 4
    while d < 8 and x != y and round(x, d) == round(y, d):
        d += 1
    return f"{x:,.{d}f}"


def _table(runs, scores, common, t, s, horizon) -> str:
    """Each model of several runs on the common days: its score, Theil's U for prices, and
    its test against the run where that model did best."""
    names = list(dict.fromkeys(n for i in runs for n in scores[i]))
    shared = [n for n in names if sum(n in scores[i] for i in runs) > 1]
    if not shared:
        return ""
    prices = t.name in PRICES
    head = (f"<tr><th class=text>model</th><th>#</th><th>{s.label}</th>"
            + ("<th>Theil's U</th>" if prices else "")
            + "<th class=text>against the run where it did best</th></tr>")
    rows = []
    for n in shared:
        have = {i: scores[i][n] for i in runs if n in scores[i]}
        top = _best(have, s)
        for i, e in have.items():
            if i == top:
                words = "best"
            else:
                stat, p = paired.test(e["loss"], have[top]["loss"], horizon)
                words = _words(stat, p, top)
            rows.append(f'<tr data-model="{esc(n)}" data-run="{i + 1}"'
                        f'{" class=best" if i == top else ""}><td class="text">{esc(n)}</td>'
                        f"<td>{i + 1}</td>{cell(e['scores'], s.key, 'ratio')}"
                        + (cell(e["scores"], "theil_u", "ratio") if prices else "")
                        + f'<td class="text">{words}</td></tr>')
    return (f"<h3>On the {count(len(common))} days the runs all forecast</h3>"
            f'<div class="scroll"><table id="compare-common">{head}{"".join(rows)}</table>'
            "</div><p class=note>Each run's forecasts scored again on these days only (each "
            "seed, then the mean); the test: Diebold-Mariano on each day's "
            f"{esc(t.loss_name)}, the mean over seeds on each side.</p>")


def _words(stat, p, top) -> str:
    if not np.isfinite(p):
        return f"the same forecasts as run #{top + 1}"
    if p < SIGNIFICANCE:
        return (f'<span class="fail">significantly worse than run #{top + 1}</span> '
                f"(p = {esc(fmt(p, 'p'))})")
    return f"no significant difference from run #{top + 1} (p = {esc(fmt(p, 'p'))})"
