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

import numpy as np
import pandas as pd

from forecast.config import to_toml
from forecast.errors import ForecastError
from forecast.files import write_atomic


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
    check_writable(out)
    rid = run_id(run.experiment, run.metrics["data"]["sha256"])
    run.metrics["run_id"] = rid
    run.metrics["created"] = datetime.now().isoformat(timespec="seconds")
    final = out / slug(run.experiment.name) / rid
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{rid}.", dir=final.parent))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it private; a run is for sharing
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


class Checkpoint:
    """The finished folds of a run in progress, kept so that ``--resume`` can continue it.

    Lives in ``<out>/<experiment>/.unfinished/<started>/`` (outside the finished-runs
    layout) until the run is saved; each fold is written whole or not at all.
    """

    def __init__(self, path: Path, exp):
        self.path = Path(path)
        self.settings = to_toml(exp)

    @classmethod
    def start(cls, exp, out="reports"):
        """A new, empty checkpoint for ``exp``: nothing is written before the first fold."""
        check_writable(out)
        name = f"{datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}"
        return cls(Path(out) / slug(exp.name) / ".unfinished" / name, exp)

    @classmethod
    def latest(cls, exp, out="reports"):
        """The newest unfinished run of ``exp``; an error if there is none or it differs."""
        root = Path(out) / slug(exp.name) / ".unfinished"
        found = sorted(root.glob("*/experiment.toml"), key=lambda p: p.parent.name)
        if not found:
            raise ForecastError(f"no unfinished run of {exp.name} in {out} to resume: run "
                                "it without --resume")
        saved = found[-1].read_text(encoding="utf-8")
        if saved != to_toml(exp):
            changed = _changed_lines(saved, to_toml(exp))
            raise ForecastError(f"the unfinished run in {found[-1].parent} used other "
                                f"settings ({changed}): resume with the same settings, or "
                                "run without --resume")
        return cls(found[-1].parent, exp)

    def finished(self) -> dict[int, dict]:
        """Fold number -> what was saved for it (``records``, ``data_sha256``)."""
        out = {}
        for path in sorted(self.path.glob("fold-*.json")):
            saved = json.loads(path.read_text(encoding="utf-8"))
            for r in saved["records"]:
                r["pred"] = np.asarray(r["pred"], dtype="float64")
            out[saved["fold"]] = saved
        return out

    def states(self) -> dict:
        """(model, seed) -> the arrays of its state after the last finished fold."""
        path = self.path / "states.npz"
        if not path.is_file():
            return {}
        out = {}
        with np.load(path) as z:
            for key in sorted(z.files, key=lambda k: int(k.rsplit("|", 1)[1])):
                name, seed, _ = key.split("|")
                out.setdefault((name, None if seed == "None" else int(seed)), []).append(z[key])
        return out

    def save(self, fold, records, states, data_sha):
        """Keep one finished fold (and the model states to continue from)."""
        if not self.path.is_dir():
            self.path.mkdir(parents=True)
            write_atomic(self.path / "experiment.toml", self.settings)
        arrays = {f"{name}|{seed}|{i}": a for (name, seed), m in states.items()
                  for i, a in enumerate(getattr(m, "state", list)())}
        if arrays:
            fd, tmp = tempfile.mkstemp(dir=self.path, suffix=".npz")
            os.close(fd)
            np.savez(tmp, **arrays)
            os.replace(tmp, self.path / "states.npz")
        saved = {"fold": fold, "data_sha256": data_sha, "records": [
            {**r, "pred": r["pred"].tolist()} for r in records]}
        write_atomic(self.path / f"fold-{fold:03d}.json", json.dumps(saved))

    def discard(self):
        shutil.rmtree(self.path, ignore_errors=True)
        for parent in (self.path.parent, self.path.parent.parent):
            try:
                parent.rmdir()  # only when empty: other runs may be unfinished
            except OSError:
                break


def check_writable(out):
    """Refuse an output folder that cannot be created or written, before any work."""
    path = Path(out).absolute()
    existing = next(p for p in [path, *path.parents] if p.exists())
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise ForecastError(f"cannot write to {out}: {existing} is not a writable folder; "
                            "choose another with --out")


def _changed_lines(a, b):
    diff = [line for line in b.splitlines() if line not in a.splitlines()]
    return "; ".join(diff[:3]) or "different settings"


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
