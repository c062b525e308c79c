"""Run directories: ``reports/<experiment>/<run-id>/`` written whole or not at all.

A finished run holds ``metrics.json``, ``predictions.csv``, ``experiment.toml`` and
``report.html``. Everything is written into a hidden sibling directory first and renamed
into place last, so a crash or Ctrl-C never leaves a half-written run.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from datetime import datetime
from pathlib import Path

import pandas as pd

from forecast.config import to_toml
from forecast.errors import ForecastError

FILES = ("metrics.json", "predictions.csv", "experiment.toml", "report.html")  # + equity.csv


def slug(name: str) -> str:
    """A file-name-safe form of a user's name (experiment or ticker)."""
    s = re.sub(r"[^A-Za-z0-9._-]+", "_", str(name)).strip("._")
    return s[:60] or "experiment"


def run_id(exp, data_sha: str, now=None) -> str:
    """``YYYYmmdd-HHMMSS-<hash of the settings and data>``: sortable and telling."""
    digest = hashlib.sha256((to_toml(exp) + data_sha).encode()).hexdigest()[:8]
    return f"{(now or datetime.now()):%Y%m%d-%H%M%S}-{digest}"


def save(run, out="reports", *, render=True) -> Path:
    """Write ``run`` (a :class:`forecast.walkforward.Run`) and return its directory."""
    out = Path(out)
    rid = run_id(run.experiment, run.metrics["data"]["sha256"])
    run.metrics["run_id"] = rid
    run.metrics["created"] = datetime.now().isoformat(timespec="seconds")
    final = out / slug(run.experiment.name) / rid
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{rid}.", dir=final.parent))
    except OSError as e:
        raise ForecastError(f"cannot write to {out}: {e.strerror or e}; choose another "
                            "folder with --out") from None
    try:
        (tmp / "metrics.json").write_text(json.dumps(run.metrics, indent=1), encoding="utf-8")
        run.predictions.to_csv(tmp / "predictions.csv", index=False, date_format="%Y-%m-%d",
                               float_format="%.6f")
        if run.equity is not None:
            run.equity.to_csv(tmp / "equity.csv", index=False, date_format="%Y-%m-%d",
                              float_format="%.6f")
        (tmp / "experiment.toml").write_text(to_toml(run.experiment), encoding="utf-8")
        if render:
            from forecast import report
            report.render(tmp)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if render:
        from forecast import report
        report.render_index(out)
    return final


def load(run_dir) -> tuple[dict, pd.DataFrame]:
    """``(metrics, predictions)`` of a run directory."""
    run_dir = Path(run_dir)
    try:
        m = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
        p = pd.read_csv(run_dir / "predictions.csv", parse_dates=["date"])
    except FileNotFoundError as e:
        raise ForecastError(f"{run_dir} is not a run directory: {Path(e.filename).name} is "
                            "missing") from None
    except (ValueError, OSError) as e:
        raise ForecastError(f"{run_dir} holds a damaged run: {e}") from None
    return m, p


def find(root="reports") -> list[Path]:
    """Every finished run under ``root``, newest first."""
    root = Path(root)
    found = [p.parent for p in root.glob("*/*/metrics.json") if not p.parent.name.startswith(".")]
    return sorted(found, key=lambda p: p.name, reverse=True)
