"""HTML pages of finished runs; the only module that writes HTML.

- :func:`render` writes ``report.html`` into a run directory, from that directory alone
  (``forecast report RUN_DIR`` calls it again on an old run);
- :func:`render_index` writes ``index.html`` listing every run under a folder, newest first;
- :func:`render_compare` writes one page comparing several runs model by model.

Every page is one file that opens offline and asks no other host for anything: the charts
are drawn by uPlot (MIT, vendored in ``forecast/static/``), whose JavaScript and CSS are
embedded together with ``report.js`` (our glue) and the numbers, as one JSON block. Every
piece of user text (experiment, ticker, model and indicator names, paths, versions) goes
through :func:`esc`; the JSON block has ``<`` escaped so no text can close its ``<script>``.
Sections whose data a run does not hold (significance, trading, seed spreads) are left out.
"""
from __future__ import annotations

import html
import json
import math
import tomllib
from dataclasses import dataclass
from functools import cache
from os.path import relpath
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pandas as pd

from forecast import runs
from forecast.errors import ForecastError
from forecast.files import write_atomic

STATIC = Path(__file__).with_name("static")
ACTUAL = "#111111"        # the real prices
BASELINE = "#8a8a8a"      # naive persistence: the bar every model must clear
BUY_AND_HOLD = "#333333"
PALETTE = ("#1f6fd1", "#d1495b", "#2a9d5c", "#8e5cc7", "#e08a00", "#1aa3b5", "#8c564b",
           "#d45fb0", "#7f8c1f", "#4d4d9e")
ROLLING_DAYS = 21         # about a month of trading days for the rolling error
HIST_BINS = 40

# (key, column title, formatter kind, lower is better?) of the verdict table
VERDICT_COLUMNS = (
    ("rmse", "RMSE", "price", True),
    ("mae", "MAE", "price", True),
    ("mape", "MAPE %", "mape", True),
    ("directional_accuracy", "direction right %", "share", False),
    ("theil_u", "Theil's U", "ratio", True),
    ("wall_seconds", "wall time s", "seconds", None),
    ("params", "parameters", "count", None),
)
TRADING_COLUMNS = (
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


# --- the three pages ---------------------------------------------------------------------


def render(run_dir) -> Path:
    """Write ``report.html`` into ``run_dir`` from its files alone; return its path."""
    run = load(run_dir)
    charts: list[dict] = []
    sections = [
        ("verdict", "Verdict", _verdict(run)),
        ("significance", "Significance", _significance(run)),
        ("prices", "Actual and predicted prices", _prices(run, charts)),
        ("errors", "Where the errors were", _errors(run, charts)),
        ("training", "Training", _training(run, charts)),
        ("cost", "Cost against accuracy", _cost(run, charts)),
        ("trading", "Trading on the forecasts", _trading(run, charts)),
        ("audit", "Leak audit", _audit(run)),
        ("setup", "Run details", _details(run)),
    ]
    m = run.metrics
    body = _header(run) + "".join(f'<section id="{key}"><h2>{title}</h2>{content}</section>'
                                  for key, title, content in sections if content)
    nav = "".join(f'<a href="#{key}">{title}</a>' for key, title, content in sections
                  if content)
    page = _page(f"{m.get('experiment', 'run')} · {m.get('ticker', '')}", body, charts,
                 nav=f"<nav>{nav}</nav>")
    return write_atomic(run.path / "report.html", page)


def render_index(root="reports") -> Path:
    """Write ``index.html`` into ``root`` listing every run under it, newest first."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    rows = []
    for d in runs.find(root):
        link = quote(d.relative_to(root).as_posix())
        try:
            m = json.loads((d / "metrics.json").read_text(encoding="utf-8"))
            rows.append(_index_row(m, link, (d / "report.html").is_file()))
        except (OSError, ValueError, KeyError, TypeError) as e:
            # one damaged run must not hide the others
            rows.append(f'<tr><td class="text"><a href="{link}/">{esc(d.name)}</a></td>'
                        f'<td class="text fail" colspan="9">damaged run: {esc(e)}</td></tr>')
    head = ("<tr><th class=text>created</th><th class=text>experiment</th>"
            "<th class=text>ticker</th><th class=text>prices</th><th>folds</th>"
            "<th class=text>best model</th><th>RMSE</th><th>naive RMSE</th>"
            "<th class=text>Theil's U (below 1 beats naive)</th><th class=text>files</th></tr>")
    table = (f'<div class="scroll"><table id="runs">{head}{"".join(rows)}</table></div>'
             if rows else "<p>No runs yet: <code>forecast run EXPERIMENT.toml</code> adds one.</p>")
    body = (f"<h1>Runs</h1><p class=sub>{len(rows)} run{'s' if len(rows) != 1 else ''} in "
            f"{esc(root.resolve())}, newest first. Compare runs with <code>forecast compare "
            f"RUN_DIR RUN_DIR ...</code>.</p>{table}")
    return write_atomic(root / "index.html", _page("forecast runs", body, []))


def render_compare(run_dirs, output_path="reports/compare.html") -> Path:
    """Write one page comparing the runs in ``run_dirs`` model by model; return its path.

    Runs of other tickers have errors in other price units: the page ranks them by
    Theil's U (RMSE relative to naive persistence), which is comparable across tickers.
    """
    if not run_dirs:
        raise ForecastError("compare needs at least one run directory")
    output = Path(output_path)
    output.parent.mkdir(parents=True, exist_ok=True)
    loaded = [load(d, predictions=False) for d in run_dirs]
    charts: list[dict] = []
    body = (f"<h1>Comparison of {len(loaded)} runs</h1>"
            "<p class=sub>Errors in price units are comparable only between runs of the same "
            "ticker and period; Theil's U (RMSE / RMSE of naive persistence, below 1 beats "
            "it) is comparable across all.</p>"
            + _compare_runs(loaded, output) + _compare_models(loaded, charts))
    return write_atomic(output, _page("forecast comparison", body, charts))


def render_sweep_summary(summary: dict, output_path) -> Path:
    """Write the page of a sweep (``summary.json`` of :mod:`forecast.sweep`); return its path.

    One row per run: its ticker and grid settings, status, time and each model's Theil's U
    (DM p-value and Sharpe ratio beside it when recorded), linked to the run's report. While
    runs are left the page reloads itself every 30 s.
    """
    output = Path(output_path)
    output.parent.mkdir(parents=True, exist_ok=True)
    entries = [r for r in summary.get("runs", []) if isinstance(r, dict)]
    models = summary.get("models") or list(dict.fromkeys(
        n for r in entries for n in r.get("models") or {}))
    keys = list(dict.fromkeys(k for r in entries for k in r.get("settings") or {}))
    c = summary.get("counts") or {}
    head = ("<tr><th>#</th><th class=text>ticker</th>"
            + "".join(f"<th class=text>{esc(k)}</th>" for k in keys)
            + "<th class=text>status</th><th>seconds</th>"
            + "".join(f"<th>{esc(n)}</th>" for n in models) + "</tr>")
    rows = []
    for i, r in enumerate(entries, 1):
        heads = r.get("models") or {}
        best = _best({n: e for n, e in heads.items() if n != "naive"}, "theil_u")
        status = esc(r.get("status", "?"))
        if r.get("report") and r.get("status") == "done":
            status = f'<a href="{quote(str(r["report"]))}">report</a>'
        elif r.get("error"):
            status = f'<span class="fail">{status}</span>: {esc(r["error"])}'
        cells = "".join(_sweep_cell(heads.get(n), n == best, n == "naive") for n in models)
        rows.append(f'<tr data-key="{esc(r.get("key", ""))}"><td>{i}</td>'
                    f'<td class="text">{esc(r.get("ticker", "?"))}</td>'
                    + "".join(f'<td class="text">{esc(_plain((r.get("settings") or {}).get(k)))}'
                              "</td>" for k in keys)
                    + f'<td class="text">{status}</td><td>{_fmt(r.get("seconds"), "ratio1")}'
                    f"</td>{cells}</tr>")
    charts: list[dict] = []
    done = [(i, r) for i, r in enumerate(entries, 1) if r.get("models")]
    chart = ""
    if done:
        colors = _colors(dict.fromkeys(models))
        labels = [f"#{i} {r.get('ticker', '?')}" for i, r in done]
        charts.append({"id": "chart-sweep", "x": list(range(len(done))), "xKind": "category",
                       "xTicks": labels, "xLabel": "run", "yLabel": "Theil's U", "height": 300,
                       "hline": 1, "series": [
                           _line(n, [_num((r["models"].get(n) or {}).get("theil_u"))
                                     for _, r in done], colors[n], 4, paths="none")
                           for n in models]})
        chart = ('<div class="chart" id="chart-sweep"></div><p class=note>Theil\'s U of every '
                 "model in every finished run: below the line at 1 a model beats naive "
                 "persistence.</p>")
    facts = [("command", f"<code>{esc(' '.join(map(str, summary.get('command') or [])))}</code>"),
             ("runs", esc(f"{c.get('done', 0)} of {c.get('runs', len(entries))} finished, "
                          f"{c.get('failed', 0)} failed, {c.get('left', 0)} left "
                          f"({c.get('skipped', 0)} reused from before)")),
             ("executor", esc(f"{summary.get('executor', '?')}, {summary.get('workers', '?')} "
                              f"workers, {summary.get('cores', '?')} cores")),
             ("started", esc(summary.get("started", "?"))),
             ("updated", esc(summary.get("updated", "?")))]
    body = (f"<h1>Sweep {esc(summary.get('sweep', ''))}</h1>"
            '<dl class="facts">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)
            + f'</dl>{chart}<h2>Runs</h2><div class="scroll"><table id="sweep-table">{head}'
            f'{"".join(rows)}</table></div><p class=note>Each model: Theil\'s U (bold: the '
            "best network of the run), then the Diebold-Mariano p-value against naive and the "
            "Sharpe ratio of trading on it when recorded.</p>")
    refresh = '<meta http-equiv="refresh" content="30">' if c.get("left") else ""
    return write_atomic(output, _page(f"sweep {summary.get('sweep', '')}", body, charts,
                                      head=refresh))


def _sweep_cell(h, best: bool, reference: bool) -> str:
    if not isinstance(h, dict):
        return "<td>–</td>"
    u, sd = _num(h.get("theil_u")), h.get("theil_u_std")
    cls = "" if reference or not math.isfinite(u) else "ok" if u < 1 else "fail"
    extra = []
    if h.get("dm_pvalue") is not None:
        extra.append(f"p {_fmt(h['dm_pvalue'], 'p')}")
    if h.get("sharpe") is not None:
        extra.append(f"Sharpe {_fmt(h['sharpe'], 'ratio2')}")
    return (f'<td{" class=win" if best else ""} data-value="{esc(repr(u))}">'
            f'<span class="{cls}">{_fmt(u, "ratio")}</span>'
            + (f'<span class="note"> ± {_fmt(sd, "ratio")}</span>' if sd is not None else "")
            + (f'<br><span class="note">{" · ".join(extra)}</span>' if extra else "")
            + "</td>")


# --- reading a run -----------------------------------------------------------------------


@dataclass
class Run:
    """What a run directory holds, as the report reads it."""
    path: Path
    metrics: dict
    predictions: pd.DataFrame | None
    equity: pd.DataFrame | None
    config_text: str | None   # experiment.toml as written
    config: dict              # experiment.toml parsed ({} when absent or unreadable)

    @property
    def models(self) -> dict:
        return self.metrics.get("models", {})

    def is_baseline(self, name) -> bool:
        """Baselines (naive persistence, drift) train no weights and run without a seed."""
        return not self.models.get(name, {}).get("seeds")


def load(run_dir, *, predictions=True) -> Run:
    """Read a run directory (``predictions=False`` skips predictions.csv and equity.csv)."""
    return view(runs.load(run_dir, predictions=predictions))


def view(result) -> Run:
    """The report's view of a :class:`forecast.result.Result`."""
    from forecast.config import to_toml
    written = result.path / "experiment.toml" if result.path else None
    text = (written.read_text(encoding="utf-8") if written and written.is_file()
            else to_toml(result.experiment))
    p = result.predictions if len(result.predictions) else None
    try:
        cfg = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        cfg = {}
    return Run(result.path, result.metrics, p, result.equity, text, cfg)


# --- sections of a run's report ----------------------------------------------------------


def _header(run: Run) -> str:
    m, d = run.metrics, run.metrics.get("data", {})
    source = esc(m.get("source", "?"))
    csv = run.config.get("data", {}).get("csv")
    if csv:
        source += f" <code>{esc(csv)}</code>"
    return (f"<h1>{esc(m.get('experiment', 'run'))}</h1>"
            f"<p class=sub><b>{esc(m.get('ticker', '?'))}</b> · {source} · prices "
            f"{esc(d.get('start', '?'))} to {esc(d.get('end', '?'))} · run "
            f"{esc(m.get('run_id', run.path.name))}</p>" + _facts(run))


def _facts(run: Run) -> str:
    m, d = run.metrics, run.metrics.get("data", {})
    p = run.predictions
    tested = "not recorded"
    if p is not None and len(p):
        tested = (f"{p.date.min():%Y-%m-%d} to {p.date.max():%Y-%m-%d}, "
                  f"{p.date.nunique():,} days in {len(m.get('folds', [])) or p.fold.nunique()} "
                  "folds")
    seeds = m.get("seeds") or []
    versions = m.get("versions")
    split, training = run.config.get("split", {}), run.config.get("training", {})
    facts = [
        ("ticker, source", f"{esc(m.get('ticker', '?'))}, {esc(m.get('source', '?'))}"
         + (f", <code>{esc(run.config['data']['csv'])}</code>"
            if run.config.get("data", {}).get("csv") else "")),
        ("prices", f"{esc(d.get('start', '?'))} to {esc(d.get('end', '?'))}, "
                   f"{_count(d.get('rows'))} days ({_count(d.get('warmup_rows'))} warm-up "
                   "rows dropped)"),
        ("tested on", esc(tested)),
        ("data sha256", f"<code>{esc(d.get('sha256', 'not recorded'))}</code>"),
        ("inputs", f"{esc(', '.join(map(str, m.get('features', []))))}; "
                   f"{esc(m.get('lookback', '?'))}-day windows, horizon "
                   f"{esc(m.get('horizon', '?'))}, target {esc(m.get('target', '?'))}, "
                   f"refit {esc(m.get('refit', '?'))}"),
        ("folds, training", esc(", ".join(
            f"{k} {v}" for k, v in [("window", split.get("window")),
                                    ("initial training samples", split.get("initial_train")),
                                    ("test folds", split.get("folds")),
                                    ("max epochs", training.get("epochs")),
                                    ("batch", training.get("batch_size")),
                                    ("patience", training.get("patience"))] if v is not None)
            or "not recorded") + ' (<a href="#setup">full configuration</a>)'),
        ("seed", esc(m.get("seed", "?")) + (f" (networks trained once per seed: "
                                            f"{esc(', '.join(map(str, seeds)))})"
                                            if len(seeds) > 1 else "")),
        ("library versions", esc(", ".join(f"{k} {v}" for k, v in versions.items()))
         if isinstance(versions, dict) and versions else "not recorded"),
        ("device", esc(m.get("device", "not recorded"))),
        ("created", esc(m.get("created", "not recorded"))),
    ]
    return ('<dl class="facts">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)
            + "</dl>")


def _verdict(run: Run) -> str:
    models = run.models
    if not models:
        return "<p>This run holds no model results.</p>"
    best = _best(models, "rmse")
    naive = models.get("naive")
    lines, lost = [], True
    if best is None:
        lines.append("No model has a finite RMSE: every forecast failed.")
    elif naive is None:
        lines.append(f"<b>{esc(best)}</b> has the lowest RMSE, "
                     f"{_fmt(models[best]['rmse'], 'price')}. This run has no naive "
                     "persistence to compare with.")
    elif best == "naive":
        lines.append("<b>No model beats naive persistence</b> (“tomorrow = today”): it has "
                     f"the lowest RMSE, {_fmt(naive['rmse'], 'price')}.")
    else:
        lost = False
        gain = 1 - _num(models[best]["rmse"]) / _num(naive["rmse"])
        lines.append(f"<b>{esc(best)}</b> wins: RMSE {_fmt(models[best]['rmse'], 'price')}, "
                     f"{gain:.2%} lower than naive persistence "
                     f"({_fmt(naive['rmse'], 'price')}){_dm_clause(models[best])}.")
    for name, e in models.items():
        if name in ("naive", best) or naive is None:
            continue
        u = _num(e.get("theil_u"))
        if not math.isfinite(u):
            lines.append(f"<b>{esc(name)}</b> has no Theil's U: its forecasts failed.")
        elif u >= 1:
            lines.append(f"<b>{esc(name)}</b> does not beat naive persistence: its RMSE is "
                         f"{_pct_change(u)} higher (Theil's U {_fmt(u, 'ratio')})"
                         f"{_dm_clause(e)}.")
        else:
            lines.append(f"<b>{esc(name)}</b> beats naive persistence by {_pct_change(u)} "
                         f"(Theil's U {_fmt(u, 'ratio')}){_dm_clause(e)}.")
    lines.append(_trading_headline(run))
    findings = leak_findings(run.metrics)
    lines.append("Leak audit: " + ("not possible, the fold dates were not recorded."
                                   if findings is None else
                                   f'<span class="fail">{esc("; ".join(findings))}</span>.'
                                   if findings else "passed (see below)."))
    box = (f'<div class="verdict{" lost" if lost else ""}" id="verdict-text">'
           + "".join(f"<p>{line}</p>" for line in lines if line) + "</div>")
    return box + _metric_table(run) + (
        "<p class=note>RMSE and MAE in price units over all test days; Theil's U is the "
        "RMSE relative to naive persistence (below 1 beats it); wall time is training plus "
        "prediction over all folds; naive persistence forecasts no move, so its direction is "
        "never counted right" + (", ± the standard deviation over seeds" if
                                       _has_std(models) else "") + ".</p>")


def _trading_headline(run: Run) -> str:
    """One line on trading: the best Sharpe ratio against buy-and-hold's ('' without)."""
    traded = {n: e["trading"] for n, e in run.models.items()
              if isinstance(e.get("trading"), dict)}
    bh = run.metrics.get("buy_and_hold")
    best = _best(traded, "sharpe", lower=False)
    if best is None or not isinstance(bh, dict):
        return ""
    s, b = _num(traded[best].get("sharpe")), _num(bh.get("sharpe"))
    return (f"Trading on the forecasts: best Sharpe ratio {_fmt(s, 'ratio2')} "
            f"({esc(best)}), {'above' if s > b else 'below'} buy-and-hold's "
            f"{_fmt(b, 'ratio2')}.")


def _metric_table(run: Run) -> str:
    models = run.models
    best = _best(models, "rmse")
    winners = {key: _best(models, key, lower) for key, _, _, lower in VERDICT_COLUMNS
               if lower is not None}
    head = "".join(f'<th data-key="{key}">{title}</th>' for key, title, _, _ in VERDICT_COLUMNS)
    rows = []
    for name, e in models.items():
        cells = "".join(_cell(e, key, kind, winners.get(key) == name)
                        for key, _, kind, _ in VERDICT_COLUMNS)
        badge = '<span class="badge">best</span>' if name == best else ""
        rows.append(f'<tr data-model="{esc(name)}"{" class=best" if name == best else ""}>'
                    f'<td class="text">{esc(name)}{badge}</td>{cells}</tr>')
    return (f'<div class="scroll"><table id="verdict-table"><tr><th class=text>model</th>'
            f'{head}</tr>{"".join(rows)}</table></div>')


def _significance(run: Run) -> str:
    tested = {n: e for n, e in run.models.items() if "dm_stat" in e and n != "naive"}
    if not tested:
        return ""
    folds = sorted({f["fold"] for e in tested.values() for f in e.get("folds", [])
                    if "dm_pvalue" in f})
    head = ("<tr><th class=text>model</th><th>DM statistic</th><th>p-value</th>"
            "<th class=text>against naive persistence</th>"
            + "".join(f"<th>fold {esc(k)} p</th>" for k in folds) + "</tr>")
    rows = []
    for name, e in tested.items():
        per_fold = {f["fold"]: f for f in e.get("folds", [])}
        cells = "".join(_cell(per_fold.get(k, {}), "dm_pvalue", "p") for k in folds)
        rows.append(f'<tr data-model="{esc(name)}"><td class="text">{esc(name)}</td>'
                    f'{_cell(e, "dm_stat", "ratio2")}{_cell(e, "dm_pvalue", "p")}'
                    f'<td class="text">{_dm_words(e)}</td>{cells}</tr>')
    return (f'<div class="scroll"><table id="significance-table">{head}{"".join(rows)}'
            "</table></div><p class=note>Diebold-Mariano test of equal squared errors against "
            "naive persistence on the same days (Harvey-Leybourne-Newbold correction, "
            "two-sided). A negative statistic means smaller errors than naive; a p-value "
            "below 0.05 means the difference is unlikely to be luck.</p>")


def _prices(run: Run, charts) -> str:
    p = run.predictions
    if p is None or p.empty:
        return "<p>No predictions recorded.</p>"
    dates = np.sort(p.date.unique())
    truth = p.drop_duplicates("date").set_index("date").y_true.reindex(dates)
    dec = _decimals(truth)
    series = [{"label": "actual", "y": _round(truth, dec), "color": ACTUAL, "width": 2}]
    colors = _colors(run.models)
    for name in _model_names(run):
        g = p[p.model == name].groupby("date").y_pred
        series.append(_line(name, g.mean().reindex(dates), colors[name], dec,
                            spread=(g.min().reindex(dates), g.max().reindex(dates))
                            if p[p.model == name].seed.nunique() > 1 else None,
                            dash=[6, 3] if run.is_baseline(name) else None))
    charts.append({"id": "chart-prices", "x": _epoch(dates), "xKind": "time", "xLabel": "date",
                   "yLabel": "price", "height": 380, "series": series, "marks": _fold_marks(run)})
    return ('<div class="chart" id="chart-prices"></div><p class=note>Every test day of every '
            "fold; dashed lines mark where each fold's test period starts. Drag to zoom, "
            "double-click to zoom out, click a legend entry to hide a series."
            + (" Shaded: the range over seeds." if _several_seeds(p) else "") + "</p>")


def _errors(run: Run, charts) -> str:
    p = run.predictions
    if p is None or p.empty:
        return ""
    return _fold_errors(run, charts) + _rolling_errors(run, charts) + _distribution(run, charts)


def _fold_errors(run: Run, charts) -> str:
    names = _model_names(run)
    folds = run.metrics.get("folds") or [{"fold": k} for k in sorted(run.predictions.fold.unique())]
    per = {n: {f["fold"]: f for f in run.models[n].get("folds", [])} for n in names}
    colors = _colors(run.models)
    series = []
    for n in names:
        rmse = [_num(per[n].get(f["fold"], {}).get("rmse")) for f in folds]
        sd = [_num(per[n].get(f["fold"], {}).get("rmse_std")) for f in folds]
        spread = None
        if any(np.isfinite(sd)):
            spread = (np.subtract(rmse, sd), np.add(rmse, sd))
        series.append(_line(n, rmse, colors[n], 4, spread=spread,
                            dash=[6, 3] if run.is_baseline(n) else None))
    charts.append({"id": "chart-folds", "x": list(range(len(folds))), "xKind": "category",
                   "xTicks": [f"fold {f['fold']}" for f in folds], "xLabel": "fold",
                   "yLabel": "RMSE", "height": 280, "series": series})
    head = ("<tr><th class=text>fold</th><th class=text>test days</th>"
            + "".join(f'<th>{esc(n)}</th>' for n in names) + "</tr>")
    rows = []
    for f in folds:
        entries = {n: per[n].get(f["fold"], {}) for n in names}
        win = _best(entries, "rmse")
        span = (f"{esc(f.get('test_start', '?'))} to {esc(f.get('test_end', '?'))}"
                f" ({_count(f.get('n_test'))})" if "test_start" in f else "")
        cells = "".join(
            f'<td{" class=win" if n == win else ""}>{_fmt(e.get("rmse"), "price")}'
            f'<span class="note"> U {_fmt(e.get("theil_u"), "ratio")}</span></td>'
            for n, e in entries.items())
        rows.append(f'<tr><td class="text">{esc(f["fold"])}</td><td class="text">{span}</td>'
                    f"{cells}</tr>")
    return ('<h3>Error per fold</h3><div class="chart" id="chart-folds"></div>'
            f'<div class="scroll"><table id="fold-table">{head}{"".join(rows)}</table></div>'
            "<p class=note>RMSE per fold (U: Theil's U in that fold; bold: the lowest RMSE)."
            + (" Shaded: ± one standard deviation over seeds." if _has_std(run.models) else "")
            + "</p>")


def _rolling_errors(run: Run, charts) -> str:
    p = run.predictions.assign(sq=lambda d: (d.y_pred - d.y_true) ** 2)
    dates = np.sort(p.date.unique())
    colors = _colors(run.models)
    series = []
    for n in _model_names(run):
        sq = p[p.model == n].groupby("date").sq.mean().reindex(dates)
        roll = np.sqrt(sq.rolling(ROLLING_DAYS, min_periods=ROLLING_DAYS).mean())
        series.append(_line(n, roll, colors[n], _decimals(roll),
                            dash=[6, 3] if run.is_baseline(n) else None))
    charts.append({"id": "chart-rolling", "x": _epoch(dates), "xKind": "time", "xLabel": "date",
                   "yLabel": f"RMSE, {ROLLING_DAYS} days", "height": 280, "series": series,
                   "marks": _fold_marks(run)})
    return (f'<h3>Error over time</h3><div class="chart" id="chart-rolling"></div>'
            f"<p class=note>RMSE over the last {ROLLING_DAYS} trading days: where the models "
            "missed most.</p>")


def _distribution(run: Run, charts) -> str:
    p = run.predictions
    names = _model_names(run)
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
    dec = _decimals(edges)
    colors = _colors(run.models)
    series, rows = [], []
    for n in names:
        e = err[n][np.isfinite(err[n])]
        share = np.histogram(np.clip(e, lo, hi), edges)[0] / max(len(e), 1) * 100
        series.append(_line(n, np.append(share, share[-1]), colors[n], 3, paths="step",
                            dash=[6, 3] if run.is_baseline(n) else None))
        miss = p[p.model == n].assign(a=lambda d: (d.y_pred - d.y_true).abs())
        worst = miss.loc[miss.a.idxmax()] if len(miss) else None
        q5, q50, q95 = np.percentile(e, [5, 50, 95]) if len(e) else (np.nan,) * 3
        rows.append(f'<tr><td class="text">{esc(n)}</td>'
                    + "".join(f"<td>{_fmt(v, 'price')}</td>" for v in
                              (e.mean() if len(e) else np.nan, e.std() if len(e) else np.nan,
                               q5, q50, q95))
                    + (f"<td>{_fmt(worst.a, 'price')}</td><td class=text>{worst.date:%Y-%m-%d}"
                       f"</td>" if worst is not None else "<td></td><td></td>") + "</tr>")
    charts.append({"id": "chart-errors", "x": _round(edges, dec), "xKind": "linear",
                   "xLabel": "forecast - actual", "yLabel": "% of days", "height": 280,
                   "series": series, "hline": None})
    return ('<h3>Distribution of errors</h3><div class="chart" id="chart-errors"></div>'
            '<div class="scroll"><table id="error-table"><tr><th class=text>model</th>'
            "<th>mean (bias)</th><th>std</th><th>5%</th><th>median</th><th>95%</th>"
            f'<th>largest miss</th><th class=text>on</th></tr>{"".join(rows)}</table></div>'
            "<p class=note>Forecast minus actual price, all test days (and seeds); the outer "
            "bins hold the most extreme 1%.</p>")


def _training(run: Run, charts) -> str:
    parts = []
    for i, name in enumerate(n for n in _model_names(run) if not run.is_baseline(n)):
        folds = [f for f in run.models[name].get("folds", []) if f.get("history", {}).get("loss")]
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
                    series.append(_line(f"fold {f['fold']} {label}", values, color, 5,
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


def _cost(run: Run, charts) -> str:
    models = run.models
    floor = 1e-3  # baselines take microseconds: a log axis needs a floor
    order = sorted(models, key=lambda n: _num(models[n].get("wall_seconds")))
    xs, series = [], []
    colors = _colors(models)
    for i, n in enumerate(order):
        wall = _num(models[n].get("wall_seconds"))
        # equal times would collide on the x axis; nudge them apart invisibly
        xs.append(max(wall if np.isfinite(wall) else floor, floor) * (1 + 1e-6 * i))
    for n in order:
        y = [None] * len(order)
        y[order.index(n)] = _num(models[n].get("rmse"))
        series.append(_line(n, y, colors[n], 4, paths="none"))
    charts.append({"id": "chart-cost", "x": [float(f"{x:.9g}") for x in xs], "xKind": "log",
                   "xLabel": "wall time s (log)", "yLabel": "RMSE", "height": 300,
                   "series": series, "pointLabels": True})
    return ('<div class="chart" id="chart-cost"></div><p class=note>Training plus prediction '
            "time over all folds against the RMSE over all test days: down and to the left is "
            "better. Times under 1 ms are drawn at 1 ms.</p>")


def _trading(run: Run, charts) -> str:
    m = run.metrics
    traded = {n: e["trading"] for n, e in run.models.items() if isinstance(e.get("trading"), dict)}
    bh = m.get("buy_and_hold") if isinstance(m.get("buy_and_hold"), dict) else None
    if not traded and bh is None and run.equity is None:
        return ""
    out = []
    if traded or bh:
        rows = dict(traded)
        if bh:
            rows["buy_and_hold"] = bh
        winners = {key: _best(rows, key, lower) for key, _, _, lower in TRADING_COLUMNS
                   if lower is not None}
        head = "".join(f"<th>{t}</th>" for _, t, _, _ in TRADING_COLUMNS)
        body = "".join(
            f'<tr data-model="{esc(n)}"><td class="text">{esc(_strategy(n))}</td>'
            + "".join(_cell(e, key, kind, winners.get(key) == n)
                      for key, _, kind, _ in TRADING_COLUMNS) + "</tr>"
            for n, e in rows.items())
        out.append(f'<div class="scroll"><table id="trading-table"><tr><th class=text>strategy'
                   f"</th>{head}</tr>{body}</table></div>")
        if bh and traded:
            bar = _num(bh.get("sharpe"))
            better = [n for n, e in traded.items() if _num(e.get("sharpe")) > bar]
            out.append(f"<p>Sharpe ratio above buy-and-hold's ({_fmt(bar, 'ratio2')}): "
                       f"{esc(', '.join(better))}.</p>" if better else
                       "<p>No strategy has a higher Sharpe ratio than buy-and-hold "
                       f"({_fmt(bar, 'ratio2')}).</p>")
    settings = m.get("trading") if isinstance(m.get("trading"), dict) else {}
    if run.equity is not None and not run.equity.empty:
        out.append(_equity_charts(run, charts))
    out.append(f"<p class=note>{esc(_trading_rules(settings))}</p>")
    return "".join(out)


def _strategy(name: str) -> str:
    return "buy and hold" if name == "buy_and_hold" else name


def _trading_rules(settings: dict) -> str:
    """The trading rules of a run in words, from its recorded settings."""
    threshold = _num(settings.get("threshold", 0))
    rise = "a rise" if not threshold else f"a return above {threshold:g}"
    fall = "a fall" if not threshold else f"one below {-threshold:g}"
    short = f", short when it forecasts {fall}" if settings.get("long_short") else ""
    words = [f"Long when a model forecasts {rise}{short}, flat otherwise; buy-and-hold is "
             "long every test day."]
    if "cost_bps" in settings:
        words.append(f"Each change of position costs {_num(settings['cost_bps']):g} basis "
                     "points per unit traded.")
    trials = settings.get("n_trials")
    words.append("Deflated Sharpe: the probability that the Sharpe ratio beats the best that "
                 + (f"{trials} " if trials else "as many ") + "skill-less strategies (every "
                 "model and seed of this run) would show by luck; near 1 is unlikely luck.")
    return " ".join(words)


def _equity_charts(run: Run, charts) -> str:
    q = run.equity
    dates = np.sort(q.date.unique())
    names = [n for n in q.model.unique() if n != "buy_and_hold"]
    colors = _colors(run.models)  # the colours of the other charts
    extra = iter(PALETTE[len(colors) % len(PALETTE):] + PALETTE)
    eq, dd = [], []
    for n in names + (["buy_and_hold"] if "buy_and_hold" in set(q.model) else []):
        rows = q[q.model == n]
        g = rows.groupby("date")
        bh = n == "buy_and_hold"
        color = BUY_AND_HOLD if bh else colors.get(n) or next(extra)
        dash = [8, 4] if bh else None
        label = _strategy(n)
        spread = None
        if rows.seed.nunique() > 1:
            spread = (g.equity.min().reindex(dates), g.equity.max().reindex(dates))
        eq.append(_line(label, g.equity.mean().reindex(dates), color, 4, dash=dash,
                        spread=spread))
        dd.append(_line(label, g.drawdown.mean().reindex(dates) * 100, color, 2, dash=dash))
    x = _epoch(dates)
    charts.append({"id": "chart-equity", "x": x, "xKind": "time", "xLabel": "date",
                   "yLabel": "value of 1 invested", "height": 320, "series": eq,
                   "marks": _fold_marks(run), "hline": 1})
    charts.append({"id": "chart-drawdown", "x": x, "xKind": "time", "xLabel": "date",
                   "yLabel": "drawdown %", "height": 220, "series": dd,
                   "marks": _fold_marks(run)})
    return ('<h3>Equity</h3><div class="chart" id="chart-equity"></div>'
            '<h3>Drawdown</h3><div class="chart" id="chart-drawdown"></div>')


def leak_findings(metrics: dict) -> list[str] | None:
    """What the leak audit of a run found: [] when nothing, None when it cannot tell.

    A fold leaks when its scalers, its training or its early stopping read a day on or
    after the first test day; an indicator leaks when it failed the causality check.
    """
    folds = metrics.get("folds") or []
    if not folds:
        return None
    found = []
    for f in folds:
        fitted = [f.get(k) for k in ("scaler_end", "train_end", "validation_end")]
        # ISO dates compare as strings
        if not (all(isinstance(v, str) for v in fitted)
                and max(fitted) < str(f.get("test_start", ""))):
            found.append(f"fold {f.get('fold')} was fitted on days of its test period")
    for name, result in ((metrics.get("audit") or {}).get("indicators") or {}).items():
        if str(result).lower() != "passed":
            found.append(f"indicator {name} failed the causality check")
    return found


def _audit(run: Run) -> str:
    m = run.metrics
    folds = m.get("folds") or []
    audit = m.get("audit") or {}
    indicators = audit.get("indicators") or {}
    failed = [k for k, v in indicators.items() if str(v).lower() != "passed"]
    findings = leak_findings(m)
    rows = []
    for f in folds:
        ok = not any(x.startswith(f"fold {f.get('fold')} ") for x in findings or [])
        rows.append(
            f'<tr><td class="text">{esc(f.get("fold"))}</td>'
            f'<td class="date">{_span(f, "scaler")}</td><td class="date">{_span(f, "train")}</td>'
            f'<td class="date">{_span(f, "validation")}</td>'
            f'<td class="date">{_span(f, "test")}</td><td>{_count(f.get("n_train"))}</td>'
            f'<td>{_count(f.get("n_test"))}</td>'
            + ('<td class="ok">ok</td></tr>' if ok else '<td class="fail">OVERLAP</td></tr>'))
    if findings is None:
        summary = ('<p class="fail" id="audit-summary">The fold date ranges were not '
                   "recorded: this run cannot be audited.</p>")
    elif findings:
        summary = (f'<p class="fail" id="audit-summary">Possible leak: '
                   f'{esc("; ".join(findings))}.</p>')
    else:
        summary = ('<p class="ok" id="audit-summary">No leak found: in every fold the scalers '
                   "and the models were fitted on days before the test period, and every "
                   "indicator passed the causality check.</p>")
    table = ("" if not rows else
             '<div class="scroll"><table id="audit-table"><tr><th class=text>fold</th>'
             "<th class=text>scalers fitted on</th><th class=text>models trained on</th>"
             "<th class=text>early stopping on</th><th class=text>tested on</th>"
             "<th>training samples</th><th>test days</th>"
             "<th class=text>fitted before test</th></tr>"
             + "".join(rows) + "</table></div>")
    ind = "".join(f'<tr><td class="text">{esc(k)}</td><td class="text '
                  f'{"ok" if k not in failed else "fail"}">{esc(v)}</td></tr>'
                  for k, v in indicators.items())
    ind_table = ('<h3>Indicator causality</h3><table id="causality-table"><tr><th class=text>'
                 "indicator</th><th class=text>value at t unchanged when later days are "
                 f"removed</th></tr>{ind}</table>" if ind else
                 "<p>No indicators: the inputs are prices only.</p>")
    notes = "".join(f"<li>{esc(k.replace('_', ' '))}: {esc(v)}</li>" for k, v in audit.items()
                    if k != "indicators" and isinstance(v, str))
    return (summary + table + ("<p class=note>Dates are the days whose prices each step "
                               "read (targets included).</p>" if rows else "")
            + ind_table + (f"<ul class=note>{notes}</ul>" if notes else ""))


def _details(run: Run) -> str:
    m = run.metrics
    repairs = m.get("repairs") or []
    out = []
    if repairs:
        out.append("<h3>Data repairs</h3><ul>" + "".join(f"<li>{esc(r)}</li>" for r in repairs)
                   + "</ul>")
    if run.config_text is not None:
        out.append(f"<h3>Configuration (experiment.toml)</h3><pre>{esc(run.config_text)}</pre>")
    else:
        out.append("<p>experiment.toml was not recorded.</p>")
    out.append("<p class=note>Files of this run: <a href=metrics.json>metrics.json</a>, "
               "<a href=predictions.csv>predictions.csv</a>, <a href=experiment.toml>"
               "experiment.toml</a>. Re-render this page with <code>forecast report "
               "RUN_DIR</code>.</p>")
    return "".join(out)


# --- the index and the comparison --------------------------------------------------------


def _index_row(m: dict, link: str, has_report: bool) -> str:
    models = m.get("models", {})
    best = _best(models, "rmse") if models else None
    naive = models.get("naive", {})
    others = {n: _num(e.get("theil_u")) for n, e in models.items() if n != "naive"}
    theil = "<br>".join(f'<span class="{"ok" if u < 1 else "fail"}">{esc(n)} {_fmt(u, "ratio")}'
                      "</span>" for n, u in others.items())
    d = m.get("data", {})
    target = f"{link}/report.html" if has_report else f"{link}/metrics.json"
    when = str(m.get("created", m.get("run_id", "?"))).replace("T", " ")
    return (f'<tr><td class="text"><a href="{target}">{esc(when)}</a></td>'
            f'<td class="text">{esc(m.get("experiment", "?"))}</td>'
            f'<td class="text">{esc(m.get("ticker", "?"))}</td>'
            f'<td class="date">{esc(d.get("start", "?"))} to {esc(d.get("end", "?"))}</td>'
            f'<td>{len(m.get("folds", []))}</td>'
            f'<td class="text">{esc(best)}</td>'
            f'<td>{_fmt(models.get(best, {}).get("rmse"), "price")}</td>'
            f'<td>{_fmt(naive.get("rmse"), "price")}</td>'
            + f'<td class="text">{theil or "–"}</td>'
            f'<td class="text"><a href="{target}">report</a> · '
            f'<a href="{link}/metrics.json">metrics</a> · '
            f'<a href="{link}/predictions.csv">predictions</a></td></tr>')


def _compare_runs(loaded: list[Run], output: Path) -> str:
    flat = [_flatten(r.config) for r in loaded]
    keys = sorted({k for f in flat for k in f})
    shown = {"name", "data.ticker"}  # already in their own columns
    differ = [k for k in keys if k not in shown and len(
        {json.dumps(f.get(k), sort_keys=True, default=str) for f in flat}) > 1]
    head = ("<tr><th>#</th><th class=text>experiment</th><th class=text>ticker</th>"
            "<th class=text>prices</th><th class=text>run</th>"
            + "".join(f"<th class=text>{esc(k)}</th>" for k in differ) + "</tr>")
    rows = []
    for i, (r, f) in enumerate(zip(loaded, flat), 1):
        m, d = r.metrics, r.metrics.get("data", {})
        target = r.path / "report.html"
        href = quote(Path(relpath(target.resolve(), output.parent.resolve())).as_posix())
        rows.append(f'<tr><td>{i}</td><td class="text">{esc(m.get("experiment", "?"))}</td>'
                    f'<td class="text">{esc(m.get("ticker", "?"))}</td>'
                    f'<td class="date">{esc(d.get("start", "?"))} to '
                    f'{esc(d.get("end", "?"))}</td><td class="date"><a href="{href}">'
                    f'{esc(m.get("run_id", r.path.name))}</a></td>'
                    + "".join(f'<td class="text">{esc(_plain(f.get(k)))}</td>' for k in differ)
                    + "</tr>")
    note = ("" if differ else "<p class=note>The runs have the same settings.</p>")
    return (f'<h2>Runs</h2><div class="scroll"><table id="compare-runs">{head}{"".join(rows)}'
            f"</table></div>{note}" + ("<p class=note>Columns after “run”: the settings that "
                                       "differ between runs.</p>" if differ else ""))


def _compare_models(loaded: list[Run], charts) -> str:
    names = list(dict.fromkeys(n for r in loaded for n in r.models))
    colors = _colors(dict.fromkeys(names))
    labels = [f"#{i} {r.metrics.get('ticker', '?')}" for i, r in enumerate(loaded, 1)]
    series = [_line(n, [_num(r.models.get(n, {}).get("theil_u")) for r in loaded],
                    colors[n], 4, paths="none") for n in names]
    charts.append({"id": "chart-compare", "x": list(range(len(loaded))), "xKind": "category",
                   "xTicks": labels, "xLabel": "run", "yLabel": "Theil's U", "height": 300,
                   "series": series, "hline": 1})
    out = ['<h2>Theil\'s U by run</h2><div class="chart" id="chart-compare"></div>'
           "<p class=note>Below the line at 1 a model beats naive persistence.</p>"]
    columns = [(key, title, kind) for key, title, kind, _ in VERDICT_COLUMNS]
    if any("dm_pvalue" in e for r in loaded for e in r.models.values()):
        columns.append(("dm_pvalue", "DM p", "p"))
    if any(isinstance(e.get("trading"), dict) for r in loaded for e in r.models.values()):
        columns.append(("sharpe", "Sharpe", "ratio2"))
    head = "".join(f"<th>{title}</th>" for _, title, _ in columns)
    for n in names:
        entries = {i: r.models[n] for i, r in enumerate(loaded) if n in r.models}
        win = _best(entries, "theil_u") if len(entries) > 1 else None
        rows = []
        for i, e in entries.items():
            e = {**e, "sharpe": (e.get("trading") or {}).get("sharpe")}
            rows.append(f'<tr data-run="{i + 1}"{" class=best" if i == win else ""}>'
                        f'<td>{i + 1}</td><td class="text">'
                        f'{esc(loaded[i].metrics.get("ticker", "?"))}</td>'
                        + "".join(_cell(e, key, kind) for key, _, kind in columns) + "</tr>")
        out.append(f'<h2>{esc(n)}</h2><div class="scroll"><table class="compare-model" '
                   f'data-model="{esc(n)}"><tr><th>#</th><th class=text>ticker</th>{head}</tr>'
                   f'{"".join(rows)}</table></div>')
    return "".join(out)


# --- page, formatting, writing -----------------------------------------------------------


def _page(title: str, body: str, charts: list, nav: str = "", head: str = "") -> str:
    scripts = ""
    if charts:
        scripts = (f'<script type="application/json" id="report-data">'
                   f'{script_json({"charts": charts})}</script>'
                   f"<script>{_static('uPlot.iife.min.js')}</script>"
                   f"<script>{_static('report.js')}</script>")
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<link rel="icon" href="data:,">{head}<title>{esc(title)}</title>'
            f"<style>{_static('uPlot.min.css')}\n{_static('report.css')}</style></head>"
            f"<body>{nav}<main>{body}<p class=note>Written by forecast; charts by uPlot (MIT)."
            f"</p></main>{scripts}</body></html>\n")


@cache
def _static(name: str) -> str:
    text = (STATIC / name).read_text(encoding="utf-8")
    if "</script" in text.lower() or "</style" in text.lower():
        raise ValueError(f"{name} cannot be embedded: it would end its own element")
    return text


def script_json(obj) -> str:
    """``obj`` as JSON that is safe inside ``<script>``: no text can end the element."""
    text = json.dumps(obj, separators=(",", ":"), allow_nan=False, ensure_ascii=False)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def esc(value) -> str:
    """``value`` as text that HTML shows literally (attributes included)."""
    return html.escape(str(value), quote=True)


def _line(label, values, color, decimals, *, spread=None, dash=None, paths=None) -> dict:
    """One chart series; ``spread`` = (low, high) draws a shaded band around it."""
    s = {"label": str(label), "y": _round(values, decimals), "color": color}
    if dash:
        s["dash"] = dash
    if paths:
        s["paths"] = paths
    if spread is not None:
        s["lo"], s["hi"] = _round(spread[0], decimals), _round(spread[1], decimals)
    return s


def _round(values, decimals) -> list:
    """Plain floats rounded to ``decimals`` (small pages), ``None`` where not finite."""
    a = np.asarray(values, dtype="float64")
    r = np.round(a, decimals)
    return [float(v) if math.isfinite(v) else None for v in r.tolist()]


def _decimals(values, significant=6) -> int:
    """Decimals that keep about ``significant`` digits of the largest value."""
    a = np.abs(np.asarray(values, dtype="float64"))
    a = a[np.isfinite(a) & (a > 0)]
    if not len(a):
        return 2
    return int(min(10, max(0, significant - 1 - math.floor(math.log10(a.max())))))


def _epoch(dates) -> list[int]:
    """Dates as seconds since 1970, what uPlot's time axis takes."""
    return pd.DatetimeIndex(dates).values.astype("datetime64[s]").astype("int64").tolist()


def _fold_marks(run: Run) -> list[dict]:
    marks = []
    for f in run.metrics.get("folds") or []:
        if f.get("test_start"):
            marks.append({"x": _epoch([f["test_start"]])[0], "label": f"fold {f['fold']}"})
    return marks


def _model_names(run: Run) -> list[str]:
    present = set(run.predictions.model.unique()) if run.predictions is not None else set()
    return [n for n in run.models if n in present] or sorted(present)


def _colors(models) -> dict:
    """One colour per model, the same in every chart: baselines grey, networks in colour."""
    out, i = {}, 0
    for n in models:
        if n == "naive":
            out[n] = BASELINE
        elif n == "buy_and_hold":
            out[n] = BUY_AND_HOLD
        else:
            out[n] = PALETTE[i % len(PALETTE)]
            i += 1
    return out


def _best(entries: dict, key: str, lower: bool = True):
    """The name whose ``key`` is lowest (or highest); ties go to the first listed."""
    scored = [(v if lower else -v, i, n) for i, (n, e) in enumerate(entries.items())
              if math.isfinite(v := _num(e.get(key)))]
    return min(scored)[2] if scored else None


def _num(v) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def _has_std(models) -> bool:
    return any(k.endswith("_std") for e in models.values() for k in e)


def _several_seeds(p) -> bool:
    return bool((p.groupby("model").seed.nunique() > 1).any())


def _cell(entry: dict, key: str, kind: str, win: bool = False) -> str:
    """A table cell showing ``entry[key]`` (± its ``_std`` sibling); the raw value in
    ``data-value`` so tests and scripts can read the exact number."""
    v = entry.get(key)
    sd = entry.get(f"{key}_std")
    text = _fmt(v, kind) + (f'<span class="note"> ± {_fmt(sd, kind)}</span>'
                            if sd is not None and math.isfinite(_num(sd)) else "")
    raw = "" if v is None else f' data-value="{esc(repr(_num(v)))}"'
    return f'<td data-key="{esc(key)}"{raw}{" class=win" if win else ""}>{text}</td>'


def _fmt(v, kind: str) -> str:
    """A number for people: price-like values keep 4 significant digits, shares show as %."""
    x = _num(v)
    if not math.isfinite(x):
        return "–"
    if kind == "price":
        a = abs(x)
        digits = 1 if a >= 1000 else 2 if a >= 10 else 3 if a >= 1 else 4 if a >= 0.01 else 6
        return f"{x:,.{digits}f}"
    if kind == "share":
        return f"{x * 100:.1f}"
    if kind == "mape":
        return f"{x:.3f}"
    if kind == "ratio":
        return f"{x:.4f}"
    if kind == "ratio2":
        return f"{x:.2f}"
    if kind == "ratio1":
        return f"{x:.1f}"
    if kind == "p":
        return "<0.001" if x < 0.001 else f"{x:.3f}"
    if kind == "seconds":
        return "<0.001" if x < 0.001 else f"{x:.2f}" if x < 10 else f"{x:,.1f}"
    if kind == "count":
        return f"{int(x):,}"
    return esc(v)


def _count(v) -> str:
    return _fmt(v, "count") if v is not None else "?"


def _pct_change(u: float) -> str:
    return f"{abs(u - 1):.2%}"


def _dm_clause(e: dict) -> str:
    p = _num(e.get("dm_pvalue"))
    if not math.isfinite(p):
        return ""
    return (f"; the difference is {'' if p < 0.05 else 'not '}significant at 5% "
            f"(Diebold-Mariano p = {_fmt(p, 'p')})")


def _dm_words(e: dict) -> str:
    stat, p = _num(e.get("dm_stat")), _num(e.get("dm_pvalue"))
    if not (math.isfinite(stat) and math.isfinite(p)):
        return "not testable"
    if p >= 0.05:
        return "no significant difference"
    return ('<span class="ok">significantly more accurate</span>' if stat < 0 else
            '<span class="fail">significantly less accurate</span>')


def _span(f: dict, what: str) -> str:
    start, end = f.get(f"{what}_start"), f.get(f"{what}_end")
    return f"{esc(start)} to {esc(end)}" if start and end else "not recorded"


def _flatten(d: dict, prefix="") -> dict:
    """Nested settings as dotted keys (``training.epochs``); ``models`` lists the names."""
    out = {}
    if not prefix and isinstance(d.get("models"), dict):
        out["models"] = ", ".join(d["models"])
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def _plain(v) -> str:
    if v is None:
        return "–"
    if isinstance(v, (list, tuple)):
        return ", ".join(_plain(x) for x in v)
    if isinstance(v, dict):
        return ", ".join(f"{k}={_plain(x)}" for k, x in v.items())
    return str(v)
