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
import secrets
import shutil
import tempfile
import tomllib
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from forecast import config
from forecast.config import to_toml
from forecast.errors import ForecastError
from forecast.files import publish, remove_stale, temp_dir
from forecast.result import Result
from forecast.targets import TARGETS

PREDICTION_COLUMNS = ["date", "fold", "model", "seed", "y_true", "y_pred", "y_last"]


def slug(name: str) -> str:
    """A file-name-safe form of a user's name (experiment or ticker)."""
    s = re.sub(r"[^A-Za-z0-9._-]+", "_", str(name)).strip("._")
    return s[:60] or "experiment"


def filed_by_series(exp, own_ticker: str):
    """``exp``, renamed ``<experiment>.<ticker>`` when it runs on another series than
    ``own_ticker`` (its experiment file's): a ``--csv``, ``--ticker`` or a sweep's ticker or
    file. Its runs and checkpoints then live in ``reports/<experiment>.<ticker>/``, so one
    experiment's folder never mixes the runs of unrelated series."""
    if exp.data.ticker == own_ticker:
        return exp
    return config.replace(exp, name=f"{exp.name}.{slug(exp.data.ticker)}")


def run_id(exp, data_sha: str, now=None) -> str:
    """``YYYYmmdd-HHMMSS-<hash of the settings and data>-<4 random hex digits>``: sortable
    and telling; the random part keeps apart two runs of one experiment started in the same
    second (in two terminals, or a sweep beside a run)."""
    digest = hashlib.sha256((to_toml(exp) + data_sha).encode()).hexdigest()[:8]
    return f"{(now or datetime.now()):%Y%m%d-%H%M%S}-{digest}-{secrets.token_hex(2)}"


def save(result, out="reports", *, pages=None) -> Path:
    """Write ``result`` (a :class:`forecast.result.Result`) as a run directory; its path.

    ``pages(run_dir) -> None`` may add files (the report) to the directory before it
    appears: runs.py writes data files only, the report package writes HTML.
    """
    out = Path(out)
    check_writable(out)
    if result.power is None:  # what its recipe could have found, when an audit says
        from forecast.power import key
        result.power = find_power(out, key(result.experiment, result.data.sha256))
    rid = run_id(result.experiment, result.data.sha256)
    result.run_id = rid
    result.created = datetime.now().isoformat(timespec="seconds")
    final = out / slug(result.experiment.name) / rid
    try:
        tmp = temp_dir(final.parent, rid)
    except OSError as e:
        raise ForecastError(f"cannot write to {out}: {e.strerror or e}; choose another "
                            "folder with --out") from None
    try:
        (tmp / "metrics.json").write_text(json.dumps(result.metrics, indent=1),
                                          encoding="utf-8")
        result.predictions.to_csv(  # variances need significant digits, not decimals
            tmp / "predictions.csv", index=False, date_format="%Y-%m-%d",
            float_format=TARGETS[result.experiment.features.target].float_format)
        if result.equity is not None:
            result.equity.to_csv(tmp / "equity.csv", index=False, date_format="%Y-%m-%d",
                                 float_format="%.6f")
        (tmp / "experiment.toml").write_text(to_toml(result.experiment), encoding="utf-8")
        if pages is not None:
            pages(tmp)
        publish(tmp, final)  # flushed, then renamed: the run appears whole or not at all
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ForecastError(f"cannot save the run in {final.parent}: {_why(e)}; free some "
                            "space or choose another folder with --out") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    result.path = final
    return final


class Checkpoint:
    """The finished folds of a run in progress, kept so that ``--resume`` can continue it.

    Lives in ``<out>/<experiment>/.unfinished/<started>/`` (outside the finished-runs
    layout) until the run is saved. Each finished fold is one directory, ``fold-NNN/``,
    holding its records and the model states after it; it is filled under a hidden name,
    flushed to the disk and renamed into place, so a kill at any moment leaves a fold
    whole or absent, never the states of one fold beside the records of another.
    """

    def __init__(self, path: Path, exp):
        self.path = Path(path)
        self.settings = to_toml(exp)
        self._lock = None  # open while this process writes the checkpoint (see _hold)

    @classmethod
    def start(cls, exp, out="reports"):
        """A new, empty checkpoint for ``exp``: nothing is written before the first fold."""
        check_writable(out)
        name = f"{datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}"
        folder = Path(out) / slug(exp.name)
        for parent in (Path(out), folder, folder / ".unfinished"):  # what kills left behind
            remove_stale(parent)
        return cls(folder / ".unfinished" / name, exp)

    @classmethod
    def latest(cls, exp, out="reports"):
        """The newest unfinished run of ``exp``; an error if there is none or it differs."""
        root = Path(out) / slug(exp.name) / ".unfinished"
        found = sorted((p for p in root.glob("*/experiment.toml")
                        if not p.parent.name.startswith(".")), key=lambda p: p.parent.name)
        if not found:
            raise ForecastError(f"no unfinished run of {exp.name} in {out} to resume: run "
                                "it without --resume")
        saved = found[-1].read_text(encoding="utf-8")
        if saved != to_toml(exp):
            changed = _changed_lines(saved, to_toml(exp))
            raise ForecastError(f"the unfinished run in {found[-1].parent} used other "
                                f"settings ({changed}): resume with the same settings, or "
                                "run without --resume")
        for parent in (Path(out), root.parent, root, found[-1].parent):  # what kills left
            remove_stale(parent)
        checkpoint = cls(found[-1].parent, exp)
        checkpoint._hold()
        return checkpoint

    def _hold(self):
        """Lock this checkpoint for as long as this process runs (the kernel lets go when
        it ends, killed or not): a second ``--resume`` while the first still trains would
        train the same folds twice and race to save them. The lock file sits beside the
        checkpoint, not in it: saving a fold opens the files in it, and closing any of
        them would drop this process's lock."""
        import fcntl
        if self._lock is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        f = open(self.path.parent / f"{self.path.name}.lock", "a")
        try:  # a POSIX lock: another process's conflicts, this process's own do not
            fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            f.close()
            raise ForecastError(f"the unfinished run in {self.path} is still running in "
                                "another process: let it finish (or stop it), then --resume"
                                ) from None
        self._lock = f

    def _folds(self) -> list[Path]:
        return sorted(p for p in self.path.glob("fold-*") if (p / "records.json").is_file())

    def finished(self) -> dict[int, dict]:
        """Fold number -> what was saved for it (``records``, ``data_sha256``)."""
        out = {}
        for path in self._folds():
            saved = json.loads((path / "records.json").read_text(encoding="utf-8"))
            for r in saved["records"]:
                r["pred"] = np.asarray(r["pred"], dtype="float64")
            out[saved["fold"]] = saved
        return out

    def states(self) -> dict:
        """(model, seed) -> the arrays of its state after the last finished fold."""
        folds = self._folds()
        path = folds[-1] / "states.npz" if folds else None
        if path is None or not path.is_file():
            return {}
        out = {}
        with np.load(path) as z:
            for key in sorted(z.files, key=lambda k: int(k.rsplit("|", 1)[1])):
                name, seed, _ = key.split("|")
                out.setdefault((name, None if seed == "None" else int(seed)), []).append(z[key])
        return out

    def save(self, fold, records, states, data_sha):
        """Keep one finished fold and the model states to continue from, as one unit.

        An I/O error (a full disk, a removed folder) ends in a ForecastError naming the
        folder; the folds saved before it stay for ``--resume``.
        """
        arrays = {f"{name}|{seed}|{i}": a for (name, seed), m in states.items()
                  for i, a in enumerate(getattr(m, "state", list)())}
        saved = {"fold": fold, "data_sha256": data_sha, "records": [
            {**r, "pred": r["pred"].tolist()} for r in records]}
        tmp = None
        try:
            if not self.path.is_dir():  # the checkpoint itself appears whole, settings first
                self._hold()  # before --resume can find it
                tmp = temp_dir(self.path.parent, self.path.name)
                (tmp / "experiment.toml").write_text(self.settings, encoding="utf-8")
                publish(tmp, self.path)
            tmp = temp_dir(self.path, f"fold-{fold:03d}")
            if arrays:
                np.savez(tmp / "states.npz", **arrays)
            (tmp / "records.json").write_text(json.dumps(saved), encoding="utf-8")
            publish(tmp, self.path / f"fold-{fold:03d}")
        except OSError as e:
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
            kept = sorted(self.finished()) if self.path.is_dir() else []
            raise ForecastError(
                f"cannot save fold {fold + 1} in {self.path}: {_why(e)}"
                + (f"; folds {', '.join(str(k + 1) for k in kept)} are kept for --resume"
                   if kept else "")) from None
        for older in self._folds()[:-1]:  # only the newest states are ever read
            (older / "states.npz").unlink(missing_ok=True)

    def discard(self):
        shutil.rmtree(self.path, ignore_errors=True)
        Path(f"{self.path}.lock").unlink(missing_ok=True)
        if self._lock is not None:
            self._lock.close()
            self._lock = None
        for parent in (self.path.parent, self.path.parent.parent):
            try:
                parent.rmdir()  # only when empty: other runs may be unfinished
            except OSError:
                break


def _why(e: OSError) -> str:
    """An OSError in a few words: what went wrong, and with which file."""
    where = f" ({e.filename})" if getattr(e, "filename", None) else ""
    return f"{e.strerror or e}{where}"


def check_writable(out):
    """Refuse an output folder that cannot be created or written, before any work."""
    path = Path(out).absolute()
    existing = next(p for p in [path, *path.parents] if p.exists())
    why = ""
    if existing.is_dir() and os.access(existing, os.W_OK | os.X_OK):
        try:  # permissions can say yes where writing fails (/proc, a read-only mount)
            with tempfile.TemporaryFile(dir=existing):
                return
        except OSError as e:
            why = f" ({e.strerror or e})"
    raise ForecastError(f"cannot write to {out}: {existing} is not a writable folder{why}; "
                        "choose another with --out")


def _changed_lines(a, b):
    diff = [line for line in b.splitlines() if line not in a.splitlines()]
    return "; ".join(diff[:3]) or "different settings"


def load(run_dir, *, predictions=True) -> Result:
    """The :class:`~forecast.result.Result` saved in ``run_dir`` (``predictions=False``
    skips predictions.csv and equity.csv: an empty frame and None instead)."""
    run_dir = Path(run_dir)
    if run_dir.is_file():  # else "damaged": Not a directory: .../metrics.json/metrics.json
        raise ForecastError(f"{run_dir} is a file, not a run directory: name the folder that "
                            f"holds it, {run_dir.parent}")
    try:
        m = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
        p = (pd.read_csv(run_dir / "predictions.csv", parse_dates=["date"]) if predictions
             else pd.DataFrame(columns=PREDICTION_COLUMNS))
        equity = None
        if predictions and (run_dir / "equity.csv").is_file():
            equity = pd.read_csv(run_dir / "equity.csv", parse_dates=["date"])
        exp = _experiment(run_dir / "experiment.toml", m)
    except FileNotFoundError as e:
        inside = find(run_dir) or sorted((f.parent for f in run_dir.glob("*/metrics.json")),
                                         reverse=True)  # reports/ or reports/<experiment>/
        raise ForecastError(f"{run_dir} holds runs but is not one: name one, e.g. "
                            f"{inside[0]}" if inside else f"{run_dir} is not a run directory: "
                            f"{Path(e.filename).name} is missing") from None
    except (ValueError, OSError) as e:
        again = run_dir / "experiment.toml"  # the settings: the run can be repeated
        again = f"; run it again: forecast run {again}" if again.is_file() else ""
        raise ForecastError(f"{run_dir} holds a damaged run: {e}{again}") from None
    if not isinstance(m, dict):
        raise ForecastError(f"{run_dir} holds a damaged run: metrics.json is not an object")
    return Result.from_metrics(m, exp, p, equity, path=run_dir)


def _experiment(path, metrics):
    """The run's experiment; a run written by a version whose settings no longer validate
    (or a plugin or a script's model not loaded now) still opens, with its name, ticker,
    target and models (the target picks the scores its summary and report show)."""
    try:
        return config.from_dict(tomllib.loads(path.read_text(encoding="utf-8")))
    except (ForecastError, tomllib.TOMLDecodeError, FileNotFoundError):
        m = metrics if isinstance(metrics, dict) else {}
        target = m.get("target") if m.get("target") in TARGETS else "return"
        return config.Experiment(
            name=str(m.get("experiment", path.parent.parent.name)),
            features=config.FeatureSpec(target=target),
            models={str(n): {} for n in m.get("models") or {"naive": {}}})


def find(root="reports") -> list[Path]:
    """Every finished run under ``root``, newest first."""
    root = Path(root)
    found = [p.parent for p in root.glob("*/*/metrics.json") if not p.parent.name.startswith(".")]
    return sorted(found, key=lambda p: p.name, reverse=True)


# --- power audits (forecast.power) -------------------------------------------------------


def save_power(power, out="reports", *, pages=None) -> Path:
    """Write a :class:`forecast.power.Power` as ``<out>/<experiment>/power/<id>/``:
    ``power.json`` (the table and its summary), ``predictions.csv`` (every planted run's
    predictions and the oracle's, with a ``signal`` column) and ``experiment.toml``;
    ``pages(dir)`` may add the page. Whole or not at all, as a run."""
    out = Path(out)
    check_writable(out)
    created = datetime.now()
    pid = f"{created:%Y%m%d-%H%M%S}-{power.key[:8]}-{secrets.token_hex(2)}"
    final = out / slug(power.experiment.name) / "power" / pid
    doc = {"schema_version": 1, "kind": "power", "experiment": power.experiment.name,
           "created": created.isoformat(timespec="seconds"), "seconds": power.seconds,
           "innovations_seed": power.innovations_seed, "summary": power.summary(),
           "table": json.loads(power.table.to_json(orient="records"))}
    tmp = temp_dir(final.parent, pid)
    try:
        (tmp / "power.json").write_text(json.dumps(doc, indent=1), encoding="utf-8")
        power.predictions.to_csv(tmp / "predictions.csv", index=False,
                                 date_format="%Y-%m-%d", float_format="%.6f")
        (tmp / "experiment.toml").write_text(to_toml(power.experiment), encoding="utf-8")
        if pages is not None:
            pages(power, tmp)
        publish(tmp, final)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ForecastError(f"cannot save the power audit in {final.parent}: {_why(e)}; "
                            "free some space or choose another folder with --out") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    power.path = final
    return final


def find_power(out, key: str) -> dict | None:
    """The summary of the newest power audit under ``out`` whose key is ``key`` (a run of
    the same prices, features, folds and training), with its ``path`` and ``created``."""
    for path in sorted(Path(out).glob("*/power/*/power.json"), key=lambda p: p.parent.name,
                       reverse=True):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # a damaged audit hides no other
        summary = doc.get("summary") if isinstance(doc, dict) else None
        if isinstance(summary, dict) and summary.get("key") == key:
            return {**summary, "path": str(path.parent), "created": doc.get("created")}
    return None


def load_power(path):
    """The :class:`forecast.power.Power` saved in ``path``."""
    from forecast.power import Power
    path = Path(path)
    try:
        doc = json.loads((path / "power.json").read_text(encoding="utf-8"))
        predictions = pd.read_csv(path / "predictions.csv", parse_dates=["date"])
        exp = config.from_dict(tomllib.loads((path / "experiment.toml")
                                             .read_text(encoding="utf-8")))
    except FileNotFoundError as e:
        raise ForecastError(f"{path} is not a power audit: {Path(e.filename).name} is "
                            "missing") from None
    except (ValueError, OSError, tomllib.TOMLDecodeError) as e:
        raise ForecastError(f"{path} holds a damaged power audit: {e}") from None
    s = doc["summary"]
    power = Power(exp, pd.DataFrame(doc["table"]), predictions, s["key"], s["ticker"],
                  float(doc.get("seconds", 0.0)), int(doc.get("innovations_seed", 0)),
                  {m: dict(v) for m, v in exp.models.items()})
    power.path = path
    power.created = doc.get("created")
    return power
