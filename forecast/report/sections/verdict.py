"""The verdict (does any model beat naive persistence, and is the difference significant?)
and the Diebold-Mariano table."""
from __future__ import annotations

import math

from forecast.report.markup import best, cell, esc, fmt, num
from forecast.report.power import power_line
from forecast.report.sections.audit import leak_line
from forecast.report.sections.common import has_std, rows
from forecast.targets import SIGNIFICANCE, TARGETS

# (key, column title, formatter kind, lower is better?) of the verdict table
COLUMNS = (
    ("rmse", "RMSE", "price", True),
    ("mae", "MAE", "price", True),
    ("mape", "MAPE %", "mape", True),
    ("directional_accuracy", "direction right %", "share", False),
    ("theil_u", "Theil's U", "ratio", True),
    ("wall_seconds", "wall time s", "seconds", None),
    ("params", "parameters", "count", None),
)


def verdict(result, charts) -> str:
    """The verdict in sentences, the table of every model's errors, and what they mean."""
    if not result.models:
        return "<p>This run holds no model results.</p>"
    return verdict_box(result) + table(result) + (
        "<p class=note>RMSE and MAE in price units over all test days; Theil's U is the "
        "RMSE relative to naive persistence (below 1: a lower RMSE, a win only where the "
        "Diebold-Mariano test finds it significant at 5%); best RMSE: the model the verdict "
        "ranks first, by RMSE (bold: the best of each column); wall time is training plus "
        "prediction over all folds; naive persistence forecasts no move, so it has no "
        "direction to get right (–)" + (", ± the standard deviation over seeds" if
                                       has_std(result) else "") + ".</p>")


def verdict_box(result) -> str:
    """The verdict in sentences: the winner, each other model against naive, trading, the
    leak audit."""
    models = rows(result)
    win = best(models, "rmse")
    naive = models.get("naive")
    lines, lost = [], True
    if win is None:
        lines.append("No model has a finite RMSE: every forecast failed.")
    elif naive is None:
        lines.append(f"<b>{esc(win)}</b> has the lowest RMSE, "
                     f"{fmt(models[win]['rmse'], 'price')}. This run has no naive "
                     "persistence to compare with.")
    elif win == "naive":
        lines.append("<b>No model beats naive persistence</b> (“tomorrow = today”): it has "
                     f"the lowest RMSE, {fmt(naive['rmse'], 'price')}.")
    else:
        gain = 1 - num(models[win]["rmse"]) / num(naive["rmse"])
        margin = (f"RMSE {fmt(models[win]['rmse'], 'price')}, {gain:.2%} lower than naive "
                  f"persistence ({fmt(naive['rmse'], 'price')})")
        p = num(models[win].get("dm_pvalue"))
        if not math.isfinite(p):  # no test recorded: the margin alone proves nothing
            lines.append(f"<b>{esc(win)}</b> has the lowest RMSE: {margin}; no significance "
                         "test was recorded, so the margin may be luck.")
        elif p < SIGNIFICANCE:
            lost = False
            lines.append(f"<b>{esc(win)}</b> wins: {margin}{_dm_clause(models[win])}.")
        else:  # "wins" only where the difference is unlikely to be luck
            lines.append(f"<b>No significant difference between {esc(win)} and naive "
                         f"persistence</b>: {esc(win)} has the lowest {margin}, but "
                         f"Diebold-Mariano p = {fmt(p, 'p')}.")
    for name, e in models.items():
        if name in ("naive", win) or naive is None:
            continue
        lines.append(_against_naive(name, e))
    lines.append(power_line(result))
    lines.append(_trading_headline(result))
    lines.append(leak_line(result))
    return (f'<div class="verdict{" lost" if lost else ""}" id="verdict-text">'
            + "".join(f"<p>{line}</p>" for line in lines if line) + "</div>")


def _against_naive(name: str, e: dict) -> str:
    """One model against naive persistence: "beats" only where its Diebold-Mariano test
    finds the difference significant at 5%."""
    u, p = num(e.get("theil_u")), num(e.get("dm_pvalue"))
    if not math.isfinite(u):
        return f"<b>{esc(name)}</b> has no Theil's U: its forecasts failed."
    n, pct, ratio = f"<b>{esc(name)}</b>", _pct_change(u), fmt(u, "ratio")
    dm = f"Diebold-Mariano p = {fmt(p, 'p')}"
    said = TARGETS["return"].outcome(e, {})
    if said == "better":
        return (f"{n} beats naive persistence: RMSE {pct} lower (Theil's U {ratio}), "
                f"significant at 5% ({dm}).")
    if said == "worse":
        return (f"{n} is significantly worse than naive persistence: RMSE {pct} higher "
                f"(Theil's U {ratio}, {dm}).")
    if u >= 1:  # "does not beat" is true whatever the test says
        return (f"{n} does not beat naive persistence: RMSE {pct} higher (Theil's U {ratio})"
                + (f"; the difference is not significant at 5% ({dm})." if said == "level"
                   else "; no significance test was recorded."))
    if said == "level":
        return (f"{n}: no significant difference from naive persistence (RMSE {pct} lower, "
                f"Theil's U {ratio}, {dm}).")
    return (f"{n}: RMSE {pct} lower than naive persistence's (Theil's U {ratio}), but no "
            "significance test was recorded, so that is no win.")


def table(result) -> str:
    """The verdict table: one row per model, the best of each column in bold."""
    models = rows(result)
    top = best(models, "rmse")
    winners = {key: best(models, key, lower) for key, _, _, lower in COLUMNS
               if lower is not None}
    head = "".join(f'<th data-key="{key}">{title}</th>' for key, title, _, _ in COLUMNS)
    out = []
    for name, e in models.items():
        cells = "".join(cell(e, key, kind, winners.get(key) == name)
                        for key, _, kind, _ in COLUMNS)
        badge = '<span class="badge">best RMSE</span>' if name == top else ""
        out.append(f'<tr data-model="{esc(name)}"{" class=best" if name == top else ""}>'
                   f'<td class="text">{esc(name)}{badge}</td>{cells}</tr>')
    return (f'<div class="scroll"><table id="verdict-table"><tr><th class=text>model</th>'
            f'{head}</tr>{"".join(out)}</table></div>')


def significance(result, charts) -> str:
    """Diebold-Mariano against naive persistence, overall and per fold."""
    tested = {n: m for n, m in result.models.items() if "dm_stat" in m.scores and n != "naive"}
    if not tested:
        return ""
    folds = sorted({f["fold"] for m in tested.values() for f in m.folds if "dm_pvalue" in f})
    head = ("<tr><th class=text>model</th><th>DM statistic</th><th>p-value</th>"
            "<th class=text>against naive persistence</th>"
            + "".join(f"<th>fold {esc(k)} p</th>" for k in folds) + "</tr>")
    out = []
    for name, m in tested.items():
        per_fold = {f["fold"]: f for f in m.folds}
        cells = "".join(cell(per_fold.get(k, {}), "dm_pvalue", "p") for k in folds)
        out.append(f'<tr data-model="{esc(name)}"><td class="text">{esc(name)}</td>'
                   f'{cell(m.scores, "dm_stat", "ratio2")}{cell(m.scores, "dm_pvalue", "p")}'
                   f'<td class="text">{_dm_words(m.scores)}</td>{cells}</tr>')
    return (f'<div class="scroll"><table id="significance-table">{head}{"".join(out)}'
            "</table></div><p class=note>Diebold-Mariano test of equal squared errors against "
            "naive persistence on the same days (Harvey-Leybourne-Newbold correction, "
            "two-sided). A negative statistic means smaller errors than naive; a p-value "
            "below 0.05 means the difference is unlikely to be luck.</p>")


def _trading_headline(result) -> str:
    """One line on trading: the best Sharpe ratio against buy-and-hold's ('' without)."""
    traded = {n: m.trading for n, m in result.models.items() if isinstance(m.trading, dict)}
    bh = result.buy_and_hold
    top = best(traded, "sharpe", lower=False)
    if top is None or not isinstance(bh, dict):
        return ""
    s, b = num(traded[top].get("sharpe")), num(bh.get("sharpe"))
    return (f"Trading on the forecasts: best Sharpe ratio {fmt(s, 'ratio2')} "
            f"({esc(top)}), {'above' if s > b else 'below'} buy-and-hold's "
            f"{fmt(b, 'ratio2')}.")


def _pct_change(u: float) -> str:
    return f"{abs(u - 1):.2%}"


def _dm_clause(e: dict) -> str:
    p = num(e.get("dm_pvalue"))
    if not math.isfinite(p):
        return ""
    return (f"; the difference is {'' if p < SIGNIFICANCE else 'not '}significant at 5% "
            f"(Diebold-Mariano p = {fmt(p, 'p')})")


def _dm_words(e: dict) -> str:
    stat, p = num(e.get("dm_stat")), num(e.get("dm_pvalue"))
    if not (math.isfinite(stat) and math.isfinite(p)):
        return "not testable"
    if p >= SIGNIFICANCE:
        return "no significant difference"
    return ('<span class="ok">significantly more accurate</span>' if stat < 0 else
            '<span class="fail">significantly less accurate</span>')
