"""The pieces every page is made of: the page shell with its embedded assets, escaping,
numbers for people, table cells, and chart series.

A page asks no other host for anything: uPlot (MIT, vendored in ``forecast/static/``), its
CSS, ``report.js`` (our glue) and the chart numbers (one JSON block) are embedded. Every
piece of user text goes through :func:`esc`; :func:`script_json` escapes ``<`` so no text
can close its ``<script>``.
"""
from __future__ import annotations

import html
import json
import math
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

STATIC = Path(__file__).resolve().parent.parent / "static"
ACTUAL = "#111111"        # the real prices
BASELINE = "#8a8a8a"      # naive persistence: the bar every model must clear
BUY_AND_HOLD = "#333333"
PALETTE = ("#1f6fd1", "#d1495b", "#2a9d5c", "#8e5cc7", "#e08a00", "#1aa3b5", "#8c564b",
           "#d45fb0", "#7f8c1f", "#4d4d9e")
DASHED = [6, 3]           # baselines' lines


# --- the page ----------------------------------------------------------------------------


def page(title: str, body: str, charts: list, nav: str = "", head: str = "") -> str:
    """A whole HTML document: ``body`` in the page's column, ``charts`` (specs for
    ``report.js``) drawn where their ``<div class="chart" id=...>`` are."""
    scripts = ""
    if charts:
        scripts = (f'<script type="application/json" id="report-data">'
                   f'{script_json({"charts": charts})}</script>'
                   f"<script>{static('uPlot.iife.min.js')}</script>"
                   f"<script>{static('report.js')}</script>")
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<link rel="icon" href="data:,">{head}<title>{esc(title)}</title>'
            f"<style>{static('uPlot.min.css')}\n{static('report.css')}</style></head>"
            f"<body>{nav}<main>{body}<p class=note>Written by forecast; charts by uPlot (MIT)."
            f"</p></main>{scripts}</body></html>\n")


@cache
def static(name: str) -> str:
    """A file of ``forecast/static/``, checked to be embeddable."""
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


# --- numbers and cells -------------------------------------------------------------------


def num(v) -> float:
    """``v`` as a float, NaN when it is none."""
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def fmt(v, kind: str) -> str:
    """A number for people: price-like values keep 4 significant digits, shares show as %."""
    x = num(v)
    if not math.isfinite(x):
        return "–"
    if kind == "price":
        a = abs(x)
        digits = 1 if a >= 1000 else 2 if a >= 10 else 3 if a >= 1 else 4 if a >= 0.01 else 6
        return f"{x:,.{digits}f}"
    if kind == "share":
        return f"{x * 100:.1f}"
    if kind == "mape":  # a fraction in metrics.json, shown in percent
        return f"{x * 100:.3f}"
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
    if kind == "sci":  # variances of order 1e-5: significant digits
        return f"{x:.3g}"
    return esc(v)


def count(v) -> str:
    """A count for a table (``1,234``); ``?`` when it is not known."""
    return fmt(v, "count") if v is not None else "?"


def cell(entry: dict, key: str, kind: str, win: bool = False) -> str:
    """A table cell showing ``entry[key]`` (± its ``_std`` sibling); the raw value in
    ``data-value`` so tests and scripts can read the exact number."""
    v = entry.get(key)
    sd = entry.get(f"{key}_std")
    text = fmt(v, kind) + (f'<span class="note"> ± {fmt(sd, kind)}</span>'
                           if sd is not None and math.isfinite(num(sd)) else "")
    raw = "" if v is None else f' data-value="{esc(repr(num(v)))}"'
    return f'<td data-key="{esc(key)}"{raw}{" class=win" if win else ""}>{text}</td>'


def best(entries: dict, key: str, lower: bool = True):
    """The name whose ``key`` is lowest (or highest); ties go to the first listed."""
    scored = [(v if lower else -v, i, n) for i, (n, e) in enumerate(entries.items())
              if math.isfinite(v := num(e.get(key)))]
    return min(scored)[2] if scored else None


def facts(pairs) -> str:
    """A definition list of (label, HTML) pairs."""
    return ('<dl class="facts">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in pairs)
            + "</dl>")


def plain(v) -> str:
    """A setting as short text: lists joined, tables as key=value."""
    if v is None:
        return "–"
    if isinstance(v, (list, tuple)):
        return ", ".join(plain(x) for x in v)
    if isinstance(v, dict):
        return ", ".join(f"{k}={plain(x)}" for k, x in v.items())
    return str(v)


# --- chart series ------------------------------------------------------------------------


def line(label, values, color, decimals, *, spread=None, dash=None, paths=None) -> dict:
    """One chart series; ``spread`` = (low, high) draws a shaded band around it."""
    s = {"label": str(label), "y": rounded(values, decimals), "color": color}
    if dash:
        s["dash"] = dash
    if paths:
        s["paths"] = paths
    if spread is not None:
        s["lo"], s["hi"] = rounded(spread[0], decimals), rounded(spread[1], decimals)
    return s


def rounded(values, decimals) -> list:
    """Plain floats rounded to ``decimals`` (small pages), ``None`` where not finite."""
    a = np.asarray(values, dtype="float64")
    r = np.round(a, decimals)
    return [float(v) if math.isfinite(v) else None for v in r.tolist()]


def decimals(values, significant=6) -> int:
    """Decimals that keep about ``significant`` digits of the largest value."""
    a = np.abs(np.asarray(values, dtype="float64"))
    a = a[np.isfinite(a) & (a > 0)]
    if not len(a):
        return 2
    return int(min(10, max(0, significant - 1 - math.floor(math.log10(a.max())))))


def epoch(dates) -> list[int]:
    """Dates as seconds since 1970, what uPlot's time axis takes."""
    return pd.DatetimeIndex(dates).values.astype("datetime64[s]").astype("int64").tolist()


def colors(models) -> dict:
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
