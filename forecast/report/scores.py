"""What runs are ranked and compared by, per target (the pages about several runs and a
sweep's summary read it): the score, whether lower is better, the baseline to beat."""
from __future__ import annotations

from dataclasses import dataclass

from forecast.report.sections.targets import COLUMNS as TARGET_COLUMNS
from forecast.report.sections.targets import LOSS
from forecast.report.sections.verdict import COLUMNS as VERDICT_COLUMNS
from forecast.targets import TARGETS

# the targets whose report is the price one (sections.targets.by_target)
PRICES = ("price", "return")


@dataclass(frozen=True)
class Score:
    """One score as the pages read it: its key in a model's scores, its name for people,
    its :func:`~forecast.report.markup.fmt` kind, and whether lower is better."""
    key: str
    label: str
    kind: str
    lower: bool

    @property
    def better(self) -> str:
        return "lower is better" if self.lower else "higher is better"


def _score(key: str, label: str, columns) -> Score:
    kind, lower = next((kind, lower) for k, _, kind, lower in columns if k == key)
    return Score(key, label, kind, lower)


def ranked_by(target: str) -> Score | None:
    """The score a run's own report picks its best model by: RMSE for prices (the price
    verdict), the target's loss otherwise (:data:`forecast.report.sections.targets.LOSS`:
    the Brier score, QLIKE), lower or higher better as the report's tables say; None for a
    target the report does not know."""
    if target in PRICES:
        return _score("rmse", "RMSE", VERDICT_COLUMNS)
    if target in LOSS:
        return _score(*LOSS[target], TARGET_COLUMNS[target])
    return None


def compared_by(target: str) -> Score | None:
    """The score runs of one target are compared by: for prices Theil's U (RMSE relative
    to naive persistence's, comparable across tickers), otherwise :func:`ranked_by`."""
    if target in PRICES:
        return _score("theil_u", "Theil's U", VERDICT_COLUMNS)
    return ranked_by(target)


def baseline_of(target: str, models) -> str:
    """The model a run's verdict measures the others against (the target's baseline when
    the run has it, else naive), as the run's report does."""
    t = TARGETS.get(target)
    return t.baseline_in(models) if t is not None else "naive"


def mark(target: str, entry: dict, models: dict) -> str:
    """The class of a model's score on the pages about several runs, as its report words
    it: ``ok`` where it beats the run's baseline by the target's own test at 5%, ``fail``
    where it is significantly worse, ``""`` where the difference is not significant, was not
    tested, or the target is unknown. ``entry`` is the model's scores, ``models`` every
    model's of the run."""
    t = TARGETS.get(target)
    return {"better": "ok", "worse": "fail"}.get(t.outcome(entry, models) if t else "", "")


def scored_as(target: str) -> str:
    """How runs of ``target`` are scored, in words."""
    s = compared_by(target)
    if s is None:
        return f"{target} runs have no score the report knows"
    if target in PRICES:
        return (f"{target} runs by RMSE in price units, against naive persistence by Theil's "
                "U (below 1: a lower RMSE)")
    return (f"{target} runs by their {s.label} ({s.better}), against "
            f"{TARGETS[target].baseline_label}")
