"""The power audit in pages: its own page, and the line a run's verdict gets from it."""
from __future__ import annotations

import math
from os.path import relpath
from pathlib import Path

from forecast.files import write_atomic
from forecast.power import FORMS, TARGETS
from forecast.report.markup import colors, esc, facts, fmt, line, num, page, plain




def power_line(result) -> str:
    """What the run's recipe could have detected on a series like this one: from the
    power audit of its settings when there is one (``result.power``), else how to make
    one. '' for targets the audit does not cover."""
    f = result.experiment.features
    if f.target not in TARGETS or f.horizon != 1:
        return ""
    p = result.power
    if not p:
        return ("<b>Could it have found skill?</b> No power audit of these settings on "
                "these prices yet: <code>forecast power experiment.toml</code> (the one in "
                "this run's folder) plants predictable parts of known size in these prices "
                "and shows the smallest each model detects; runs saved after it say so "
                "here.")
    parts, tested = [], p.get("tested_up_to", {})
    for name in result.models:
        audited = p.get("models", {}).get(name)
        if name == "naive" or audited is None:
            continue
        if audited.get("settings", {}) != result.experiment.models.get(name, {}):
            parts.append(f"{esc(name)}: not audited with these settings")
            continue
        found = [f"{esc(form)} {_share(v)}" for form, v in audited["smallest"].items()
                 if v is not None]
        parts.append(f"{esc(name)} from {', '.join(found)}" if found else
                     f"{esc(name)} none up to {_share(max(tested.values(), default=0))}")
    oracle = p.get("models", {}).get("oracle", {}).get("smallest", {})
    floor = ", ".join(f"{esc(k)} {_share(v)}" for k, v in oracle.items() if v is not None)
    link = _link(result, p.get("path"))
    return (f"<b>What it could have found</b>: in {link} (planted predictable parts in these "
            "prices' own returns, seeds " + esc(plain(p.get("seeds"))) + "), the smallest "
            "part each model detected (beat naive at p &lt; 0.05), as its share of the next "
            f"day's variance: {'; '.join(parts) or 'no model of this run was audited'}"
            + (f" (the oracle, which knows the rule: from {floor})" if floor else "")
            + ". A “no significant difference” above rules out parts of those sizes, not "
            "smaller ones.")


def power_html(power) -> str:
    """The page of a power audit (what :func:`render_power` writes)."""
    exp, t = power.experiment, power.table
    models = list(dict.fromkeys(t.model))
    charts: list[dict] = []
    seeds = plain(exp.seeds or [exp.seed])
    head = (f"<h1>Power audit · {esc(exp.name)}</h1><p class=sub>{esc(power.ticker)} · "
            f"{len(set(t.signal))} planted series · seeds {esc(seeds)} · "
            f"{fmt(power.seconds, 'seconds')} s</p>")
    intro = ("<p>Each series keeps these prices' daily returns, their signs drawn at random "
             "(sizes, fat tails and volatility clusters stay; nothing is predictable), and "
             "adds a predictable part of known form to the next day's return. The oracle "
             "knows the rule; a model's <i>capture</i> is the share of the oracle's gain "
             "over naive persistence it achieved, (1 - U) / (1 - U<sub>oracle</sub>). "
             "<i>Detected</i>: Theil's U below 1 with Diebold-Mariano p &lt; 0.05. "
             "<i>Explained</i>: the planted part's share of the next day's variance on the "
             "test days. <i>none</i> is the control: nothing planted.</p>")
    small = power.smallest()
    rows = "".join(
        f'<tr data-model="{esc(m)}"><td class=text>{esc(m)}</td>'
        + "".join(f'<td data-form="{esc(f)}">{_share(v) if math.isfinite(num(v)) else "none"}'
                  "</td>" for f, v in small.loc[m].items()) + "</tr>" for m in small.index)
    summary = (f'<h2>Smallest planted part detected</h2><div class="scroll"><table '
               f'id="power-smallest"><tr><th class=text>model</th>'
               + "".join(f"<th>{esc(f)}</th>" for f in small.columns)
               + f"</tr>{rows}</table></div>")
    cols = (("explained", "explained %", "share"), ("theil_u", "Theil's U", "ratio"),
            ("oracle_u", "oracle U", "ratio"), ("capture", "capture %", "share"),
            ("dm_pvalue", "DM p", "p"))
    body_rows = []
    for _, r in t.iterrows():
        cells = "".join(f'<td data-key="{k}" data-value="{esc(repr(num(r[k])))}">'
                        f"{fmt(r[k], kind)}</td>" for k, _, kind in cols)  # NaN: –
        mark = '<span class="ok">yes</span>' if r.detected else "no"
        body_rows.append(f'<tr data-signal="{esc(r.signal)}" data-model="{esc(r.model)}">'
                         f'<td class=text>{esc(r.signal)}</td><td class=text>{esc(r.model)}'
                         f"</td>{cells}<td class=text>{mark}</td></tr>")
    table = ('<h2>Every planted series</h2><div class="scroll"><table id="power-table"><tr>'
             "<th class=text>planted</th><th class=text>model</th>"
             + "".join(f"<th>{title}</th>" for _, title, _ in cols)
             + f"<th class=text>detected</th></tr>{''.join(body_rows)}</table></div>")
    chart = _capture_chart(t, models, charts)
    settings = facts([("training", esc(plain(vars(exp.training)))),
                      ("models", esc(plain({m: plain(v) or "defaults"
                                            for m, v in exp.models.items()})))])
    return page(f"power · {exp.name}", head + intro + summary + chart + table + settings,
                charts)


def render_power(power, directory) -> Path:
    """Write ``power.html`` into ``directory``."""
    return write_atomic(Path(directory) / "power.html", power_html(power))


def _capture_chart(t, models, charts) -> str:
    """Per form, the share of the oracle's gain each model captured against the size of the
    planted part."""
    col = colors([m for m in models if m != "oracle"])
    out = []
    for form, g in t[t.strength > 0].groupby("form", sort=False):
        xs = sorted(set(g.explained))
        series = [line(m, [g[(g.model == m) & (g.explained == x)].capture.mean() * 100
                           for x in xs], col[m], 1)
                  for m in models if m != "oracle"]
        chart_id = f"chart-capture-{len(out)}"
        charts.append({"id": chart_id, "x": [round(x * 100, 4) for x in xs],
                       "xKind": "linear", "hline": 0, "height": 260,
                       "xLabel": "planted part's share of the next day's variance, %",
                       "yLabel": "capture, % of the oracle's gain", "series": series})
        doc = FORMS[form].doc if form in FORMS else ""
        out.append(f'<div><h3>{esc(form)}: {esc(doc)}</h3>'
                   f'<div class="chart" id="{chart_id}"></div></div>')
    if not out:
        return ""
    return ('<h2>Capture by size of the planted part</h2><div class="grid2">'
            + "".join(out) + "</div>")


def _share(v) -> str:
    return f"{num(v) * 100:.2g}%" if math.isfinite(num(v)) else "–"


def _link(result, path) -> str:
    if not path:
        return "a power audit of these settings"
    page_ = Path(path) / "power.html"
    href = page_.as_posix()
    if result.path:
        try:
            href = Path(relpath(page_, result.path)).as_posix()
        except ValueError:  # another drive
            pass
    return f'<a href="{esc(href)}">the power audit of these settings</a>'

