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
from forecast.report.headline import headline
from forecast.report.markup import (best, cell, colors, esc, facts, fmt, line, num, page,
                                    plain)
from forecast.report.scores import (PRICES, Score, baseline_of, compared_by, mark,
                                    ranked_by, scored_as)
from forecast.report.sections.common import experiment_text, row
from forecast.report.sections.details import run_name
from forecast.report.sections.targets import COLUMNS as TARGET_COLUMNS
from forecast.report.sections.targets import TIME
from forecast.report.sections.verdict import COLUMNS as VERDICT_COLUMNS
from forecast.result import Result
from forecast.targets import TARGETS

# compare_table's columns after run, experiment, ticker, source, model
TABLE_SCORES = ("theil_u", "rmse", "mae", "mape", "directional_accuracy", "sharpe",
                "wall_seconds", "params", "dm_pvalue")


def target_name(result: Result) -> str:
    """What the run forecast: its ``features.target``."""
    return result.experiment.features.target


def _groups(targets) -> dict:
    """Target -> the positions of its items, in the order targets first appear."""
    out: dict = {}
    for i, t in enumerate(targets):
        out.setdefault(t, []).append(i)
    return out


def _not_comparable(groups: dict) -> str:
    """The plain statement of a page whose runs forecast different targets."""
    listed = "; ".join(f"{esc(t)}: runs " + ", ".join(f"#{i + 1}" for i in members)
                       for t, members in groups.items())
    scored = "; ".join(esc(scored_as(t)) for t in groups)
    return (f'<p class="not-comparable"><b>These runs forecast different targets, so '
            f"their scores are not comparable and runs of different targets are not ranked "
            f"against each other</b> ({listed}). Each target has its own section below, "
            f"ranked by its own score: {scored}.</p>")


# --- the index ---------------------------------------------------------------------------


@one_at_a_time(".index.lock")  # runs finishing at once: the last index lists them all
def render_index(root="reports") -> Path:
    """Write ``index.html`` into ``root`` listing every run under it, newest first.

    Each run shows its best model by the score its own report ranks models by (RMSE for
    prices, the Brier score for direction, QLIKE for volatility) and each other model
    against the run's baseline."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    found = []
    for d in runs.find(root):
        link = quote(d.relative_to(root).as_posix())
        try:
            found.append((d, link, runs.load(d, predictions=False)))
        except (ForecastError, OSError, ValueError, KeyError, TypeError) as e:
            found.append((d, link, e))
    targets = [target_name(r) for _, _, r in found if isinstance(r, Result)]
    prices_only = all(t in PRICES for t in targets)
    head = ["<th class=text>created</th>", "<th class=text>experiment</th>",
            "<th class=text>ticker</th>", "<th class=text>source</th>",
            "<th class=text>prices</th>", "<th>folds</th>", "<th class=text>best model</th>",
            "<th>RMSE</th>", "<th>naive RMSE</th>",
            "<th class=text>each model's Theil's U</th>", "<th class=text>files</th>"]
    if not prices_only:  # runs of other targets: columns that fit every run
        head[6:10] = ["<th class=text>target</th>", "<th class=text>best model</th>",
                      "<th>its score</th>", "<th>baseline's score</th>",
                      "<th class=text>each model against the baseline</th>"]
    rows = []
    for d, link, result in found:
        error = result
        if isinstance(result, Result):
            try:
                rows.append(_index_row(result, link, (d / "report.html").is_file(),
                                       prices_only))
                continue
            except (ForecastError, OSError, ValueError, KeyError, TypeError) as e:
                error = e
        # one damaged run must not hide the others
        rows.append(f'<tr><td class="text"><a href="{link}/">{esc(d.name)}</a></td>'
                    f'<td class="text fail" colspan="{len(head) - 1}">damaged run: '
                    f"{esc(error)}</td></tr>")
    colours = ("green where the Diebold-Mariano test finds it significant at 5%, red where "
               "the baseline is significantly better, plain where the difference is not "
               "significant")
    note = ("<p class=note>Theil's U below 1 is a lower RMSE than naive persistence's: "
            f"{colours}.</p>" if prices_only else
            "<p class=note>The best model of each run by the score its report ranks models "
            "by; the baseline's score; every other model's: better than the baseline's is "
            f"{colours}. Scored: "
            f"{esc('; '.join(scored_as(t) for t in dict.fromkeys(targets)))}.</p>")
    table = (f'<div class="scroll"><table id="runs"><tr>{"".join(head)}</tr>{"".join(rows)}'
             f"</table></div>{note}" if rows else
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


def _index_row(result: Result, link: str, has_report: bool, prices_only=True) -> str:
    scores = {n: m.scores for n, m in result.models.items()}
    target = target_name(result)
    if target in PRICES:
        top = best(scores, "rmse") if scores else None
        naive = scores.get("naive", {})
        against = "<br>".join(f'<span class="{mark(target, e, scores)}">{esc(n)} '
                              f'{fmt(e.get("theil_u"), "ratio")}</span>'
                              for n, e in scores.items() if n != "naive")
        score, base = (fmt(scores.get(top, {}).get("rmse"), "price"),
                       fmt(naive.get("rmse"), "price"))
    else:
        s, base_name = ranked_by(target), baseline_of(target, scores)
        key, kind, lower = (s.key, s.kind, s.lower) if s else ("", "ratio", True)
        top = best(scores, key, lower) if scores else None
        b = num(scores.get(base_name, {}).get(key))
        against = "<br>".join(
            f'<span class="{mark(target, e, scores)}">{esc(n)} '
            f"{fmt(e.get(key), kind)}</span>" for n, e in scores.items() if n != base_name)
        score = fmt(scores.get(top, {}).get(key), kind) + (
            f' <span class="note">{esc(s.label)}</span>' if s else "")
        base = fmt(b, kind) + f' <span class="note">{esc(base_name)}</span>'
    d = result.data
    target_link = f"{link}/report.html" if has_report else f"{link}/metrics.json"
    when = str(result.created or result.run_id or "?").replace("T", " ")
    return (f'<tr><td class="text"><a href="{target_link}">{esc(when)}</a></td>'
            f'<td class="text">{esc(result.experiment.name)}</td>'
            f'<td class="text">{esc(d.ticker or "?")}</td>'
            f'<td class="text source">{esc(source_of(result))}</td>'
            f'<td class="date">{esc(d.start or "?")} to {esc(d.end or "?")}</td>'
            f'<td>{len(result.folds)}</td>'
            + ("" if prices_only else f'<td class="text target">{esc(target)}</td>')
            + f'<td class="text">{esc(top)}</td>'
            f'<td>{score}</td>'
            f'<td>{base}</td>'
            + f'<td class="text">{against or "–"}</td>'
            f'<td class="text"><a href="{target_link}">report</a> · '
            f'<a href="{link}/metrics.json">metrics</a> · '
            f'<a href="{link}/predictions.csv">predictions</a></td></tr>')


# --- the comparison ----------------------------------------------------------------------


def results_of(results_or_dirs, predictions: bool = False) -> list[Result]:
    """Results as they are, run directories read (with their predictions only when asked:
    the comparison page tests runs day by day, the table needs none)."""
    return [r if isinstance(r, Result) else runs.load(r, predictions=predictions)
            for r in results_or_dirs]


def compare_table(results_or_dirs) -> pd.DataFrame:
    """One row per run and model: run, experiment, ticker, source, model, then
    Theil's U (comparable across tickers), RMSE, MAE, MAPE, direction right, Sharpe ratio of
    trading on it, wall seconds, parameters and the Diebold-Mariano p-value, then the run's
    target and the headline scores of the other targets among the runs (the Brier score,
    QLIKE, ...); NaN where a run did not record one."""
    loaded = results_of(results_or_dirs)
    extra = list(dict.fromkeys(
        k for r in loaded if target_name(r) in TARGETS
        for k in TARGETS[target_name(r)].headline if k not in TABLE_SCORES))
    rows = []
    for i, r in enumerate(loaded, 1):
        for name, m in r.models.items():
            e = {**row(m), "sharpe": (m.trading or {}).get("sharpe")}
            rows.append({"run": r.run_id or f"#{i}", "experiment": r.experiment.name,
                         "ticker": r.data.ticker, "source": r.data.source, "model": name,
                         **{k: num(e.get(k)) for k in (*TABLE_SCORES, *extra)},
                         "target": target_name(r)})
    return pd.DataFrame(rows, columns=["run", "experiment", "ticker", "source", "model",
                                       *TABLE_SCORES, "target", *extra])


def render_compare(results_or_dirs, output_path="reports/compare.html") -> Path:
    """Write one page comparing runs (Results or run directories) model by model; its path.

    Runs of other tickers have errors in other price units: the page ranks them by
    Theil's U (RMSE relative to naive persistence), which is comparable across tickers;
    runs of other targets by their own score (the Brier score, QLIKE), never against runs
    of another target.
    """
    if not results_or_dirs:
        raise ForecastError("compare needs at least one run directory")
    output = Path(output_path)
    output.parent.mkdir(parents=True, exist_ok=True)
    loaded = results_of(results_or_dirs, predictions=True)
    return write_atomic(output, compare_html(loaded, output))


def compare_html(loaded: list[Result], output: Path | None = None) -> str:
    """The comparison page (links to each run's report relative to ``output``).

    It opens with which run is better on the target's own score and whether that is
    significant, on the days the runs all forecast
    (:func:`~forecast.report.headline.headline`; Results need their predictions for it).
    Runs are then compared model by model by their target's score (Theil's U for prices);
    runs of different targets are not ranked against each other: each target gets its own
    section, and the page says why."""
    charts: list[dict] = []
    n = len(loaded)
    groups = _groups(target_name(r) for r in loaded) or {"return": []}
    body = f"<h1>Comparison of {n} run{'s' if n != 1 else ''}</h1>"
    if len(groups) == 1:
        (target, members), = groups.items()
        body += (headline(loaded, members, target) + f"<p class=sub>{_comparable(target)}</p>"
                 + _compare_runs(loaded, output)
                 + _compare_models(loaded, target, members, charts, "chart-compare", "h2"))
    else:
        body += _not_comparable(groups) + _compare_runs(loaded, output)
        for target, members in groups.items():
            body += (f'<section class="compare-target" data-target="{esc(target)}">'
                     f"<h2>Target {esc(target)}: runs "
                     + ", ".join(f"#{i + 1}" for i in members)
                     + "</h2>" + headline(loaded, members, target,
                                          f"compare-verdict-{target}")
                     + f"<p class=note>{_comparable(target)}</p>"
                     + _compare_models(loaded, target, members, charts,
                                       f"chart-compare-{target}", "h3") + "</section>")
    return page("forecast comparison", body, charts)


def _comparable(target: str) -> str:
    """What the scores of ``target``'s runs mean across runs."""
    s = compared_by(target)
    if target in PRICES:
        return ("Errors in price units are comparable only between runs of the same ticker "
                "and period; Theil's U (RMSE / RMSE of naive persistence, below 1 a lower "
                "RMSE) is comparable across all.")
    if s is None:
        return f"Runs of target {esc(target)}: no score the report knows to rank them by."
    level = {"direction": " A Brier score (the mean squared error of the probability of a "
                          "rise) is on the same scale for every ticker.",
             "volatility": " QLIKE grows with the level of volatility: compare it only "
                           "between runs of the same ticker and period."}.get(target, "")
    return (f"Runs of target {esc(target)} ({esc(TARGETS[target].unit)}) are ranked by "
            f"their {s.label}, {s.better}, as each run's report ranks its models.{level}")


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


def _compare_models(loaded: list[Result], target: str, members: list[int], charts,
                    chart: str, h: str) -> str:
    """The chart and the table per model of the runs ``members`` (positions in ``loaded``),
    all of ``target``: the best run of each model by the target's score in bold."""
    s = compared_by(target)
    prices = target in PRICES
    names = list(dict.fromkeys(n for i in members for n in loaded[i].models))
    out = []
    if s is not None:
        palette = colors(dict.fromkeys(names))
        labels = [f"#{i + 1} {loaded[i].data.ticker or '?'}" for i in members]
        series = [line(n, [num(loaded[i].models[n].scores.get(s.key)) if n in loaded[i].models
                           else math.nan for i in members], palette[n], 4, paths="none")
                  for n in names]
        spec = {"id": chart, "x": list(range(len(members))), "xKind": "category",
                "xTicks": labels, "xLabel": "run", "yLabel": s.label, "height": 300,
                "series": series}
        if prices:
            spec["hline"] = 1
        charts.append(spec)
        out.append(f"<{h}>{s.label} by run</{h}>"
                   f'<div class="chart" id="{esc(chart)}"></div><p class=note>'
                   + ("Below the line at 1 a model has a lower RMSE than naive "
                      "persistence (significantly or not: DM p in the tables)." if prices else
                      f"Each model's {s.label} in every run: {s.better}.")
                   + "</p>")
    if prices:
        columns = [(key, title, kind) for key, title, kind, _ in VERDICT_COLUMNS]
    else:
        columns = [(key, title, kind) for key, title, kind, _ in
                   (*TARGET_COLUMNS.get(target, ()), *TIME)]
    scores = [m.scores for i in members for m in loaded[i].models.values()]
    if any("dm_pvalue" in sc for sc in scores):
        columns.append(("dm_pvalue", "DM p", "p"))
    if any("dm_garch_pvalue" in sc for sc in scores):
        columns.append(("dm_garch_pvalue", "DM p against GARCH", "p"))
    if any(isinstance(m.trading, dict) for i in members for m in loaded[i].models.values()):
        columns.append(("sharpe", "Sharpe", "ratio2"))
    head = "".join(f"<th>{title}</th>" for _, title, _ in columns)
    out.append("<p class=note>The tables below hold each model's scores as its run recorded "
               "them, over that run's own test days.</p>")
    for n in names:
        entries = {i: row(loaded[i].models[n]) for i in members if n in loaded[i].models}
        win = best(entries, s.key, s.lower) if s is not None and len(entries) > 1 else None
        rows = []
        for i, e in entries.items():
            e = {**e, "sharpe": (loaded[i].models[n].trading or {}).get("sharpe")}
            rows.append(f'<tr data-run="{i + 1}"{" class=best" if i == win else ""}>'
                        f'<td>{i + 1}</td><td class="text">'
                        f'{esc(loaded[i].data.ticker or "?")}</td>'
                        + "".join(cell(e, key, kind) for key, _, kind in columns)
                        + "</tr>")
        out.append(f'<{h}>{esc(n)}</{h}><div class="scroll"><table class="compare-model" '
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

    One row per run: its ticker and grid settings, status, time and each model's score
    (Theil's U for prices, the target's own score otherwise, as the run's report ranks its
    models; DM p-value and Sharpe ratio beside it when recorded), linked to the run's
    report. Runs of different targets get a table each and are not ranked against each
    other. While runs are left the page reloads itself every 30 s.
    """
    output = Path(output_path)
    output.parent.mkdir(parents=True, exist_ok=True)
    entries = [r for r in summary.get("runs", []) if isinstance(r, dict)]
    models = summary.get("models") or list(dict.fromkeys(
        n for r in entries for n in r.get("models") or {}))
    keys = list(dict.fromkeys(k for r in entries for k in r.get("settings") or {}))
    c = summary.get("counts") or {}
    groups = _groups(r.get("target") or "return" for r in entries)
    charts: list[dict] = []
    about = facts([
        ("command", f"<code>{esc(' '.join(map(str, summary.get('command') or [])))}</code>"),
        ("runs", esc(f"{c.get('done', 0)} of {c.get('runs', len(entries))} finished, "
                     f"{c.get('failed', 0)} failed, {c.get('left', 0)} left "
                     f"({c.get('skipped', 0)} reused from before)")),
        ("executor", esc(f"{summary.get('executor', '?')}, {summary.get('workers', '?')} "
                         f"workers, {summary.get('cores', '?')} cores")),
        ("started", esc(summary.get("started", "?"))),
        ("updated", esc(summary.get("updated", "?")))])
    body = f"<h1>Sweep {esc(summary.get('sweep', ''))}</h1>{about}"
    if len(groups) <= 1:
        target = next(iter(groups), "return")
        chart, table = _sweep_target(entries, range(len(entries)), target, models, keys,
                                     charts, "chart-sweep", "sweep-table")
        body += f"{chart}<h2>Runs</h2>{table}"
    else:
        body += _not_comparable(groups)
        for target, members in groups.items():
            used = [n for n in models if any(n in (entries[i].get("models") or {})
                                             for i in members)]
            chart, table = _sweep_target(entries, members, target, used, keys, charts,
                                         f"chart-sweep-{target}", f"sweep-table-{target}")
            body += (f'<section class="sweep-target" data-target="{esc(target)}">'
                     f"<h2>Target {esc(target)}</h2>{chart}{table}</section>")
    refresh = '<meta http-equiv="refresh" content="30">' if c.get("left") else ""
    return write_atomic(output, page(f"sweep {summary.get('sweep', '')}", body, charts,
                                     head=refresh))


def _sweep_target(entries, members, target, models, keys, charts, chart_id, table_id):
    """The chart and the table of the runs ``members`` (positions in ``entries``), all of
    ``target``: each model's score, green where it beats the run's baseline significantly
    (red where it is significantly worse), the best model of each run that is no baseline
    in bold."""
    s = compared_by(target)
    prices = target in PRICES
    refs = TARGETS[target].references if target in TARGETS else ("naive",)
    head = ("<tr><th>#</th><th class=text>ticker</th>"
            + "".join(f"<th class=text>{esc(k)}</th>" for k in keys)
            + "<th class=text>status</th><th>seconds</th>"
            + "".join(f"<th>{esc(n)}</th>" for n in models) + "</tr>")
    rows = []
    for i in members:
        r = entries[i]
        heads = r.get("models") or {}
        top = (best({n: e for n, e in heads.items() if n not in refs}, s.key, s.lower)
               if s is not None else None)
        base = baseline_of(target, heads)
        status = esc(r.get("status", "?"))
        if r.get("report") and r.get("status") == "done":
            status = f'<a href="{quote(str(r["report"]))}">report</a>'
        elif r.get("error"):
            status = f'<span class="fail">{status}</span>: {esc(r["error"])}'
        cells = "".join(_sweep_cell(heads.get(n), n == top, "" if n == base else
                                    mark(target, heads.get(n) or {}, heads), s)
                        for n in models)
        rows.append(f'<tr data-key="{esc(r.get("key", ""))}"><td>{i + 1}</td>'
                    f'<td class="text">{esc(r.get("ticker", "?"))}</td>'
                    + "".join(f'<td class="text">{esc(plain((r.get("settings") or {}).get(k)))}'
                              "</td>" for k in keys)
                    + f'<td class="text">{status}</td><td>{fmt(r.get("seconds"), "ratio1")}'
                    f"</td>{cells}</tr>")
    done = [i for i in members if entries[i].get("models")]
    chart = ""
    if done and s is not None:
        palette = colors(dict.fromkeys(models))
        labels = [f"#{i + 1} {entries[i].get('ticker', '?')}" for i in done]
        spec = {"id": chart_id, "x": list(range(len(done))), "xKind": "category",
                "xTicks": labels, "xLabel": "run", "yLabel": s.label, "height": 300}
        if prices:
            spec["hline"] = 1
        spec["series"] = [line(n, [num((entries[i]["models"].get(n) or {}).get(s.key))
                                   for i in done], palette[n], 4, paths="none")
                          for n in models]
        charts.append(spec)
        chart = (f'<div class="chart" id="{esc(chart_id)}"></div><p class=note>'
                 + ("Theil's U of every model in every finished run: below the line at 1 a "
                    "model has a lower RMSE than naive persistence (significantly or not: "
                    "the table)." if prices else
                    f"Each model's {s.label} in every finished run: {s.better}.")
                 + "</p>")
    colours = ("green where its Diebold-Mariano test finds it significantly better at 5%, "
               "red where significantly worse, plain where the difference is not "
               "significant")
    if prices:
        note = ("Each model: Theil's U (below 1: a lower RMSE than naive persistence's; "
                f"{colours}; bold: the best network of the run), then the Diebold-Mariano "
                "p-value against naive and the Sharpe ratio of trading on it when recorded.")
    elif s is None:
        note = f"Target {esc(target)}: no score the report knows."
    else:
        note = (f"Each model: its {s.label} ({s.better}) against "
                f"{esc(TARGETS[target].baseline_label)}, or naive persistence in a run "
                f"without it ({colours}; bold: the best model of the run that is no "
                "baseline), then the Diebold-Mariano p-value against naive and the Sharpe "
                "ratio of trading on it when recorded.")
    table = (f'<div class="scroll"><table id="{esc(table_id)}">{head}{"".join(rows)}'
             f"</table></div><p class=note>{note}</p>")
    return chart, table


def _sweep_cell(h, top: bool, cls: str, s: Score | None) -> str:
    if not isinstance(h, dict):
        return "<td>–</td>"
    kind = s.kind if s is not None else "ratio"
    u = num(h.get(s.key)) if s is not None else math.nan
    sd = h.get(f"{s.key}_std") if s is not None else None
    extra = []
    if h.get("dm_pvalue") is not None:
        extra.append(f"p {fmt(h['dm_pvalue'], 'p')}")
    if h.get("sharpe") is not None:
        extra.append(f"Sharpe {fmt(h['sharpe'], 'ratio2')}")
    return (f'<td{" class=win" if top else ""} data-value="{esc(repr(u))}">'
            f'<span class="{cls}">{fmt(u, kind)}</span>'
            + (f'<span class="note"> ± {fmt(sd, kind)}</span>' if sd is not None else "")
            + (f'<br><span class="note">{" · ".join(extra)}</span>' if extra else "")
            + "</td>")
