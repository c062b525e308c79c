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
from forecast.report.sections.gain import gain
from forecast.report.sections.trading import trading
from forecast.report.sections.training import cost, training
from forecast.report.sections.verdict import significance, verdict
from forecast.report.sections import targets
from forecast.report.sections.targets import by_target


@dataclass(frozen=True)
class Section:
    """One section of the report: ``<section id=...><h2>title</h2>...</section>``."""
    id: str
    title: str
    render: Callable[..., str]


SECTIONS = [
    # by_target: the price sections for price and return, the target's own for the others
    Section("verdict", "Verdict", by_target(verdict, targets.verdict)),
    # the picture of the verdict: who was better than the baseline, and when
    Section("gain", "Against the baseline, day by day", gain),
    Section("significance", "Significance", by_target(significance, targets.significance)),
    Section("prices", "Actual and predicted prices", by_target(prices, None)),
    Section("forecasts", "Forecasts against what happened", by_target(None, targets.forecasts)),
    Section("errors", "Where the errors were", by_target(errors, targets.folds)),
    Section("training", "Training", training),
    Section("cost", "Cost against accuracy", by_target(cost, targets.cost)),
    Section("trading", "Trading on the forecasts", trading),
    Section("audit", "Leak audit", audit),
    Section("setup", "Run details", details),
]
