"""Sweeps: one walk-forward run per combination of tickers and settings, many at a time.

``forecast sweep CONFIG --tickers A,B --grid training.epochs=5,10`` turns every combination of
the tickers and the ``--grid`` values into an experiment (the file plus the same overrides as
``forecast run``), runs each with :func:`forecast.walkforward.run_experiment` in a worker
process (``--executor local``) or as a Ray task (``--executor ray``), and saves each one in
its own run directory with :func:`forecast.runs.save`, as ``forecast run`` does.

The sweep keeps its state in ``<out>/<experiment>/sweep-<hash>/`` (``summary.json`` and the
page ``summary.html``), where the hash names the set of combinations: running the same
command again skips every run that finished and retries the ones that failed. A failed run
(its :class:`~forecast.errors.ForecastError` or any other error) becomes one line in the
summary; the others go on.

Results do not depend on the executor: a run is a pure function of its settings (every fold
seeds the networks itself), the workers return the finished :class:`~forecast.result.Result`
and the main process writes every run directory, so a Ray cluster needs no shared disk.
"""
from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import logging
import math
import os
import sys
import time
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as time_of_day
from pathlib import Path

from forecast import config, plugins, runs
from forecast.csvfile import csv_ticker
from forecast.errors import ForecastError, one_line
from forecast.files import write_atomic

# per model in summary.json, besides the target's headline scores: its trading figures
TRADING = ("sharpe", "total_return")


@dataclass(frozen=True)
class Job:
    """One combination: the run's stable key, what varies, and its resolved settings."""
    key: str
    ticker: str
    settings: dict  # the --grid values of this combination, key -> value
    toml: str       # config.to_toml of the experiment: what a worker runs
    plugins: dict = field(default_factory=dict)  # plugin file -> its code, for the worker


# --- combinations ------------------------------------------------------------------------


def parse_grid(items) -> list[tuple[str, list]]:
    """``["training.epochs=5,10", "data.source=sample"]`` -> ``[(key, [values]), ...]``.

    Values are TOML literals, so numbers stay numbers (``5``, ``0.001``), and ``true``,
    ``"text"`` and lists (``[32,16]``) work; a value that is no TOML literal is taken as
    text (``data.source=sample,yahoo``).
    """
    grid, seen = [], set()
    for item in items or ():
        key, eq, text = str(item).partition("=")
        key = key.strip()
        if not eq or not key or not text.strip():
            raise ForecastError(f'--grid "{item}" is not KEY=V1,V2: e.g. --grid '
                                "training.epochs=5,10 features.lookback=30,60")
        if key in seen:
            raise ForecastError(f'--grid names "{key}" twice: give all its values at once, '
                                f"e.g. {key}=V1,V2")
        if key in ("data.ticker", "ticker"):
            raise ForecastError("vary tickers with --tickers A,B,C, not --grid")
        if key == "models":
            raise ForecastError("every run compares all its models: choose them with "
                                "--models A,B and vary a model's settings with --grid "
                                "models.NAME.KEY=V1,V2")
        seen.add(key)
        grid.append((key, parse_values(text)))
    return grid


def parse_values(text: str) -> list:
    """``"5,10"`` -> ``[5, 10]``; ``"[4,4],[8,8]"`` -> two lists; ``"a,b"`` -> two strings."""
    try:
        values = tomllib.loads(f"v = [{text}]")["v"]
    except tomllib.TOMLDecodeError:
        values = []
        for part in text.split(","):
            part = part.strip()
            try:
                values.append(tomllib.loads(f"v = {part}")["v"])
            except tomllib.TOMLDecodeError:
                values.append(part)
    if not values or any(v == "" for v in values):
        raise ForecastError(f'--grid value "{text}" has an empty item')
    values = [_as_text_if_date(v) for v in values]
    unique = []
    for v in values:
        if v not in unique:
            unique.append(v)
    return unique


def _as_text_if_date(value):
    """A TOML date (``data.start=2005-01-03``) as the YYYY-MM-DD text an experiment keeps,
    so that the value prints, saves and compares like any other."""
    if isinstance(value, list):
        return [_as_text_if_date(v) for v in value]
    if isinstance(value, (date, time_of_day)):  # datetime is a date
        return value.isoformat()
    return value


def parse_tickers(text, default: str) -> list[str]:
    """``--tickers A,B``: the tickers in order, once each; ``default`` without the option."""
    if text is None:  # no --tickers; an empty one is refused below
        return [default]
    tickers = []
    for t in str(text).split(","):
        t = t.strip()
        if t and t not in tickers:
            tickers.append(t)
    if not tickers:
        raise ForecastError("--tickers names no ticker: e.g. --tickers ^GSPC,^IXIC")
    return tickers


def run_key(exp: config.Experiment) -> str:
    """A run's identity: the hash of its resolved settings (what ``experiment.toml`` holds)."""
    return _digest(config.to_toml(exp))


def _digest(settings: str) -> str:
    return hashlib.sha256(settings.encode()).hexdigest()[:16]


def combinations(base: config.Experiment, tickers, grid, *, own_ticker=None,
                 named=False) -> list[Job]:
    """Every ticker x grid combination as a :class:`Job`, in order; duplicates once.

    A grid's price file (``data.csv=a.csv,b.csv``) is read as ``--csv`` reads one: source
    csv, and named after the file unless ``named`` (tickers given on the command line). A
    run on another series than ``own_ticker`` (the experiment file's; default the base's)
    is filed apart (:func:`forecast.runs.filed_by_series`).
    """
    own_ticker = base.data.ticker if own_ticker is None else own_ticker
    jobs, keys, exps = [], set(), []
    keys_of_grid = [k for k, _ in grid]
    for ticker in tickers:
        with_ticker = config.override(base, {"data.ticker": ticker})
        for values in itertools.product(*[v for _, v in grid]):
            settings = dict(zip(keys_of_grid, values))
            exp = config.override(with_ticker, {**_as_csv_flag(settings, named), **settings})
            exp = runs.filed_by_series(exp, own_ticker)
            key = run_key(exp)
            if key in keys:
                continue
            keys.add(key)
            exps.append(exp)
            jobs.append(Job(key, exp.data.ticker, settings, config.to_toml(exp),
                            plugins.sources(exp.plugins)))
    _one_name_per_file(exps, named)
    return jobs


def _as_csv_flag(settings: dict, named: bool) -> dict:
    """What ``--csv FILE`` implies, for a combination's ``data.csv``: source csv (unless the
    grid sets the source) and the file's name as its ticker (unless tickers were named)."""
    if "data.csv" not in settings:
        return {}
    source = settings.get("data.source", "csv")
    if source != "csv" or named:
        return {"data.source": source}
    return {"data.source": source, "data.ticker": csv_ticker(settings["data.csv"])}


def _one_name_per_file(exps, named: bool) -> None:
    """Refuse a sweep that would file one price file under several tickers (a CSV holds one
    series) or several files under one ticker: either mixes up the runs of the index."""
    names, files = {}, {}
    for exp in exps:
        if exp.data.source != "csv":
            continue
        path = str(Path(exp.data.csv).expanduser().resolve())
        names.setdefault(path, {}).setdefault(exp.data.ticker, exp.data.csv)
        files.setdefault(exp.data.ticker, {}).setdefault(path, exp.data.csv)
    for tickers in names.values():
        if len(tickers) > 1:
            csv = next(iter(tickers.values()))
            raise ForecastError(f"--tickers {','.join(tickers)} would run {csv} once under "
                                "each name, but a CSV holds one series: sweep several files "
                                "with --grid data.csv=a.csv,b.csv")
    for ticker, paths in files.items():
        if len(paths) > 1:
            a, b = list(paths.values())[:2]
            fix = ("leave out --ticker and --tickers (each run is then named after its file)"
                   if named else "rename one (a run on a CSV is named after its file)")
            raise ForecastError(f"{a} and {b} would both run as {ticker}: {fix}")


def base_args(args):
    """``args`` for the experiment every combination starts from. With ``--grid
    data.csv=...`` the grid's files are the runs' source: ``--source csv`` is applied with
    each of them (alone it would need a file before the grid gives one)."""
    grid = dict(parse_grid(args.grid))
    if "data.csv" not in grid:
        return args
    if args.csv is not None:
        raise ForecastError("--csv and --grid data.csv both name price files: give them all "
                            "in --grid data.csv=a.csv,b.csv")
    if args.source not in (None, "csv") and "data.source" not in grid:
        raise ForecastError(f"--source {args.source} would not read the files of --grid "
                            "data.csv: leave it out")
    return argparse.Namespace(**{**vars(args), "source": None})


# --- one run, in whichever process runs it ------------------------------------------------


def run_job(toml_text: str, plugin_code: dict | None = None) -> dict:
    """Run one experiment (as TOML); return ``{"run": Result}`` or ``{"error": one line}``.

    Runs in a worker process or a Ray task. ``plugin_code`` (file -> code) is imported
    first, so a worker needs no copy of the plugin files. It starts from a clear Keras
    session, so a run's predictions do not depend on what the worker ran before.
    """
    started = time.perf_counter()
    messages: list[str] = []
    try:
        from forecast import walkforward
        plugins.load(list(plugin_code or {}), sources=plugin_code)
        exp = config.from_dict(tomllib.loads(toml_text))
        if "keras" in sys.modules:
            sys.modules["keras"].backend.clear_session()
        run = walkforward.run_experiment(exp, progress=False, log=messages.append)
        return {"run": run, "log": messages, "seconds": time.perf_counter() - started,
                "node": _node()}
    except Exception as e:  # one failed run must not stop the sweep
        return {"error": one_line(e), "log": messages,
                "seconds": time.perf_counter() - started}


def _node():
    """The Ray node this runs on (None outside Ray): the summary says where each run ran."""
    ray = sys.modules.get("ray")
    if ray is None or not ray.is_initialized():
        return None
    return ray.get_runtime_context().get_node_id()


def thread_env(threads: int) -> dict:
    """Environment that caps TensorFlow (and BLAS/OpenMP) at ``threads`` threads a run."""
    n = str(max(1, int(threads)))
    return {"TF_NUM_INTRAOP_THREADS": n, "TF_NUM_INTEROP_THREADS": n, "OMP_NUM_THREADS": n,
            "OPENBLAS_NUM_THREADS": n, "MKL_NUM_THREADS": n,
            "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2")}


def _init_worker(env: dict):
    import signal
    import threading

    from tqdm.auto import tqdm
    os.environ.update(env)  # before TensorFlow is imported in this process
    if env.get("TF_CPP_MIN_LOG_LEVEL") != "0":  # unless TensorFlow's log is asked for
        from forecast.quiet import quiet_tensorflow
        quiet_tensorflow()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    tqdm.set_lock(threading.RLock())  # not tqdm's semaphore, which a stopped worker leaks


# --- executors: yield (job, outcome) as runs finish --------------------------------------


def execute_local(jobs, workers: int, threads: int):
    """Run ``jobs`` in ``workers`` spawned processes (TensorFlow is not fork-safe)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool
    pool = ProcessPoolExecutor(max_workers=max(1, min(workers, len(jobs))),
                               mp_context=multiprocessing.get_context("spawn"),
                               initializer=_init_worker, initargs=(thread_env(threads),))
    try:
        futures = {pool.submit(run_job, job.toml, job.plugins): job for job in jobs}
        for future in as_completed(futures):
            job = futures[future]
            try:
                outcome = future.result()
            except BrokenProcessPool:
                outcome = {"error": "its worker process died (out of memory?); run the "
                           "sweep again to retry it"}
            except Exception as e:  # e.g. a result that cannot be sent back
                outcome = {"error": one_line(e)}
            yield job, outcome
    except BaseException:  # interrupted, or the caller stopped early: stop the workers now
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.terminate()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def execute_ray(jobs, address, workers, threads: int):
    """Run ``jobs`` as Ray tasks: on the cluster at ``address`` (``auto``: the one this
    machine belongs to), in a Ray instance this process already joined, or in a new local
    instance. At most ``workers`` runs are in flight (None: as many as the cluster takes)."""
    try:
        import ray
    except ImportError:
        raise ForecastError('--executor ray needs Ray: pip install "forecast[ray]" (or '
                            '"ray[default]"), or use --executor local') from None
    started_here = False
    waiting, in_flight = list(jobs), {}
    if not ray.is_initialized():
        import forecast
        # ship this very package to the workers: every node runs the code this sweep runs
        # (the other dependencies must be installed there)
        job_env = {"py_modules": [str(Path(forecast.__file__).parent)]}
        try:
            if address:
                ray.init(address=address, runtime_env=job_env, log_to_driver=False,
                         logging_level=logging.WARNING)
            else:
                ray.init(num_cpus=workers or None, include_dashboard=False,
                         runtime_env=job_env, log_to_driver=False,
                         logging_level=logging.WARNING)
        except (ConnectionError, RuntimeError, ValueError) as e:
            where = f"at {address}" if address else "(starting a local instance)"
            raise ForecastError(f"cannot reach a Ray cluster {where}: {one_line(e)}; start "
                                "one with ray start --head, or use --executor local") from None
        started_here = True
    try:
        # a task whose node or worker died is run again elsewhere (a run is a pure
        # function of its settings); an error inside a run is an outcome, not retried
        task = ray.remote(run_job).options(num_cpus=threads, max_retries=3,
                                           runtime_env={"env_vars": thread_env(threads)})
        while waiting or in_flight:
            # as many runs in flight as --workers, or as the cluster has CPUs for now
            limit = workers or max(1, int(ray.cluster_resources().get("CPU", 1) // threads))
            while waiting and len(in_flight) < limit:
                job = waiting.pop(0)
                in_flight[task.remote(job.toml, job.plugins)] = job
            ready, _ = ray.wait(list(in_flight), num_returns=1)
            job = in_flight.pop(ready[0])
            try:
                outcome = ray.get(ready[0])
            except Exception as e:  # the task's worker died, or the cluster went away
                outcome = {"error": one_line(e)}
            yield job, outcome
    finally:
        for ref in in_flight:  # stopped early: nothing more runs for this sweep
            try:
                ray.cancel(ref, force=True)
            except Exception:  # the cluster is gone already
                pass
        if started_here:
            ray.shutdown()


# --- the sweep ---------------------------------------------------------------------------


def sweep_dir(base: config.Experiment, jobs, out) -> Path:
    """``<out>/<experiment>/sweep-<hash of the combinations>``: the same command, same dir."""
    digest = hashlib.sha256("\n".join(sorted(j.key for j in jobs)).encode()).hexdigest()[:10]
    return Path(out) / runs.slug(base.name) / f"sweep-{digest}"


def headline(result) -> dict:
    """Model -> its headline numbers: the target's scores (Theil's U, errors, DM p-value for
    prices), the one the summary ranks by, the spread of Theil's U over seeds, the trading
    Sharpe ratio and return."""
    from forecast.report.scores import compared_by
    ranked = compared_by(result.experiment.features.target)
    keys = dict.fromkeys([*result.headline, *([ranked.key] if ranked else []), "theil_u",
                          "rmse", "mae", "mape"])
    out = {}
    for name, m in result.models.items():
        row = {k: _finite(m.scores.get(k)) for k in keys if k in m.scores}
        if "theil_u_std" in m.scores:
            row["theil_u_std"] = _finite(m.scores["theil_u_std"])
        row.update({k: _finite((m.trading or {}).get(k)) for k in TRADING})
        out[name] = row
    return out


def main(args, base: config.Experiment, own_ticker=None) -> int:
    """``forecast sweep``: run every combination, write the summary, print its path last.

    ``own_ticker``: the experiment file's (default the base's); runs on other series are
    filed apart. Exit code 0 when every run finished, 1 when some failed, 2 for errors in
    the input (before any run starts), 130 when interrupted (finished runs are kept).
    """
    tickers = parse_tickers(args.tickers, base.data.ticker)
    grid = parse_grid(args.grid)
    named = args.tickers is not None or args.ticker is not None
    jobs = combinations(base, tickers, grid, own_ticker=own_ticker, named=named)
    workers = args.workers
    if workers is not None and workers < 1:
        raise ForecastError(f"--workers must be at least 1, got {workers}")
    if args.address and args.executor != "ray":
        raise ForecastError("--address names a Ray cluster: add --executor ray")
    cores = os.cpu_count() or 1
    runs.check_writable(args.out)
    folder = sweep_dir(base, jobs, args.out)
    finished = finished_runs(folder)
    summary = {
        "sweep": base.name, "config": str(args.config), "folder": str(folder),
        "command": ["forecast", *getattr(args, "argv", [])], "executor": args.executor,
        "address": args.address, "workers": workers, "cores": cores,
        "tickers": list(dict.fromkeys(j.ticker for j in jobs)),  # a grid's files' too
        "grid": {k: v for k, v in grid},
        "started": datetime.now().isoformat(timespec="seconds"),
        "runs": [], "counts": {}}
    entries = {}
    for job in jobs:
        if job.key in finished:
            entries[job.key] = {**finished[job.key], "ticker": job.ticker,
                                "settings": job.settings, "skipped": True}
        else:
            entries[job.key] = {"key": job.key, "ticker": job.ticker,
                                "settings": job.settings, "status": "pending"}
        # what the run forecasts: the summary scores and ranks each run by its own target
        entries[job.key]["target"] = _target(job)
    pending = [j for j in jobs if entries[j.key]["status"] == "pending"]
    skipped = len(jobs) - len(pending)

    if args.executor == "ray":
        threads = 1  # a task a CPU; --workers (if given) caps the runs in flight
    else:
        workers = workers or cores
        threads = max(1, cores // workers)
    summary.update(workers=workers, threads_per_run=threads)

    started = time.perf_counter()
    write = _tqdm_write if not args.quiet else (lambda msg: None)
    if skipped:
        write(f"sweep: {skipped} of {len(jobs)} runs already finished in {folder}; "
              "running the rest")
    _count(summary, entries, jobs, started)
    bar = _bar(len(jobs), skipped, _progress(summary["counts"]), args.quiet)

    def record(job, outcome):
        entry = entries[job.key]
        entry["seconds"] = round(outcome.get("seconds", 0.0), 3)
        for msg in outcome.get("log", ()):
            write(f"{job.ticker}: {msg}")
        if "run" in outcome:
            try:
                run_dir = _save(outcome["run"], args.out)
            except (ForecastError, OSError) as e:
                outcome = {"error": f"could not save the run: {one_line(e)}"}
            else:
                entry.update(status="done", error=None, node=outcome.get("node"),
                             run_dir=_rel(run_dir, folder),
                             models=headline(outcome["run"]))
                entry.pop("skipped", None)
        if "error" in outcome:
            entry.update(status="failed", error=outcome["error"])
            write(f"failed: {_label(job)}: {outcome['error']}")
        _count(summary, entries, jobs, started)
        bar.set_description_str(_progress(summary["counts"]), refresh=False)
        bar.update(1)
        _write(folder, summary, entries, jobs)

    interrupted = False
    _write(folder, summary, entries, jobs)
    try:
        if pending:
            if args.executor == "ray":
                results = execute_ray(pending, args.address, workers, threads)
            else:
                results = execute_local(pending, workers, threads)
            try:
                for job, outcome in results:
                    record(job, outcome)
            finally:
                results.close()
    except KeyboardInterrupt:
        interrupted = True
    finally:
        bar.close()
        _count(summary, entries, jobs, started)
        page = _write(folder, summary, entries, jobs)
        _render_index(args.out)
    c = summary["counts"]
    if interrupted:
        print(f"forecast: sweep interrupted; {c['done']} of {c['runs']} runs are finished. "
              "Run the same command again to do the rest.", file=sys.stderr)
        return 130
    if not args.quiet or c["failed"]:
        _print_table(summary)
    print(page)
    return 1 if c["failed"] else 0


# --- helpers -----------------------------------------------------------------------------


def _save(run, out) -> Path:
    """Write the run directory (in this process, whichever machine ran it)."""
    run_dir = runs.save(run, out)
    try:
        from forecast import report
        report.render(run_dir)
    except Exception as e:  # the run's files are complete; only its page is missing
        _tqdm_write(f"warning: {run_dir}: report.html not written ({one_line(e)}); "
                    f"try forecast report {run_dir}")
    return run_dir


def _render_index(out):
    try:
        from forecast import report
        report.render_index(out)
    except Exception as e:
        _tqdm_write(f"warning: {out}/index.html not updated ({one_line(e)})")


def finished_runs(folder: Path) -> dict:
    """Key -> summary entry of every finished run that a sweep of this experiment recorded
    (``folder`` first, then its sibling ``sweep-*`` folders), ``run_dir`` relative to
    ``folder``. A run counts only while its directory holds the very same settings."""
    found: dict = {}
    summaries = sorted(folder.parent.glob("sweep-*/summary.json"),
                       key=lambda p: (p.parent.name != folder.name, p.parent.name))
    for path in summaries:
        try:
            saved = json.loads(path.read_text(encoding="utf-8")).get("runs", [])
        except (OSError, ValueError, AttributeError):
            continue  # unreadable: as if it were not there
        for r in saved if isinstance(saved, list) else ():
            if not isinstance(r, dict) or r.get("status") != "done" or r.get("key") in found:
                continue
            run_dir = path.parent / str(r.get("run_dir", ""))
            try:
                settings = (run_dir / "experiment.toml").read_text(encoding="utf-8")
            except OSError:
                continue  # deleted since: run it again
            if (run_dir / "metrics.json").is_file() and _digest(settings) == r["key"]:
                found[r["key"]] = {**r, "run_dir": _rel(run_dir, folder)}
    return found


def _write(folder: Path, summary: dict, entries: dict, jobs) -> Path:
    """Write ``summary.json`` and ``summary.html`` (after every finished run)."""
    from forecast import report
    folder.mkdir(parents=True, exist_ok=True)
    summary["updated"] = datetime.now().isoformat(timespec="seconds")
    summary["runs"] = [_clean(entries[j.key]) for j in jobs]
    models: list[str] = []
    for r in summary["runs"]:
        models += [m for m in r.get("models", {}) if m not in models]
    summary["models"] = models
    write_atomic(folder / "summary.json",
                 json.dumps(summary, indent=1, allow_nan=False, default=str))
    return report.render_sweep_summary(summary, folder / "summary.html")


def _clean(entry: dict) -> dict:
    out = dict(entry)
    if out.get("run_dir"):
        out["report"] = f"{out['run_dir']}/report.html"
    return out


def _count(summary, entries, jobs, started):
    status = [entries[j.key]["status"] for j in jobs]
    summary["counts"] = {"runs": len(jobs), "done": status.count("done"),
                         "failed": status.count("failed"), "left": status.count("pending"),
                         "skipped": sum(1 for j in jobs if entries[j.key].get("skipped"))}
    summary["elapsed_seconds"] = round(time.perf_counter() - started, 1)


def _progress(c):
    return f"sweep: {c['done']} done, {c['failed']} failed, {c['left']} left"


def _bar(total, initial, desc, quiet):
    from tqdm.auto import tqdm
    return tqdm(total=total, initial=initial, disable=quiet, file=sys.stderr, unit="run",
                desc=desc, dynamic_ncols=True,
                bar_format="{desc} |{bar}| {n_fmt}/{total_fmt} runs "
                "[{elapsed} elapsed, about {remaining} to go]")


def _tqdm_write(msg):
    from tqdm.auto import tqdm
    tqdm.write(msg, file=sys.stderr)


def _label(job: Job) -> str:
    return " ".join([job.ticker, *[f"{k}={_show(v)}" for k, v in job.settings.items()]])


def _show(v) -> str:
    return json.dumps(v) if not isinstance(v, str) else v


def _rel(path: Path, folder: Path) -> str:
    return Path(os.path.relpath(Path(path).resolve(), folder.resolve())).as_posix()


def _finite(v):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return float(v) if math.isfinite(v) else None


def _target(job: Job) -> str:
    return tomllib.loads(job.toml).get("features", {}).get("target", "return")


def _print_table(summary):
    from forecast.report.scores import PRICES, compared_by
    models = summary["models"]
    width = max([len(_row_label(r)) for r in summary["runs"]] + [10])
    targets = list(dict.fromkeys(r.get("target") or "return" for r in summary["runs"]))
    scores = {t: compared_by(t) for t in targets}
    # "below 1" is a lower RMSE, not a win: that needs the test (the summary page's colours)
    if all(t in PRICES for t in targets):
        about = "Theil's U: below 1 a lower RMSE than naive"
    else:  # each run by its own target's score, as its report ranks its models
        about = "; ".join(f"{t}: Theil's U, below 1 a lower RMSE than naive" if t in PRICES else
                          f"{t}: {s.label}, {s.better}" if s else f"{t}: no score"
                          for t, s in scores.items())
        if len(targets) > 1:
            about += "; runs of different targets are not comparable"
    print(f"{'run':<{width}} " + " ".join(f"{m[:12]:>12}" for m in models)
          + f"   ({about})")
    for r in summary["runs"]:
        if r["status"] == "done":
            cells = []
            s = scores[r.get("target") or "return"]
            for m in models:
                u = r.get("models", {}).get(m, {}).get(s.key) if s else None
                cells.append(f"{u:>12.4f}" if u is not None else f"{'-':>12}")
            print(f"{_row_label(r):<{width}} " + " ".join(cells))
        else:
            print(f"{_row_label(r):<{width}} {r['status']}: {r.get('error') or ''}")
    c = summary["counts"]
    print(f"{c['done']} of {c['runs']} runs finished, {c['failed']} failed "
          f"({c['skipped']} reused from before), {summary['elapsed_seconds']:.0f} s")


def _row_label(r) -> str:
    return " ".join([r["ticker"], *[f"{k}={_show(v)}" for k, v in r["settings"].items()]])
