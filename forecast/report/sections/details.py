"""What the run is: the page's header with its facts, and the run details at the end."""
from __future__ import annotations

from forecast.report.markup import count, esc, facts
from forecast.report.sections.common import experiment_text, predictions


def header(result) -> str:
    """The title, the line naming the data and the run, and the facts of the run."""
    d = result.data
    source = esc(d.source or "?")
    csv = d.csv or result.experiment.data.csv
    if csv:
        source += f" <code>{esc(csv)}</code>"
    return (f"<h1>{esc(result.experiment.name)}</h1>"
            f"<p class=sub><b>{esc(d.ticker or '?')}</b> · {source} · prices "
            f"{esc(d.start or '?')} to {esc(d.end or '?')} · run "
            f"{esc(run_name(result))}</p>" + run_facts(result))


def run_name(result) -> str:
    if result.run_id:
        return result.run_id
    return result.path.name if result.path is not None else "not saved"


def run_facts(result) -> str:
    e, d = result.experiment, result.data
    p = predictions(result)
    tested = "not recorded"
    if p is not None:
        tested = (f"{p.date.min():%Y-%m-%d} to {p.date.max():%Y-%m-%d}, "
                  f"{p.date.nunique():,} days in {len(result.folds) or p.fold.nunique()} "
                  "folds")
    seeds = list(e.seeds or (e.seed,))
    csv = d.csv or e.data.csv
    split, training = e.split, e.training
    return facts([
        ("ticker, source", f"{esc(d.ticker or '?')}, {esc(d.source or '?')}"
         + (f", <code>{esc(csv)}</code>" if csv else "")),
        ("prices", f"{esc(d.start or '?')} to {esc(d.end or '?')}, "
                   f"{count(d.rows)} days ({count(d.warmup_rows)} warm-up rows dropped)"),
        ("tested on", esc(tested)),
        ("data sha256", f"<code>{esc(d.sha256 or 'not recorded')}</code>"),
        ("inputs", f"{esc(', '.join(map(str, result.features)))}; "
                   f"{esc(e.features.lookback)}-day windows, horizon "
                   f"{esc(e.features.horizon)}, target {esc(e.features.target)}, "
                   f"refit {esc(training.refit)}"),
        ("folds, training", esc(", ".join(
            f"{k} {v}" for k, v in [("window", split.window),
                                    ("initial training samples", split.initial_train),
                                    ("test folds", split.folds),
                                    ("max epochs", training.epochs),
                                    ("batch", training.batch_size),
                                    ("patience", training.patience)] if v is not None)
            or "not recorded") + ' (<a href="#setup">full configuration</a>)'),
        ("seed", esc(e.seed) + (f" (networks trained once per seed: "
                                f"{esc(', '.join(map(str, seeds)))})"
                                if len(seeds) > 1 else "")),
        ("library versions", esc(", ".join(f"{k} {v}" for k, v in result.versions.items()))
         if isinstance(result.versions, dict) and result.versions else "not recorded"),
        ("device", esc(result.device or "not recorded")),
        ("created", esc(result.created or "not recorded")),
    ])


def details(result, charts) -> str:
    """Data repairs, the experiment as TOML, and the run's files."""
    out = []
    if result.data.repairs:
        out.append("<h3>Data repairs</h3><ul>"
                   + "".join(f"<li>{esc(r)}</li>" for r in result.data.repairs) + "</ul>")
    out.append(f"<h3>Configuration (experiment.toml)</h3><pre>{esc(experiment_text(result))}"
               "</pre>")
    out.append("<p class=note>Files of this run: <a href=metrics.json>metrics.json</a>, "
               "<a href=predictions.csv>predictions.csv</a>, <a href=experiment.toml>"
               "experiment.toml</a>. Re-render this page with <code>forecast report "
               "RUN_DIR</code>.</p>")
    return "".join(out)
