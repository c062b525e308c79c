"""The ``forecast`` command: run, power, fetch, report, compare, sweep, indicators, models.

Errors in the user's input end with one line on stderr and exit code 2 (``--debug`` shows
the traceback). The last line ``forecast run`` prints is the run directory.
"""
from __future__ import annotations

import argparse
import atexit
import difflib
import os
import re
import shlex
import sys
import traceback

from forecast.errors import ForecastError, did_you_mean
from forecast.quiet import quiet_tensorflow

# TensorFlow prints start-up chatter on stderr unless told otherwise before it is imported
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main(argv=None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    if not args.debug:
        quiet_tensorflow()
    try:
        return args.func(args) or 0
    except ForecastError as e:
        if args.debug:
            traceback.print_exc()
        print(f"forecast: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `forecast indicators --all | head`: the reader has enough
        sys.stderr.close()
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as e:  # a full disk, a folder removed or unwritable, ... mid-run
        if args.debug:
            traceback.print_exc()
        where = f" ({e.filename})" if e.filename else ""
        print(f"forecast: error: cannot read or write a file{where}: {e.strerror or e}; "
              "free some space or choose a writable folder (--out), then run again",
              file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{_own_line(args)}forecast: interrupted", file=sys.stderr)
        return 130


def _own_line(args):
    """A line break when a progress bar may have been left unfinished on stderr."""
    return "" if getattr(args, "quiet", False) else "\n"


def experiment_from_args(args):
    """The experiment file of ``args.config`` with the command-line overrides applied; on
    another series than the file's, named after it (:func:`forecast.runs.filed_by_series`)."""
    from forecast import runs
    return runs.filed_by_series(*overridden(args))


def overridden(args):
    """The experiment file of ``args.config`` with the command-line overrides applied, and
    the file's own ticker."""
    from forecast import config
    for flag, example in (("csv", "prices.csv"), ("out", "reports")):
        if getattr(args, flag) is not None and not getattr(args, flag).strip():
            # an empty --csv was ignored (the file's source ran), an empty --out meant "."
            raise ForecastError(f"--{flag} is empty: name a "
                                f"{'file' if flag == 'csv' else 'folder'}, e.g. "
                                f"--{flag} {example}")
    extra = load_plugins(args)  # before the file: it may name their indicators and models
    exp = config.load_experiment(args.config)
    models = None
    if args.models is not None:
        from forecast.models import MODELS
        names = []  # "a,b", "a, b" or "a b"; a registered name with a space stays whole
        for name in (n.strip() for n in args.models.split(",")):
            names += [name] if name in MODELS else name.split()
        if not names:
            raise ForecastError("--models names no model: give a comma-separated list, e.g. "
                                "--models naive,ridge (forecast models lists them)")
        models = {m: exp.models.get(m, {}) for m in names}
    source = args.source or ("csv" if args.csv else None)
    ticker = args.ticker
    if args.csv and not ticker:  # the file's prices are not the experiment's ticker's
        from forecast.csvfile import csv_ticker
        ticker = csv_ticker(args.csv)
    overrides = {
        "data.ticker": ticker, "data.source": source, "data.csv": args.csv,
        "data.date_format": args.date_format, "data.missing": args.missing,
        "data.start": args.start, "data.end": args.end, "training.epochs": args.epochs,
        "split.folds": args.folds, "seed": args.seed, "models": models,
        "plugins": list(dict.fromkeys([*exp.plugins, *extra])) if extra else None}
    return config.override(exp, overrides), exp.data.ticker


def load_plugins(args) -> list[str]:
    """Import the ``--plugin`` files and modules; their resolved names."""
    from forecast import plugins
    specs = [plugins.resolve(p) for p in getattr(args, "plugin", None) or []]
    plugins.load(specs)
    return specs


def cmd_run(args):
    from forecast import runs, walkforward
    exp = experiment_from_args(args)
    if args.resume:
        checkpoint = runs.Checkpoint.latest(exp, args.out)
    else:
        checkpoint = runs.Checkpoint.start(exp, args.out)
    try:
        run = walkforward.run_experiment(exp, progress=not args.quiet, checkpoint=checkpoint)
    except KeyboardInterrupt:
        again = shlex.join(["forecast", *[a for a in args.argv if a != "--resume"],
                            "--resume"])
        print(f"{_own_line(args)}forecast: interrupted; finished folds are kept in "
              f"{checkpoint.path}. Resume with: {again}", file=sys.stderr)
        return 130
    except BaseException:
        if not checkpoint.finished():
            checkpoint.discard()  # nothing worth keeping: leave no trace of a failed start
        raise
    from forecast import report
    try:
        out = runs.save(run, args.out, pages=report.render)
    except ForecastError as e:  # e.g. the disk filled up: the trained folds stay
        raise ForecastError(f"{e}; every fold is kept in {checkpoint.path}: add --resume "
                            "to save the run without training again") from None
    checkpoint.discard()
    report.render_index(args.out)
    _print_summary(run)
    print(out)


def cmd_compare(args):
    from pathlib import Path

    from forecast import report
    if Path(args.output).is_dir():
        raise ForecastError(f"-o {args.output} is a folder: name the page's file, e.g. "
                            f"-o {Path(args.output) / 'compare.html'}")
    run_dirs = {}
    for run_dir in args.run_dirs:
        check_run_dir(run_dir)
        if Path(run_dir).resolve() in run_dirs:
            print(f"note: {run_dir} is named twice: compared once", file=sys.stderr)
        run_dirs.setdefault(Path(run_dir).resolve(), run_dir)
    existed = Path(args.output).is_file()
    path = report.render_compare(list(run_dirs.values()), args.output)
    if existed:
        print(f"note: replaced the earlier {path}", file=sys.stderr)
    print(path)


def cmd_power(args):
    from forecast import data, power, report, runs
    from forecast.ohlcv import fingerprint
    exp = experiment_from_args(args)
    forms, strengths = _names(args.forms), _numbers(args.strengths)
    planted = {s.label for s in power.signals(forms, strengths)}  # a typo ends here
    prices = data.prices_of(exp.data)
    earlier = args.reuse and runs.find_power(args.out, power.key(exp, fingerprint(prices)))
    found = earlier and runs.load_power(earlier["path"])
    same = found and (set(found.table.signal) == planted and found.models == exp.models
                      and power.seeds_of(found.experiment) == power.seeds_of(exp))
    if same:
        path = earlier["path"]
        print(f"note: an audit of these settings on these prices is kept: {path} "
              "(without --reuse a new one runs)", file=sys.stderr)
    else:
        found = power.audit(exp, prices=prices, forms=forms, strengths=strengths,
                            progress=not args.quiet, log=lambda msg: None)
        path = runs.save_power(found, args.out, pages=report.render_power)
    _print_power(found)
    print(path)


def _names(text):
    return None if text is None else [n.strip() for n in text.split(",") if n.strip()]


def _numbers(text):
    if text is None:
        return None
    try:
        return [float(n) for n in _names(text)]
    except ValueError:
        raise ForecastError(f"--strengths takes numbers separated by commas, e.g. 0.1,0.3; "
                            f"got {text}") from None


def _print_power(found):
    """The audit as a table, a planted series a row and a model a column: the share of
    the oracle's gain captured (Theil's U for the control), * where detected."""
    t = found.table
    models = [m for m in dict.fromkeys(t.model) if m != "oracle"]
    width = max(12, *map(len, models))
    print(f"{'planted':<16}{'explained':>10}{'oracle U':>10}"
          + "".join(f"{m:>{width + 2}}" for m in models))
    for signal, g in t.groupby("signal", sort=False):
        by = g.set_index("model")
        cells = []
        for m in models:
            r = by.loc[m]
            text = (f"U {r.theil_u:.4f}" if r.strength == 0 else
                    f"{r.capture:.0%}" if r.capture == r.capture else "-")
            cells.append(f"{text + (' *' if r.detected else '  '):>{width + 2}}")
        print(f"{signal:<16}{by.explained.iloc[0]:>10.2%}{by.oracle_u.iloc[0]:>10.4f}"
              + "".join(cells))
    print("capture: share of the oracle's gain over naive; * detected (Theil's U < 1, "
          "Diebold-Mariano p < 0.05); explained: the planted part's share of the next "
          "day's variance")
    small = found.smallest()
    for m in small.index:
        found_ = [f"{f} {v:.2%}" for f, v in small.loc[m].items() if v == v]
        print(f"smallest detected, {m}: " + (", ".join(found_) if found_ else "none"))


def cmd_sweep(args):
    from forecast import sweep
    return sweep.main(args, *overridden(sweep.base_args(args)))


def cmd_fetch(args):
    """Every ticker is tried; each one's outcome is a line; exit code 2 if any failed."""
    from forecast import data
    failed = 0
    for ticker in args.tickers:
        try:
            prices = data.load_prices(ticker, args.source, start=args.start, end=args.end)
        except ForecastError as e:
            if args.debug:
                traceback.print_exc()
            print(f"forecast: error: {ticker}: {e}", file=sys.stderr)
            failed += 1
            continue
        print(f"{ticker}: {len(prices)} days, {prices.index[0].date()} to "
              f"{prices.index[-1].date()}")
    if failed:
        print(f"forecast: {failed} of {len(args.tickers)} tickers failed", file=sys.stderr)
    return 2 if failed else 0


def cmd_report(args):
    from pathlib import Path

    from forecast import report
    check_run_dir(args.run_dir)
    path = report.render(args.run_dir)
    run_dir = Path(args.run_dir).resolve()
    root = run_dir.parent.parent  # reports/<experiment>/<run-id>
    # the index of a reports folder; none two levels above any folder a run was copied to
    if (root / "index.html").is_file() or re.match(r"\d{8}-\d{6}-", run_dir.name):
        report.render_index(root)
    print(path)


def check_run_dir(path) -> None:
    """Refuse, saying what it is, a path that is no run directory: missing, a file, or a
    folder of runs (reports/ or reports/<experiment>/). A damaged run is runs.load's."""
    from pathlib import Path

    from forecast import runs
    p = Path(path)
    if not p.exists():
        raise ForecastError(f"{path} does not exist: name a run directory, "
                            "reports/<experiment>/<run-id> (forecast run prints it last)")
    if not p.is_dir():
        raise ForecastError(f"{path} is a file, not a run directory: name the folder that "
                            "holds its metrics.json")
    if (p / "metrics.json").exists():
        return
    inside = runs.find(p) or sorted((m.parent for m in p.glob("*/metrics.json")
                                     if not m.parent.name.startswith(".")), reverse=True)
    if inside:
        raise ForecastError(f"{path} holds runs but is not one: name one, "
                            f"e.g. {inside[0]}")


def cmd_indicators(args):
    from forecast import indicators
    load_plugins(args)
    entries = list(indicators.INDICATORS.values())
    if args.all:
        entries += [indicators.resolve(n) for n in indicators.ta_names()
                    if n not in indicators.INDICATORS]
    print(f"{'name':<16} {'scale':<8} {'needs':<22} {'parameters (defaults)':<30} "
          "from, description")
    for ind in entries:
        params = ", ".join(f"{k}={v}" for k, v in ind.defaults.items())
        print(f"{ind.name:<16} {ind.scale or 'inferred':<8} {' '.join(ind.needs):<22} "
              f"{params:<30} {ind.source}: {plain(ind.doc)}")
    if not args.all:
        print("any pandas-ta indicator works by its name too: forecast indicators --all")


def cmd_models(args):
    from forecast.models import MODELS
    load_plugins(args)
    print(f"{'name':<14} {'parameters (defaults)':<28} description")
    for m in MODELS.values():
        params = ", ".join(f"{k}={v}" for k, v in m.defaults.items())
        print(f"{m.name:<14} {params:<28} {plain(m.doc)}")


def plain(doc) -> str:
    """A docstring's text for a terminal: ``code`` and :role:`name` markup dropped."""
    import re
    text = re.sub(r":[a-z]+:`~?([^`]*)`", r"\1", " ".join(str(doc or "").split()))
    return re.sub(r"`{1,2}([^`]*)`{1,2}", r"\1", text)


_LABELS = {"rmse": "RMSE", "mae": "MAE", "directional_accuracy": "dir.acc",
           "theil_u": "Theil U", "dm_pvalue": "DM p", "brier": "Brier",
           "brier_skill": "Brier SS", "roc_auc": "ROC AUC", "qlike": "QLIKE",
           "mz_r2": "MZ R2", "dm_garch_pvalue": "DM p garch"}


def _print_summary(result):
    """The run's headline scores, one row per model, then its verdict in a few lines."""
    table = result.summary()
    cols = list(result.headline)
    width = max(len("model"), *map(len, table.index))
    print(f"{'model':<{width}} " + " ".join(f"{_LABELS.get(c, c):>10}" for c in cols)
          + f" {'wall s':>7}")
    for name, row in table.iterrows():
        cells = " ".join(f"{_number(row.get(c)):>10}" for c in cols)
        print(f"{name:<{width}} {cells} {row.wall_seconds:>7.1f}")
    from forecast.models import deterministic
    side_by_side = sum(not deterministic(n) for n in result.models) > 1
    print(f"walk-forward {result.walkforward_seconds:.1f} s wall clock"
          + (" (the networks' own seconds overlap: they train side by side)"
             if side_by_side else ""))
    for line in verdict_lines(result):
        print(line)


def verdict_lines(result) -> list[str]:
    """What a user runs a backtest for, in a few lines: the best model by the score the
    report ranks by, against the target's baseline, and which models beat each baseline
    significantly (Diebold-Mariano at 5%: the run's own test against the target's baseline,
    the same test on predictions.csv's days against the others)."""
    from forecast.report.scores import ranked_by
    from forecast.targets import TARGETS, outcome
    t = TARGETS[result.experiment.features.target]
    scores = {n: m.scores for n, m in result.models.items()}
    s = ranked_by(t.name)
    if not scores or s is None:
        return []
    base = t.baseline_in(scores)
    label = t.baseline_label if base == t.baseline else "naive persistence"
    finite = {n: v for n, e in scores.items() if (v := _float(e.get(s.key))) == v}
    if not finite:
        return [f"no model has a {s.label}: every forecast failed"]
    top = (min if s.lower else max)(finite, key=finite.get)
    lines = []
    if top == base:
        lines.append(f"best {s.label}: {label}, {_number(finite[top])}; no model has a "
                     f"{'lower' if s.lower else 'higher'} one")
    else:
        said = {"better": "beats it significantly", "worse": "significantly worse",
                "level": "no significant difference"}.get(t.outcome(scores[top], scores),
                                                          "not tested")
        p = t.pvalue(scores[top], scores)
        lines.append(f"best {s.label}: {top} {_number(finite[top])}, {label} "
                     f"{_number(finite.get(base))}: {said}"
                     + (f" (DM {_p(p)})" if p is not None else ""))
    winners = {b: [] for b in [base] + [n for n, m in result.models.items()
                                        if m.is_baseline and n != base]}
    for n, e in scores.items():
        if n != base and t.outcome(e, scores) == "better":
            winners[base].append((n, t.pvalue(e, scores)))
    others = [b for b in winners if b != base]
    if others and result.predictions is not None and len(result.predictions):
        from forecast import paired
        p = result.predictions
        loss = {n: paired.losses(p[p.model == n], t) for n in scores if (p.model == n).any()}
        for b in others:
            for n in loss:
                if n != b and b in loss:
                    stat, pv = paired.test(loss[n], loss[b], result.experiment.features.horizon)
                    if outcome(stat < 0, pv) == "better":
                        winners[b].append((n, pv))
    named = {b: label if b == base else "naive persistence" if b == "naive" else b
             for b in winners}
    nobody = [named[b] for b, won in winners.items() if not won]
    for b, won in winners.items():
        ps = [_p(pv) for _, pv in won]
        if len(won) > 1 and len(set(ps)) == 1:  # "p < 0.001" once, not six times
            listed = f"{', '.join(n for n, _ in won)} ({ps[0]} each)"
        else:
            listed = ", ".join(f"{n} ({p})" for (n, _), p in zip(won, ps))
        if won:
            lines.append(f"beats {named[b]} significantly (DM p < 0.05): {listed}")
    if nobody:
        lines.append(f"nothing beats {_or(nobody)} significantly (DM p < 0.05)")
    return lines


def _float(v) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def _p(p) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _or(names) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _number(v) -> str:
    """A score for the table: '-' when undefined (naive's direction: it predicts no move)."""
    try:
        x = float(v)
    except (TypeError, ValueError):
        return "-"
    return "-" if x != x else f"{x:.4f}" if abs(x) < 1000 else f"{x:,.1f}"


def add_run_options(r):
    """The overrides ``forecast run`` and ``forecast sweep`` share."""
    r.add_argument("--ticker", help="symbol, e.g. ^GSPC, AAPL")
    r.add_argument("--source", choices=["sample", "yahoo", "csv"],
                   help="sample: bundled S&P 500/NASDAQ 1999-2018 (offline); yahoo: download "
                   "via yfinance (cached in data/cache); csv: your file (--csv)")
    r.add_argument("--csv", metavar="PATH", help="price file with a Date and a Close (or Adj "
                   "Close) column, optionally Open, High, Low, Volume; separated by , or ; "
                   "(implies --source csv; the ticker is the file's name unless --ticker)")
    r.add_argument("--date-format", metavar="FORMAT", help="how the CSV's dates and "
                   "--start/--end are written, in strftime codes, e.g. %%d/%%m/%%Y "
                   "(default: YYYY-MM-DD)")
    r.add_argument("--missing", choices=["refuse", "drop"], help="rows of a CSV that lack "
                   "a price: refuse the file (default) or drop them with a note")
    r.add_argument("--start", metavar="YYYY-MM-DD", help="first day of prices to use "
                   "(a year or month alone: its first day)")
    r.add_argument("--end", metavar="YYYY-MM-DD", help="last day of prices to use (a year "
                   "or month alone: its last day)")
    r.add_argument("--epochs", type=int, metavar="N", help="maximum training epochs per fold")
    r.add_argument("--folds", type=int, metavar="K", help="number of walk-forward test folds")
    r.add_argument("--models", metavar="A,B", help="models to compare, e.g. "
                   "single_lstm,stacked_lstm (naive is always included)")
    r.add_argument("--seed", type=int, metavar="S", help="random seed")
    r.add_argument("--out", default="reports", metavar="DIR",
                   help="where run directories go (default: reports)")
    r.add_argument("--quiet", action="store_true", help="no progress bar")


class _Parser(argparse.ArgumentParser):
    """argparse's mistakes (a wrong option, a value that is not a number) as one line and
    exit code 2, like every other error; its usage block is what --help is for."""

    def error(self, message):
        choice = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)$", message)
        if choice:
            choices = re.findall(r"'([^']*)'", choice.group(2))
            message = message[:choice.end(1) + 1] + "." + did_you_mean(choice.group(1),
                                                                       choices)
        unknown = re.match(r"unrecognized arguments: --(\S+)", message)
        if unknown:  # the command's options are its subparser's: look in every parser
            close = difflib.get_close_matches(unknown.group(1),
                                              self._options() - {unknown.group(1)}, n=1)
            message += f'. Did you mean "--{close[0]}"?' if close else ""
        where = f"{self.prog} --help" if " " in self.prog else "forecast COMMAND --help"
        self.exit(2, f"forecast: error: {message} ({where} lists the options)\n")


    def _options(self):
        subparsers = [a for a in self._actions if isinstance(a, argparse._SubParsersAction)]
        parsers = [self, *(p for a in subparsers for p in a.choices.values())]
        return {o[2:] for p in parsers for a in p._actions for o in a.option_strings
                if o.startswith("--")}  # without the dashes, which every name shares


def _parser():
    p = _Parser(
        prog="forecast", description="Honest walk-forward backtests of stock-price "
        "forecasting models, compared with naive persistence (tomorrow = today).")
    p.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    from forecast import __version__
    p.add_argument("--version", action="version", version=f"forecast {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    r = sub.add_parser("run", help="run a backtest from an experiment file",
                       description="Run the walk-forward backtest described by CONFIG and "
                       "write reports/<experiment>/<run-id>/ (metrics.json, predictions.csv, "
                       "experiment.toml, report.html). Options override the file.")
    r.add_argument("config", help="experiment file, e.g. backtests/sp500_single_vs_stacked.toml")
    add_run_options(r)
    r.add_argument("--resume", action="store_true",
                   help="continue the latest interrupted run of this experiment and settings")
    r.set_defaults(func=cmd_run)

    f = sub.add_parser("fetch", help="download prices into the local cache",
                       description="Download daily prices (adjusted) into data/cache so "
                       "later runs work offline.")
    f.add_argument("tickers", nargs="+", metavar="TICKER",
                   help="symbols, e.g. AAPL MSFT ^GSPC")
    f.add_argument("--source", default="yahoo", choices=["sample", "yahoo"],
                   help="yahoo: download via yfinance (default); sample: the bundled "
                   "^GSPC and ^IXIC (offline, nothing to fetch)")
    f.add_argument("--start", metavar="YYYY-MM-DD", help="first day to download")
    f.add_argument("--end", metavar="YYYY-MM-DD", help="last day to download")
    f.set_defaults(func=cmd_fetch)

    rp = sub.add_parser("report", help="re-render a run's report.html",
                        description="Render report.html of RUN_DIR from its files alone.")
    rp.add_argument("run_dir", metavar="RUN_DIR",
                    help="a run directory, reports/<experiment>/<run-id>")
    rp.set_defaults(func=cmd_report)

    c = sub.add_parser("compare", help="one page comparing several runs",
                       description="Write one HTML page comparing RUN_DIRs model by model.")
    c.add_argument("run_dirs", nargs="+", metavar="RUN_DIR",
                   help="run directories, reports/<experiment>/<run-id>")
    c.add_argument("-o", "--output", default="reports/compare.html", metavar="FILE",
                   help="where the page goes (default: reports/compare.html)")
    c.set_defaults(func=cmd_compare)

    sw = sub.add_parser("sweep", help="run every combination of tickers and settings",
                        description="One run per combination of --tickers and --grid values, "
                        "in worker processes or on a Ray cluster; a summary page at the end.")
    sw.add_argument("config", help="experiment file all runs start from")
    sw.add_argument("--tickers", metavar="A,B,C", help="tickers to run (default: the file's)")
    sw.add_argument("--grid", nargs="*", default=[], metavar="KEY=V1,V2",
                    help="settings to vary, e.g. training.epochs=5,10 features.lookback=30,60")
    sw.add_argument("--executor", choices=["local", "ray"], default="local",
                    help="local worker processes (default) or a Ray cluster")
    sw.add_argument("--workers", type=int, metavar="N",
                    help="parallel runs (default: one per core)")
    sw.add_argument("--address", metavar="ADDR", help="Ray cluster address, or 'auto'; "
                    "none starts a local Ray instance")
    add_run_options(sw)
    sw.set_defaults(func=cmd_sweep)

    pw = sub.add_parser("power", help="plant skill in the prices: what do the models find?",
                        description="Plant predictable parts of known form and size in the "
                        "experiment's prices (their own returns with random signs, plus the "
                        "part), run the experiment on each planted series, and print the "
                        "share of an oracle's gain each model captures and the smallest "
                        "part it detects. Writes reports/<experiment>/power/<id>/ "
                        "(power.json, predictions.csv, power.html); runs of the same "
                        "settings saved later say in their verdict what the audit found.")
    pw.add_argument("config", help="experiment file, e.g. backtests/sp500_single_vs_stacked.toml")
    pw.add_argument("--forms", metavar="A,B", help="forms of planted part: linear, threshold "
                    "(default: both)")
    pw.add_argument("--strengths", metavar="S1,S2", help="strengths for every form, between "
                    "0 and 1 (default: linear 0.05,0.1,0.2,0.3; threshold 0.2,0.4)")
    pw.add_argument("--reuse", action="store_true", help="show the newest audit in --out of "
                    "these settings, prices and planted series instead of running one, if "
                    "there is one")
    add_run_options(pw)
    pw.set_defaults(func=cmd_power)

    i = sub.add_parser("indicators", help="list the indicators an experiment can use",
                       description="The registered indicators (forecast's and your plugins'); "
                       "with --all also every pandas-ta indicator, usable by its name.")
    i.add_argument("--all", action="store_true", help="also list pandas-ta's indicators")
    i.set_defaults(func=cmd_indicators)
    m = sub.add_parser("models", help="list the models an experiment can compare",
                       description="The registered models (forecast's and your plugins') "
                       "with their parameters' defaults, usable as [models.NAME].")
    m.set_defaults(func=cmd_models)
    for s in (r, sw, pw, i, m):
        s.add_argument("--plugin", action="append", metavar="PATH_OR_MODULE",
                       help="import a file or module that registers indicators or models "
                       "(repeatable; also plugins = [...] in the experiment file)")
    for s in sub.choices.values():
        s.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help="show tracebacks of errors")
    return p


def entry() -> None:
    """The ``forecast`` command: :func:`main`, then an exit without Python's teardown.

    Once TensorFlow is imported, the interpreter's teardown of every module takes ~0.8 s
    that a finished command does not need. What an exit must do is done first: the exit
    handlers run (Ray's, logging's) and the standard streams are flushed; every file
    forecast writes is already closed (atomic writes). Tests call :func:`main` instead.
    """
    code = main()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # closed, or a reader gone (| head)
            pass
    os._exit(code)


if __name__ == "__main__":
    entry()
