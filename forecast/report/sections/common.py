"""What several sections read from a Result in the same way."""
from __future__ import annotations

from pathlib import Path

from forecast.config import to_toml
from forecast.report.markup import epoch


def row(m) -> dict:
    """A :class:`~forecast.result.ModelResult` as a table row: its scores, time and size."""
    return {**m.scores, "wall_seconds": m.wall_seconds, "params": m.params}


def rows(result) -> dict:
    """Model name -> :func:`row`, naive first."""
    return {n: row(m) for n, m in result.models.items()}


def predictions(result):
    """The run's predictions, None when none were recorded (or read)."""
    p = result.predictions
    return p if p is not None and len(p) else None


def model_names(result) -> list[str]:
    """The models that have predictions, in the run's order."""
    p = predictions(result)
    present = set(p.model.unique()) if p is not None else set()
    return [n for n in result.models if n in present] or sorted(present)


def is_baseline(result, name) -> bool:
    m = result.models.get(name)
    return m is None or m.is_baseline


def fold_marks(result) -> list[dict]:
    """Where each fold's test period starts, for the dashed lines of time charts."""
    return [{"x": epoch([f.test_start])[0], "label": f"fold {f.fold}"}
            for f in result.folds if f.test_start]


def has_std(result) -> bool:
    """Whether scores carry a spread over seeds."""
    return any(k.endswith("_std") for m in result.models.values() for k in m.scores)


def several_seeds(p) -> bool:
    return bool((p.groupby("model").seed.nunique() > 1).any())


def strategy(name: str) -> str:
    return "buy and hold" if name == "buy_and_hold" else name


def experiment_text(result) -> str:
    """The run's settings as TOML: its experiment.toml as written when the run directory
    has one, else the experiment written out."""
    if result.path is not None:
        try:
            return (Path(result.path) / "experiment.toml").read_text(encoding="utf-8")
        except OSError:
            pass
    return to_toml(result.experiment)
