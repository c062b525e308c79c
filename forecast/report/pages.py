"""The pages about several runs: the index of a folder, a comparison, a sweep's summary."""
from __future__ import annotations

import json
import math
import tomllib
from os.path import relpath
from pathlib import Path
from urllib.parse import quote

import pandas as pd

from forecast import runs
from forecast.errors import ForecastError
from forecast.files import one_at_a_time, write_atomic
from forecast.report.markup import (best, cell, colors, esc, facts, fmt, line, num, page,
                                    plain)
from forecast.report.sections.common import experiment_text, row
from forecast.report.sections.details import run_name
from forecast.report.sections.verdict import COLUMNS as VERDICT_COLUMNS
from forecast.result import Result

# compare_table's columns after run, experiment, ticker, source, model
TABLE_SCORES = ("theil_u", "rmse", "mae", "mape", "directional_accuracy", "sharpe",
                "wall_seconds", "params", "dm_pvalue")


# --- the index ---------------------------------------------------------------------------


@one_at_a_time(".index.lock")  # runs finishing at once: the last index lists them all
def render_index(root="reports") -> Path:
    """Write ``index.html`` into ``root`` listing every run under it, newest first."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    rows = []
    for d in runs.find(root):
        link = quote(d.relative_to(root).as_posix())
        try:
            result = runs.load(d, predictions=False)
            rows.append(_index_row(result, link, (d / "report.html").is_file()))
        except (ForecastError, OSError, ValueError, KeyError, TypeError) as e:
            # one damaged run must not hide the others
            rows.append(f'<tr><td class="text"><a href="{link}/">{esc(d.name)}</a></td>'
                        f'<td class="text fail" colspan="10">damaged run: {esc(e)}</td></tr>')
    head = ("<tr><th class=text>created</th><th class=text>experiment</th>"
            "<th class=text>ticker</th><th class=text>source</th><th class=text>prices</th>"
            "<th>folds</th>"
            "<th class=text>best model</th><th>RMSE</th><th>naive RMSE</th>"
            "<th class=text>Theil's U (below 1 beats naive)</th><th class=text>files</th></tr>")
    table = (f'<div class="scroll"><table id="runs">{head}{"".join(rows)}</table></div>'
             if rows else
             "<p>No runs yet: <code>forecast run EXPERIMENT.toml</code> adds one.</p>")
    body = (f"<h1>Runs</h1><p class=sub>{len(rows)} run{'s' if len(rows) != 1 else ''} in "
            f"{esc(root.resolve())}, newest first. Compare runs with <code>forecast compare "
            f"RUN_DIR RUN_DIR ...</code>.</p>{table}")
    return write_atomic(root / "index.html", page("forecast runs", body, []))


def source_of(result: Result) -> str:
    """Where a run's prices came from, as the index and the comparison show it beside the
    ticker: ``sample``, ``yahoo``, or ``csv`` and the file's name."""
    source = result.data.source or result.experiment.data.source or "?"
    csv = result.data.csv or result.experiment.data.csv
    return f"csv {Path(str(csv)).name}" if source == "csv" and csv else source


def _index_row(result: Result, link: str, has_report: bool) -> str:
    scores = {n: m.scores for n, m in result.models.items()}
    top = best(scores, "rmse") if scores else None
    naive = scores.get("naive", {})
    others = {n: num(e.get("theil_u")) for n, e in scores.items() if n != "naive"}
    theil = "<br>".join(f'<span class="{"ok" if u < 1 else "fail"}">{esc(n)} {fmt(u, "ratio")}'
                        "</span>" for n, u in others.items())
    d = result.data
    target = f"{link}/report.html" if has_report else f"{link}/metrics.json"
    when = str(result.created or result.run_id or "?").replace("T", " ")
    return (f'<tr><td class="text"><a href="{target}">{esc(when)}</a></td>'
            f'<td class="text">{esc(result.experiment.name)}</td>'
            f'<td class="text">{esc(d.ticker or "?")}</td>'
            f'<td class="text source">{esc(source_of(result))}</td>'
            f'<td class="date">{esc(d.start or "?")} to {esc(d.end or "?")}</td>'
            f'<td>{len(result.folds)}</td>'
            f'<td class="text">{esc(top)}</td>'
            f'<td>{fmt(scores.get(top, {}).get("rmse"), "price")}</td>'
            f'<td>{fmt(naive.get("rmse"), "price")}</td>'
            + f'<td class="text">{theil or "–"}</td>'
            f'<td class="text"><a href="{target}">report</a> · '
            f'<a href="{link}/metrics.json">metrics</a> · '
            f'<a href="{link}/predictions.csv">predictions</a></td></tr>')


# --- the comparison ----------------------------------------------------------------------


def results_of(results_or_dirs) -> list[Result]:
    """Results as they are, run directories read (without their predictions)."""
    return [r if isinstance(r, Result) else runs.load(r, predictions=False)
            for r in results_or_dirs]


def compare_table(results_or_dirs) -> pd.DataFrame:
    """One row per run and model: run, experiment, ticker, source, model, then
    Theil's U (comparable across tickers), RMSE, MAE, MAPE, direction right, Sharpe ratio of
    trading on it, wall seconds, parameters and the Diebold-Mariano p-value (NaN where a
    run did not record one)."""
    rows = []
    for i, r in enumerate(results_of(results_or_dirs), 1):
        for name, m in r.models.items():
            e = {**row(m), "sharpe": (m.trading or {}).get("sharpe")}
            rows.append({"run": r.run_id or f"#{i}", "experiment": r.experiment.name,
                         "ticker": r.data.ticker, "source": r.data.source, "model": name,
                         **{k: num(e.get(k)) for k in TABLE_SCORES}})
    return pd.DataFrame(rows, columns=["run", "experiment", "ticker", "source", "model",
                                       *TABLE_SCORES])


def render_compare(results_or_dirs, output_path="reports/compare.html") -> Path:
    """Write one page comparing runs (Results or run directories) model by model; its path.

    Runs of other tickers have errors in other price units: the page ranks them by
    Theil's U (RMSE relative to naive persistence), which is comparable across tickers.
    """
    if not results_or_dirs:
        raise ForecastError("compare needs at least one run directory")
    output = Path(output_path)
    output.parent.mkdir(parents=True, exist_ok=True)
    loaded = results_of(results_or_dirs)
    return write_atomic(output, compare_html(loaded, output))


def compare_html(loaded: list[Result], output: Path | None = None) -> str:
    """The comparison page (links to each run's report relative to ``output``)."""
    charts: list[dict] = []
    n = len(loaded)
    body = (f"<h1>Comparison of {n} run{'s' if n != 1 else ''}</h1>"
            "<p class=sub>Errors in price units are comparable only between runs of the same "
            "ticker and period; Theil's U (RMSE / RMSE of naive persistence, below 1 beats "
            "it) is comparable across all.</p>"
            + _compare_runs(loaded, output) + _compare_models(loaded, charts))
    return page("forecast comparison", body, charts)


def _settings(result: Result) -> dict:
    try:
        return tomllib.loads(experiment_text(result))
    except tomllib.TOMLDecodeError:
        return {}


def _compare_runs(loaded: list[Result], output: Path | None) -> str:
    flat = [_flatten(_settings(r)) for r in loaded]
    keys = sorted({k for f in flat for k in f})
    shown = {"name", "data.ticker", "data.source"}  # in their own columns
    differ = [k for k in keys if k not in shown and len(
        {json.dumps(f.get(k), sort_keys=True, default=str) for f in flat}) > 1]
    head = ("<tr><th>#</th><th class=text>experiment</th><th class=text>ticker</th>"
            "<th class=text>source</th><th class=text>prices</th><th class=text>run</th>"
            + "".join(f"<th class=text>{esc(k)}</th>" for k in differ) + "</tr>")
    rows = []
    for i, (r, f) in enumerate(zip(loaded, flat), 1):
        d = r.data
        name = esc(run_name(r))
        if r.path is not None and output is not None:
            target = Path(r.path) / "report.html"
            href = quote(Path(relpath(target.resolve(), output.parent.resolve())).as_posix())
            name = f'<a href="{href}">{name}</a>'
        rows.append(f'<tr><td>{i}</td><td class="text">{esc(r.experiment.name)}</td>'
                    f'<td class="text">{esc(d.ticker or "?")}</td>'
                    f'<td class="text source">{esc(source_of(r))}</td>'
                    f'<td class="date">{esc(d.start or "?")} to '
                    f'{esc(d.end or "?")}</td><td class="date">{name}</td>'
                    + "".join(f'<td class="text">{esc(plain(f.get(k)))}</td>' for k in differ)
                    + "</tr>")
    note = ("" if differ else "<p class=note>The runs have the same settings.</p>")
    return (f'<h2>Runs</h2><div class="scroll"><table id="compare-runs">{head}{"".join(rows)}'
            f"</table></div>{note}" + ("<p class=note>Columns after “run”: the settings that "
                                       "differ between runs.</p>" if differ else ""))


def _compare_models(loaded: list[Result], charts) -> str:
    names = list(dict.fromkeys(n for r in loaded for n in r.models))
    palette = colors(dict.fromkeys(names))
    labels = [f"#{i} {r.data.ticker or '?'}" for i, r in enumerate(loaded, 1)]
    series = [line(n, [num(r.models[n].scores.get("theil_u")) if n in r.models else math.nan
                       for r in loaded], palette[n], 4, paths="none") for n in names]
    charts.append({"id": "chart-compare", "x": list(range(len(loaded))), "xKind": "category",
                   "xTicks": labels, "xLabel": "run", "yLabel": "Theil's U", "height": 300,
                   "series": series, "hline": 1})
    out = ['<h2>Theil\'s U by run</h2><div class="chart" id="chart-compare"></div>'
           "<p class=note>Below the line at 1 a model beats naive persistence.</p>"]
    columns = [(key, title, kind) for key, title, kind, _ in VERDICT_COLUMNS]
    if any("dm_pvalue" in m.scores for r in loaded for m in r.models.values()):
        columns.append(("dm_pvalue", "DM p", "p"))
    if any(isinstance(m.trading, dict) for r in loaded for m in r.models.values()):
        columns.append(("sharpe", "Sharpe", "ratio2"))
    head = "".join(f"<th>{title}</th>" for _, title, _ in columns)
    for n in names:
        entries = {i: row(r.models[n]) for i, r in enumerate(loaded) if n in r.models}
        win = best(entries, "theil_u") if len(entries) > 1 else None
        rows = []
        for i, e in entries.items():
            e = {**e, "sharpe": (loaded[i].models[n].trading or {}).get("sharpe")}
            rows.append(f'<tr data-run="{i + 1}"{" class=best" if i == win else ""}>'
                        f'<td>{i + 1}</td><td class="text">'
                        f'{esc(loaded[i].data.ticker or "?")}</td>'
                        + "".join(cell(e, key, kind) for key, _, kind in columns) + "</tr>")
        out.append(f'<h2>{esc(n)}</h2><div class="scroll"><table class="compare-model" '
                   f'data-model="{esc(n)}"><tr><th>#</th><th class=text>ticker</th>{head}</tr>'
                   f'{"".join(rows)}</table></div>')
    return "".join(out)


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


# --- a sweep -----------------------------------------------------------------------------


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
        top = best({n: e for n, e in heads.items() if n != "naive"}, "theil_u")
        status = esc(r.get("status", "?"))
        if r.get("report") and r.get("status") == "done":
            status = f'<a href="{quote(str(r["report"]))}">report</a>'
        elif r.get("error"):
            status = f'<span class="fail">{status}</span>: {esc(r["error"])}'
        cells = "".join(_sweep_cell(heads.get(n), n == top, n == "naive") for n in models)
        rows.append(f'<tr data-key="{esc(r.get("key", ""))}"><td>{i}</td>'
                    f'<td class="text">{esc(r.get("ticker", "?"))}</td>'
                    + "".join(f'<td class="text">{esc(plain((r.get("settings") or {}).get(k)))}'
                              "</td>" for k in keys)
                    + f'<td class="text">{status}</td><td>{fmt(r.get("seconds"), "ratio1")}'
                    f"</td>{cells}</tr>")
    charts: list[dict] = []
    done = [(i, r) for i, r in enumerate(entries, 1) if r.get("models")]
    chart = ""
    if done:
        palette = colors(dict.fromkeys(models))
        labels = [f"#{i} {r.get('ticker', '?')}" for i, r in done]
        charts.append({"id": "chart-sweep", "x": list(range(len(done))), "xKind": "category",
                       "xTicks": labels, "xLabel": "run", "yLabel": "Theil's U", "height": 300,
                       "hline": 1, "series": [
                           line(n, [num((r["models"].get(n) or {}).get("theil_u"))
                                    for _, r in done], palette[n], 4, paths="none")
                           for n in models]})
        chart = ('<div class="chart" id="chart-sweep"></div><p class=note>Theil\'s U of every '
                 "model in every finished run: below the line at 1 a model beats naive "
                 "persistence.</p>")
    about = facts([
        ("command", f"<code>{esc(' '.join(map(str, summary.get('command') or [])))}</code>"),
        ("runs", esc(f"{c.get('done', 0)} of {c.get('runs', len(entries))} finished, "
                     f"{c.get('failed', 0)} failed, {c.get('left', 0)} left "
                     f"({c.get('skipped', 0)} reused from before)")),
        ("executor", esc(f"{summary.get('executor', '?')}, {summary.get('workers', '?')} "
                         f"workers, {summary.get('cores', '?')} cores")),
        ("started", esc(summary.get("started", "?"))),
        ("updated", esc(summary.get("updated", "?")))])
    body = (f"<h1>Sweep {esc(summary.get('sweep', ''))}</h1>{about}"
            f'{chart}<h2>Runs</h2><div class="scroll"><table id="sweep-table">{head}'
            f'{"".join(rows)}</table></div><p class=note>Each model: Theil\'s U (bold: the '
            "best network of the run), then the Diebold-Mariano p-value against naive and the "
            "Sharpe ratio of trading on it when recorded.</p>")
    refresh = '<meta http-equiv="refresh" content="30">' if c.get("left") else ""
    return write_atomic(output, page(f"sweep {summary.get('sweep', '')}", body, charts,
                                     head=refresh))


def _sweep_cell(h, top: bool, reference: bool) -> str:
    if not isinstance(h, dict):
        return "<td>–</td>"
    u, sd = num(h.get("theil_u")), h.get("theil_u_std")
    cls = "" if reference or not math.isfinite(u) else "ok" if u < 1 else "fail"
    extra = []
    if h.get("dm_pvalue") is not None:
        extra.append(f"p {fmt(h['dm_pvalue'], 'p')}")
    if h.get("sharpe") is not None:
        extra.append(f"Sharpe {fmt(h['sharpe'], 'ratio2')}")
    return (f'<td{" class=win" if top else ""} data-value="{esc(repr(u))}">'
            f'<span class="{cls}">{fmt(u, "ratio")}</span>'
            + (f'<span class="note"> ± {fmt(sd, "ratio")}</span>' if sd is not None else "")
            + (f'<br><span class="note">{" · ".join(extra)}</span>' if extra else "")
            + "</td>")
