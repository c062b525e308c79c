"""The sections of a run's report, in page order.

A section is a function ``(result, charts) -> str``: it reads a
:class:`forecast.result.Result`, appends the specs of any chart it draws to ``charts``
(each drawn where the section's ``<div class="chart" id=...>`` is) and returns its HTML;
an empty string leaves the section, and its link in the page's navigation, out (a run
without trading has no trading section). Adding a section is one function and one line
in :data:`SECTIONS`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from forecast.report.sections.audit import audit
from forecast.report.sections.details import details
from forecast.report.sections.errors import errors, prices
from forecast.report.sections.trading import trading
from forecast.report.sections.training import cost, training
from forecast.report.sections.verdict import significance, verdict


@dataclass(frozen=True)
class Section:
    """One section of the report: ``<section id=...><h2>title</h2>...</section>``."""
    id: str
    title: str
    render: Callable[..., str]


SECTIONS = [
    Section("verdict", "Verdict", verdict),
    Section("significance", "Significance", significance),
    Section("prices", "Actual and predicted prices", prices),
    Section("errors", "Where the errors were", errors),
    Section("training", "Training", training),
    Section("cost", "Cost against accuracy", cost),
    Section("trading", "Trading on the forecasts", trading),
    Section("audit", "Leak audit", audit),
    Section("setup", "Run details", details),
]
