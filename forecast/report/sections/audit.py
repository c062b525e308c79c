"""The leak audit: the days each fold's scalers, training and early stopping read, and the
indicators' causality check."""
from __future__ import annotations

from forecast.report.markup import count, esc


def leak_findings(result) -> list[str] | None:
    """What the leak audit of a run found: [] when nothing, None when it cannot tell.

    A fold leaks when its scalers, its training or its early stopping read a day on or
    after the first test day; an indicator leaks when it failed the causality check.
    """
    if not result.folds:
        return None
    found = []
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
    rows = []
    for f in result.folds:
        ok = not any(x.startswith(f"fold {f.fold} ") for x in findings or [])
        rows.append(
            f'<tr><td class="text">{esc(f.fold)}</td>'
            f'<td class="date">{_span(f.scaler_start, f.scaler_end)}</td>'
            f'<td class="date">{_span(f.train_start, f.train_end)}</td>'
            f'<td class="date">{_span(f.validation_start, f.validation_end)}</td>'
            f'<td class="date">{_span(f.test_start, f.test_end)}</td>'
            f'<td>{count(f.n_train)}</td><td>{count(f.n_test)}</td>'
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
    notes = "".join(f"<li>{esc(k.replace('_', ' '))}: {esc(v)}</li>"
                    for k, v in (result.audit or {}).items()
                    if k != "indicators" and isinstance(v, str))
    return (summary + table + ("<p class=note>Dates are the days whose prices each step "
                               "read (targets included).</p>" if rows else "")
            + ind_table + (f"<ul class=note>{notes}</ul>" if notes else ""))


def _span(start, end) -> str:
    return f"{esc(start)} to {esc(end)}" if start and end else "not recorded"
