"""Trading on the forecasts: each model's strategy against buy-and-hold."""
from __future__ import annotations

import numpy as np

from forecast.report.markup import (BUY_AND_HOLD, PALETTE, best, cell, colors, epoch, esc, fmt,
                                    line, num)
from forecast.report.sections.common import fold_marks, strategy

COLUMNS = (
    ("total_return", "total return %", "share", False),
    ("cagr", "CAGR %", "share", False),
    ("volatility", "volatility %", "share", True),
    ("sharpe", "Sharpe", "ratio2", False),
    ("sortino", "Sortino", "ratio2", False),
    ("max_drawdown", "max drawdown %", "share", False),
    ("calmar", "Calmar", "ratio2", False),
    ("hit_rate", "hit rate %", "share", False),
    ("exposure", "exposure %", "share", None),
    ("turnover", "turnover /year", "ratio1", None),
    ("deflated_sharpe", "deflated Sharpe", "ratio2", False),
)


def trading(result, charts) -> str:
    """Statistics of each strategy, equity and drawdown charts, the rules in words."""
    traded = {n: m.trading for n, m in result.models.items() if isinstance(m.trading, dict)}
    bh = result.buy_and_hold if isinstance(result.buy_and_hold, dict) else None
    if not traded and bh is None and result.equity is None:
        return ""
    out = []
    if traded or bh:
        rows = dict(traded)
        if bh:
            rows["buy_and_hold"] = bh
        winners = {key: best(rows, key, lower) for key, _, _, lower in COLUMNS
                   if lower is not None}
        head = "".join(f"<th>{t}</th>" for _, t, _, _ in COLUMNS)
        body = "".join(
            f'<tr data-model="{esc(n)}"><td class="text">{esc(strategy(n))}</td>'
            + "".join(cell(e, key, kind, winners.get(key) == n)
                      for key, _, kind, _ in COLUMNS) + "</tr>"
            for n, e in rows.items())
        out.append(f'<div class="scroll"><table id="trading-table"><tr><th class=text>strategy'
                   f"</th>{head}</tr>{body}</table></div>")
        if bh and traded:
            bar = num(bh.get("sharpe"))
            better = [n for n, e in traded.items() if num(e.get("sharpe")) > bar]
            out.append(f"<p>Sharpe ratio above buy-and-hold's ({fmt(bar, 'ratio2')}): "
                       f"{esc(', '.join(better))}.</p>" if better else
                       "<p>No strategy has a higher Sharpe ratio than buy-and-hold "
                       f"({fmt(bar, 'ratio2')}).</p>")
    settings = result.trading if isinstance(result.trading, dict) else {}
    if result.equity is not None and not result.equity.empty:
        out.append(_equity_charts(result, charts))
    out.append(f"<p class=note>{esc(rules(settings))}</p>")
    return "".join(out)


def rules(settings: dict) -> str:
    """The trading rules of a run in words, from its recorded settings."""
    threshold = num(settings.get("threshold", 0))
    rise = "a rise" if not threshold else f"a return above {threshold:g}"
    fall = "a fall" if not threshold else f"one below {-threshold:g}"
    short = f", short when it forecasts {fall}" if settings.get("long_short") else ""
    words = [f"Long when a model forecasts {rise}{short}, flat otherwise; buy-and-hold is "
             "long every test day."]
    if "cost_bps" in settings:
        words.append(f"Each change of position costs {num(settings['cost_bps']):g} basis "
                     "points per unit traded.")
    trials = settings.get("n_trials")
    words.append("Deflated Sharpe: the probability that the Sharpe ratio beats the best that "
                 + (f"{trials} " if trials else "as many ") + "skill-less strategies (every "
                 "model and seed of this run) would show by luck; near 1 is unlikely luck.")
    return " ".join(words)


def _equity_charts(result, charts) -> str:
    q = result.equity
    dates = np.sort(q.date.unique())
    names = [n for n in q.model.unique() if n != "buy_and_hold"]
    palette = colors(result.models)  # the colours of the other charts
    extra = iter(PALETTE[len(palette) % len(PALETTE):] + PALETTE)
    eq, dd = [], []
    for n in names + (["buy_and_hold"] if "buy_and_hold" in set(q.model) else []):
        rows = q[q.model == n]
        g = rows.groupby("date")
        bh = n == "buy_and_hold"
        color = BUY_AND_HOLD if bh else palette.get(n) or next(extra)
        dash = [8, 4] if bh else None
        label = strategy(n)
        spread = None
        if rows.seed.nunique() > 1:
            spread = (g.equity.min().reindex(dates), g.equity.max().reindex(dates))
        eq.append(line(label, g.equity.mean().reindex(dates), color, 4, dash=dash,
                       spread=spread))
        dd.append(line(label, g.drawdown.mean().reindex(dates) * 100, color, 2, dash=dash))
    x = epoch(dates)
    charts.append({"id": "chart-equity", "x": x, "xKind": "time", "xLabel": "date",
                   "yLabel": "value of 1 invested", "height": 320, "series": eq,
                   "marks": fold_marks(result), "hline": 1})
    charts.append({"id": "chart-drawdown", "x": x, "xKind": "time", "xLabel": "date",
                   "yLabel": "drawdown %", "height": 220, "series": dd,
                   "marks": fold_marks(result)})
    return ('<h3>Equity</h3><div class="chart" id="chart-equity"></div>'
            '<h3>Drawdown</h3><div class="chart" id="chart-drawdown"></div>')
