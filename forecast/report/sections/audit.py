"""The leak audit: the days each fold's scalers, training and early stopping were actually
given (recorded by the fits themselves), and the indicators' causality check."""
from __future__ import annotations

from forecast import audit as leak
from forecast.report.markup import count, esc


def leak_findings(result) -> list[str] | None:
    """What the leak audit of a run found: [] when nothing, None when it cannot tell.

    Read from what the fits recorded (metrics.json's ``audit.folds``), compared with each
    fold's first test day: a fold leaks when its scalers, a model's training or its early
    stopping were given a row dated on or after it, or a network trained on the tail it
    early-stops on. A fold whose split dates overlap its test period leaks too, and an
    indicator that failed the causality check. None for a run whose fits recorded nothing
    (made by a version before the audit read the fits).
    """
    records = (result.audit or {}).get("folds")
    if not result.folds or not records:
        return None
    test_start = {f.fold: f.test_start for f in result.folds}
    found = leak.findings([{**r, "test_start": test_start.get(r["fold"], r["test_start"])}
                           for r in records])
    for f in result.folds:
        fitted = [f.scaler_end, f.train_end, f.validation_end]
        # ISO dates compare as strings
        if not (all(isinstance(v, str) for v in fitted)
                and max(fitted) < str(f.test_start or "")):
            found.append(f"fold {f.fold} was fitted on days of its test period")
    for name, outcome in ((result.audit or {}).get("indicators") or {}).items():
        if str(outcome).lower() != "passed":
            found.append(f"indicator {name} failed the causality check")
    return found


def audit(result, charts) -> str:
    indicators = (result.audit or {}).get("indicators") or {}
    failed = [k for k, v in indicators.items() if str(v).lower() != "passed"]
    findings = leak_findings(result)
    records = {r["fold"]: r for r in (result.audit or {}).get("folds") or []}
    rows = []
    for f in result.folds:
        ok = not any(x.startswith(f"fold {f.fold} ") for x in findings or [])
        got = records.get(f.fold, {})
        fits = [m.get("fit") for m in got.get("models", {}).values() if m.get("fit")]
        stops = [m.get("early_stopping") for m in got.get("models", {}).values()
                 if m.get("early_stopping")]
        rows.append(
            f'<tr><td class="text">{esc(f.fold)}</td>'
            f'<td class="date">{_recorded(got.get("scaler"))}</td>'
            f'<td class="date">{_recorded(leak.merge(fits) if fits else None)}</td>'
            f'<td class="date">{_recorded(leak.merge(stops) if stops else None)}</td>'
            f'<td class="date">{_span(f.test_start, f.test_end)}</td>'
            f'<td>{count(f.n_train)}</td><td>{count(f.n_test)}</td>'
            + ('<td class="ok">ok</td></tr>' if ok else '<td class="fail">OVERLAP</td></tr>'))
    unrecorded = (result.audit or {}).get("unrecorded") or []
    if findings is None:
        summary = ('<p class="fail" id="audit-summary">The fits did not record the rows they '
                   "were given (a run made before the audit read them): this run cannot be "
                   "audited.</p>")
    elif findings:
        summary = (f'<p class="fail" id="audit-summary">Possible leak: '
                   f'{esc("; ".join(findings))}.</p>')
    else:
        summary = ('<p class="ok" id="audit-summary">No leak found: in every fold the rows the '
                   "scalers and the models were given, as the fits recorded them, end before "
                   "the test period, no network trained on its early-stopping tail, and every "
                   "indicator passed the causality check.</p>")
    if unrecorded:
        summary += (f'<p class="note">Not audited: {esc(", ".join(unrecorded))} did not record '
                    "the rows it fitted on (FoldData.received).</p>")
    table = ("" if not rows else
             '<div class="scroll"><table id="audit-table"><tr><th class=text>fold</th>'
             "<th class=text>scalers given</th><th class=text>models trained on</th>"
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
    notes = "".join(f"<li>{esc(k.replace('_', ' '))}: {esc(v)}</li>"
                    for k, v in (result.audit or {}).items()
                    if k != "indicators" and isinstance(v, str))
    return (summary + table + ("<p class=note>Dates are those of the rows each fit was given, "
                               "as it recorded them: a sample's date is its target's day, the "
                               "last price it holds.</p>" if rows else "")
            + ind_table + (f"<ul class=note>{notes}</ul>" if notes else ""))


def _recorded(span) -> str:
    if not span or not span.get("rows"):
        return "not recorded"
    return f"{_span(span['first'], span['last'])} ({count(span['rows'])} rows)"


def _span(start, end) -> str:
    return f"{esc(start)} to {esc(end)}" if start and end else "not recorded"


def leak_line(result) -> str:
    """The verdict's line on the leak audit."""
    findings = leak_findings(result)
    if findings is None:
        return "Leak audit: not possible, the fits did not record their rows."
    if findings:
        return f'Leak audit: <span class="fail">{esc("; ".join(findings))}</span>.'
    return "Leak audit: passed (details in the Leak audit section)."
