"""The leak audit, read from what the fits actually received.

Every fit notes the dates of the rows it was given, as it is given them
(:meth:`forecast.models.FoldData.received`): the scalers (``"scaler"``), each model's
training (``"fit"``) and each early-stopping evaluation (``"early_stopping"``). A row's date
is the last day whose price it holds: a window's target day for a sample, the day itself for
a row of prices. :func:`build` gathers those notes per fold and model and :func:`findings`
compares them with the fold's dates from the split: nothing fitted on or after the first
test day, and no network trained on the tail it early-stops on. So a bug that hands a test
row to a scaler, or the validation tail to a network, fails the audit even though the split
arithmetic is right.
"""
from __future__ import annotations

import numpy as np

KINDS = ("scaler", "fit", "early_stopping")


def note(kind: str, dates) -> dict:
    """What one fit received: ``{"kind", "first", "last", "rows"}`` (ISO days)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    d = np.asarray(dates, "datetime64[D]")
    if not len(d):
        return {"kind": kind, "first": None, "last": None, "rows": 0}
    return {"kind": kind, "first": str(d.min()), "last": str(d.max()), "rows": int(len(d))}


def merge(notes) -> dict:
    """Notes of one kind (several epochs, several seeds) as one span and the most rows."""
    spans = [n for n in notes if n["rows"]]
    if not spans:
        return {"first": None, "last": None, "rows": 0}
    return {"first": min(n["first"] for n in spans), "last": max(n["last"] for n in spans),
            "rows": max(n["rows"] for n in spans)}


def build(folds, records) -> list[dict]:
    """Per fold: its dates from the split and what each fit received.

    ``folds``: the fold rows of metrics.json (``fold`` counted from 1, ``test_start``,
    ``validation_start``); ``records``: the walk-forward's per (model, seed) records, each
    with ``fold`` (from 0), ``model`` and ``fits`` (a list of :func:`note`).
    """
    out = []
    for k, f in enumerate(folds):
        mine = [r for r in records if r["fold"] == k]
        scaler = merge(n for r in mine for n in r.get("fits", ()) if n["kind"] == "scaler")
        entry = {"fold": f["fold"], "test_start": f["test_start"],
                 "validation_start": f["validation_start"], "scaler": scaler, "models": {}}
        for name in dict.fromkeys(r["model"] for r in mine):
            notes = [n for r in mine if r["model"] == name for n in r.get("fits", ())]
            entry["models"][name] = {kind: merge(n for n in notes if n["kind"] == kind)
                                     for kind in ("fit", "early_stopping")
                                     if any(n["kind"] == kind for n in notes)}
        out.append(entry)
    return out


def findings(audit_folds) -> list[str]:
    """Every leak the recorded fits show, one sentence each; empty when there is none."""
    out = []
    for f in audit_folds:
        k, test = f["fold"], f["test_start"]
        scaler = f.get("scaler") or {}
        if not scaler.get("rows"):
            out.append(f"fold {k}: no scaler fit was recorded")
        elif scaler["last"] >= test:
            out.append(f"fold {k}: the scalers were fitted on rows up to {scaler['last']}, "
                       f"on or after the first test day {test}")
        for name, fits in f.get("models", {}).items():
            for kind, what in (("fit", "trained on"),
                               ("early_stopping", "early-stopped on")):
                span = fits.get(kind)
                if span and span["rows"] and span["last"] >= test:
                    out.append(f"fold {k}: {name} was {what} rows up to {span['last']}, on "
                               f"or after the first test day {test}")
            fit, stop = fits.get("fit"), fits.get("early_stopping")
            if fit and stop and fit["rows"] and stop["rows"] and fit["last"] >= stop["first"]:
                out.append(f"fold {k}: {name} was trained on its early-stopping tail (rows "
                           f"up to {fit['last']}; the tail starts {stop['first']})")
    return out


def unrecorded(audit_folds, quiet=("naive",)) -> list[str]:
    """Models that recorded no fit (a plug-in that does not say what it fitted on): the
    audit cannot vouch for them. ``quiet``: models that fit on nothing."""
    names = {n for f in audit_folds for n, fits in f.get("models", {}).items()
             if not fits.get("fit")}
    return sorted(names - set(quiet))


def summary(causality: dict, folds, records) -> dict:
    """metrics.json's ``audit``: the indicators' causality check, what every fit of every
    fold received, the leaks found (``findings``) and ``passed``."""
    per_fold = build(folds, records)
    found = findings(per_fold) + [f"indicator {name} failed the causality check"
                                  for name, outcome in causality.items()
                                  if str(outcome).lower() != "passed"]
    return {"indicators": dict(causality), "passed": not found, "findings": found,
            "unrecorded": unrecorded(per_fold), "folds": per_fold}
