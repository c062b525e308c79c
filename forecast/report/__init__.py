"""HTML of finished runs; the only package that writes HTML.

Every page is one file that opens offline and asks no other host for anything (uPlot, its
CSS, our glue and the numbers are embedded, see :mod:`forecast.report.markup`). Pages are
rendered from a :class:`forecast.result.Result`, just run or read back from its directory:

- :func:`render` writes ``report.html`` into a run directory (``forecast report RUN_DIR``
  calls it again on an old run); :func:`html` is the same page in memory, and
  :func:`summary_html` its verdict and main charts for a notebook;
- :func:`render_index` writes ``index.html`` listing every run under a folder, newest first;
- :func:`render_compare` writes one page comparing several runs model by model, and
  :func:`compare_table` is that comparison as a DataFrame;
- :func:`render_sweep_summary` writes the page of a sweep;
- :func:`render_power` writes the page of a power audit (:mod:`forecast.power`).

A run's report is the sections of :data:`forecast.report.sections.SECTIONS`, in order;
sections whose data a run does not hold (significance, trading, seed spreads) are left out.
"""
from __future__ import annotations

from pathlib import Path

from forecast import runs
from forecast.errors import ForecastError
from forecast.files import write_atomic
from forecast.report.markup import esc, page, script_json
from forecast.report.pages import (compare_html, compare_table, render_compare, render_index,
                                   render_sweep_summary)
from forecast.report.power import power_html, render_power
from forecast.report.sections import SECTIONS, Section
from forecast.report.sections.audit import leak_findings
from forecast.report.sections.details import header
from forecast.report.sections.errors import prices
from forecast.report.sections.gain import gain
from forecast.report.sections.verdict import table, verdict_box
from forecast.result import Result

__all__ = ["SECTIONS", "Section", "compare_html", "compare_table", "esc", "html",
           "leak_findings", "power_html", "render", "render_compare", "render_index",
           "render_power", "render_sweep_summary", "script_json", "summary_html"]


def render(result_or_run_dir) -> Path:
    """Write ``report.html`` into the run directory and return its path.

    Takes a run directory (the page is rendered from its files alone) or a saved
    :class:`~forecast.result.Result` (written into its :attr:`~forecast.result.Result.path`).
    """
    result = _result(result_or_run_dir)
    if result.path is None:
        raise ForecastError("this result is not saved yet: save it first "
                            "(result.save() or forecast.runs.save), then render its report")
    return write_atomic(Path(result.path) / "report.html", html(result))


def html(result: Result) -> str:
    """The report of ``result`` as one HTML document (what :func:`render` writes)."""
    charts: list[dict] = []
    parts = [(s, s.render(result, charts)) for s in SECTIONS]
    parts = [(s, content) for s, content in parts if content]
    body = header(result) + "".join(f'<section id="{s.id}"><h2>{s.title}</h2>{content}'
                                    "</section>" for s, content in parts)
    nav = "".join(f'<a href="#{s.id}">{s.title}</a>' for s, _ in parts)
    return page(f"{result.experiment.name} · {result.data.ticker or ''}", body, charts,
                nav=f"<nav>{nav}</nav>")


def summary_html(result: Result, height: int | None = None) -> str:
    """The verdict, the verdict table, the chart of each model's gain over naive
    persistence day by day and the chart of actual and predicted prices, for a notebook
    cell (Jupyter's ``_repr_html_``).

    The fragment is an ``<iframe srcdoc>`` holding a whole page (uPlot and the numbers
    embedded, nothing fetched), so the report's styles and element ids stay out of the
    notebook and several results can be shown in one. ``height`` in pixels; by default
    about what the content needs, and the frame fits itself to it once drawn.
    """
    charts: list[dict] = []
    d = result.data
    body = (f"<p class=sub><b>{esc(result.experiment.name)}</b> · {esc(d.ticker or '?')} · "
            f"prices {esc(d.start or '?')} to {esc(d.end or '?')}</p>"
            + (verdict_box(result) + table(result) if result.models else
               "<p>This run holds no model results.</p>")
            + gain(result, charts) + prices(result, charts))
    doc = page(f"{result.experiment.name} · {d.ticker or ''}", body, charts)
    if height is None:
        height = 260 + 34 * len(result.models) + 470 * len(charts) + (0 if charts else 40)
    return (f'<iframe srcdoc="{esc(doc)}" title="{esc(result.experiment.name)}" '
            f'style="width:100%;height:{int(height)}px;border:0" '
            "onload=\"this.style.height=(this.contentWindow.document.documentElement"
            ".scrollHeight+4)+'px'\"></iframe>")


def _result(result_or_run_dir) -> Result:
    if isinstance(result_or_run_dir, Result):
        return result_or_run_dir
    return runs.load(result_or_run_dir)
