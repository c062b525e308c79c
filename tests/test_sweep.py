"""forecast sweep: combinations, the local and Ray executors, the summary, restarts.

The two-ticker sweep (^GSPC, ^IXIC from the sample source, tiny networks) runs once with the
local executor and once on a Ray instance this module starts; the tests compare the two.
"""
import html
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from forecast import cli, sweep
from forecast.errors import ForecastError, one_line

TICKERS = ("^GSPC", "^IXIC")


@pytest.fixture(scope="module")
def tiny_toml(tiny_toml_file):
    return tiny_toml_file("tiny")


def run_sweep(config, out, *options):
    return cli.main(["sweep", str(config), "--out", str(out), "--quiet", *options])


def summary_of(out, name="tiny"):
    pages = sorted((Path(out) / name).glob("sweep-*/summary.json"))
    assert len(pages) == 1, pages
    return pages[0].parent, json.loads(pages[0].read_text())


def run_dirs(out, name="tiny"):
    """The runs of experiment ``name``: its own ticker's and other series' (``name.TICKER``)."""
    return sorted(p.parent for folder in (name, f"{name}.*")
                  for p in Path(out).glob(f"{folder}/*/metrics.json"))


@pytest.fixture(scope="module")
def local_out(tiny_toml, tmp_path_factory):
    """The two-ticker sweep in two local worker processes."""
    out = tmp_path_factory.mktemp("local")
    assert run_sweep(tiny_toml, out, "--tickers", ",".join(TICKERS), "--workers", "2") == 0
    return out


@pytest.fixture(scope="module")
def ray_instance(ray_module):
    """One local Ray instance for the module (it takes seconds to start)."""
    ray = ray_module
    import forecast
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"py_modules": [str(Path(forecast.__file__).parent)]})
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def ray_out(tiny_toml, tmp_path_factory, ray_instance):
    """The same sweep as Ray tasks on the instance the test started."""
    out = tmp_path_factory.mktemp("ray")
    assert run_sweep(tiny_toml, out, "--tickers", ",".join(TICKERS), "--executor", "ray",
                     "--workers", "2") == 0
    assert ray_instance.is_initialized()  # the sweep used the test's instance and left it
    return out


# --- end to end --------------------------------------------------------------------------


def test_local_and_ray_sweeps_give_identical_predictions(local_out, ray_out):
    _, local = summary_of(local_out)
    _, remote = summary_of(ray_out)
    assert [r["ticker"] for r in local["runs"]] == list(TICKERS)
    assert [r["key"] for r in local["runs"]] == [r["key"] for r in remote["runs"]]
    assert remote["executor"] == "ray" and local["executor"] == "local"
    def predictions(out):  # the settings of each run -> its predictions, byte for byte
        return {(d / "experiment.toml").read_text(): (d / "predictions.csv").read_bytes()
                for d in run_dirs(out)}
    here, there = predictions(local_out), predictions(ray_out)
    assert len(here) == 2 and here.keys() == there.keys()
    for settings in here:
        assert here[settings] == there[settings]
    for a, b in zip(local["runs"], remote["runs"]):
        assert a["models"] == b["models"]


def test_one_summary_page_lists_both_tickers_and_links_each_report(local_out):
    folder, summary = summary_of(local_out)
    assert summary["counts"] == {"runs": 2, "done": 2, "failed": 0, "left": 0, "skipped": 0}
    assert summary["models"] == ["naive", "single_lstm"]
    page = (folder / "summary.html").read_text()
    for ticker in TICKERS:
        assert ticker in page
    for r in summary["runs"]:
        assert r["status"] == "done" and r["error"] is None
        assert (folder / r["report"]).is_file()  # the link resolves to the run's report
        assert f'href="{r["report"]}"' in page
        assert r["models"]["naive"]["theil_u"] == pytest.approx(1.0)
        # Theil's U coloured by its test against naive: green significantly below 1, red
        # significantly above, plain where the difference is not significant
        u, p = (r["models"]["single_lstm"][k] for k in ("theil_u", "dm_pvalue"))
        cell = re.search(rf'data-value="{re.escape(repr(u))}"><span class="(\w*)"', page)
        assert cell and cell.group(1) == ("" if p >= 0.05 else "ok" if u < 1 else "fail")


def test_restart_skips_finished_runs_and_reports_a_failed_one(local_out, tiny_toml):
    before = run_dirs(local_out)
    # the same command again: nothing to do
    assert run_sweep(tiny_toml, local_out, "--tickers", ",".join(TICKERS)) == 0
    assert run_dirs(local_out) == before
    _, again = summary_of(local_out)
    assert again["counts"]["skipped"] == 2
    # a watch-list that grew by a ticker the sample source lacks: the two finished runs
    # are reused, the new one fails with its one-line error, the sweep reports it
    assert run_sweep(tiny_toml, local_out, "--tickers", ",".join([*TICKERS, "AAPL"]),
                     "--workers", "2") == 1
    assert run_dirs(local_out) == before
    pages = sorted((Path(local_out) / "tiny").glob("sweep-*/summary.json"))
    assert len(pages) == 2  # another set of combinations: another sweep folder
    grown = next(json.loads(p.read_text()) for p in pages if "AAPL" in p.read_text())
    assert grown["counts"] == {"runs": 3, "done": 2, "failed": 1, "left": 0, "skipped": 2}
    failed = grown["runs"][2]
    assert failed["ticker"] == "AAPL" and failed["status"] == "failed"
    assert 'no ticker "AAPL"' in failed["error"] and "\n" not in failed["error"]
    page = next(p for p in pages if "AAPL" in p.read_text()).with_name("summary.html")
    assert html.escape(failed["error"]) in page.read_text()  # the error, as text


def test_grid_sweep_runs_every_combination(tiny_toml, tmp_path, capsys):
    rc = run_sweep(tiny_toml, tmp_path, "--models", "naive", "--tickers", "^GSPC",
                   "--grid", "features.lookback=10,20", "seed=7", "--workers", "2")
    assert rc == 0
    folder, summary = summary_of(tmp_path)
    assert summary["grid"] == {"features.lookback": [10, 20], "seed": [7]}
    assert [r["settings"] for r in summary["runs"]] == [
        {"features.lookback": 10, "seed": 7}, {"features.lookback": 20, "seed": 7}]
    lookbacks = sorted(json.loads((d / "metrics.json").read_text())["lookback"]
                       for d in run_dirs(tmp_path))
    assert lookbacks == [10, 20]
    assert capsys.readouterr().out.strip().splitlines()[-1] == str(folder / "summary.html")


# --- combinations and input errors (no runs) ---------------------------------------------


def test_grid_values_are_toml_literals():
    assert sweep.parse_grid(["training.epochs=5,10", "training.learning_rate=0.01",
                             "data.source=sample,yahoo", "trading.long_short=true,false",
                             "models.stacked_lstm.units=[8,4],[16,8]"]) == [
        ("training.epochs", [5, 10]), ("training.learning_rate", [0.01]),
        ("data.source", ["sample", "yahoo"]), ("trading.long_short", [True, False]),
        ("models.stacked_lstm.units", [[8, 4], [16, 8]])]
    assert sweep.parse_values("1,1,2") == [1, 2]  # a repeated value runs once


@pytest.mark.parametrize("item, message", [
    ("training.epochs", "is not KEY=V1,V2"),
    ("training.epochs=", "is not KEY=V1,V2"),
    ("data.ticker=A,B", "--tickers"),
    ("models=naive,gru", "--models"),
    ("training.epochs=5,,6", "empty item"),
])
def test_bad_grid_items_are_refused(item, message):
    with pytest.raises(ForecastError, match=message):
        sweep.parse_grid([item])


def test_combinations_apply_dotted_keys_and_model_settings(tiny_experiment):
    grid = sweep.parse_grid(["training.epochs=2,3", "models.single_lstm.units=4,8", "seed=5"])
    jobs = sweep.combinations(tiny_experiment, ["^GSPC", "^IXIC"], grid)
    assert len(jobs) == 2 * 2 * 2 and len({j.key for j in jobs}) == 8
    from forecast import config
    import tomllib
    exp = config.from_dict(tomllib.loads(jobs[-1].toml))
    assert (exp.data.ticker, exp.training.epochs, exp.models["single_lstm"]["units"],
            exp.seed) == ("^IXIC", 3, 8, 5)
    assert jobs[-1].settings == {"training.epochs": 3, "models.single_lstm.units": 8,
                                 "seed": 5}
    # the same settings are the same run, whichever way they were reached
    assert sweep.combinations(tiny_experiment, ["^IXIC"], [], own_ticker="^GSPC")[0].key == \
        sweep.run_key(config.replace(tiny_experiment, **{"data.ticker": "^IXIC",
                                                         "name": "tiny.IXIC"}))


def test_invalid_settings_stop_the_sweep_before_any_run(tiny_toml, tmp_path, capsys):
    assert run_sweep(tiny_toml, tmp_path, "--grid", "training.epoch=1,2") == 2
    assert 'Did you mean "epochs"' in capsys.readouterr().err
    assert run_sweep(tiny_toml, tmp_path, "--grid", "training.epochs=-1") == 2
    assert run_sweep(tiny_toml, tmp_path, "--grid", "models.gru.units=4") == 2
    assert run_sweep(tiny_toml, tmp_path, "--workers", "0") == 2
    assert run_sweep(tiny_toml, tmp_path, "--address", "auto") == 2  # needs --executor ray
    assert not list(tmp_path.iterdir())


def test_failed_run_is_one_line_and_ray_is_imported_only_when_used(tiny_toml):
    out = sweep.run_job(tiny_toml.read_text().replace('ticker = "^GSPC"', 'ticker = "MSFT"'))
    assert "run" not in out and out["error"].startswith('the sample source has no ticker')
    assert one_line(ValueError("first\nsecond")) == "ValueError: first"
    code = textwrap.dedent("""
        import sys, forecast.sweep, forecast.cli
        forecast.cli._parser().parse_args(["sweep", "x.toml"])
        assert "ray" not in sys.modules
    """)
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parent.parent)


def test_dates_in_the_grid_print_save_and_summarise(tiny_toml, tmp_path, capsys):
    assert sweep.parse_values("1999-01-01,2000-01-03") == ["1999-01-01", "2000-01-03"]
    rc = cli.main(["sweep", str(tiny_toml), "--out", str(tmp_path), "--models", "naive",
                   "--grid", "data.start=2005-01-03,2005-02-01", "--workers", "1"])
    assert rc == 0  # the table at the end printed the dates
    folder, summary = summary_of(tmp_path)
    assert [r["settings"] for r in summary["runs"]] == [{"data.start": "2005-01-03"},
                                                       {"data.start": "2005-02-01"}]
    out = capsys.readouterr().out
    assert "^GSPC data.start=2005-02-01" in out and "2 of 2 runs finished" in out


def test_a_sweep_across_targets_scores_each_run_by_its_own_target(tiny_toml, tmp_path,
                                                                  capsys):
    command = ["sweep", str(tiny_toml), "--out", str(tmp_path), "--models", "naive",
               "--grid", "features.target=return,direction", "--workers", "1"]
    assert cli.main(command) == 0
    folder, summary = summary_of(tmp_path)
    assert [r["target"] for r in summary["runs"]] == ["return", "direction"]
    brier = summary["runs"][1]["models"]["naive"]["brier"]
    out = capsys.readouterr().out  # the table: Theil's U for return, the Brier score here
    assert "direction: Brier score, lower is better" in out
    assert re.search(rf"features.target=direction +{brier:.4f}\n", out)
    page = (folder / "summary.html").read_text()
    assert "These runs forecast different targets" in page
    table = re.search(r'<table id="sweep-table-direction">(.*?)</table>', page, re.S)
    assert f'data-value="{brier!r}"' in table.group(1)
    assert cli.main(command) == 0  # runs reused from before keep their target
    assert [r["target"] for r in summary_of(tmp_path)[1]["runs"]] == ["return", "direction"]


# --- restarts: what a second run of the same command does ---------------------------------

NAIVE_CSV_TOML = """\
name = "mine"
seed = 1
[data]
source = "csv"
csv = "{csv}"
ticker = "MINE"
[features]
lookback = 10
[split]
initial_train = 300
folds = 2
[models.naive]
"""


def test_a_failed_run_is_run_again_by_the_same_command(tmp_path, short_prices):
    csv = tmp_path / "prices.csv"
    csv.write_text("Date,Open,High,Low,Close,Volume\n2020-01-02,1,1,1,1,1\n")
    toml = tmp_path / "mine.toml"
    toml.write_text(NAIVE_CSV_TOML.format(csv=csv))
    assert run_sweep(toml, tmp_path / "out") == 1  # one day of prices: too short
    _, first = summary_of(tmp_path / "out", "mine")
    assert first["runs"][0]["status"] == "failed"
    short_prices.to_csv(csv)  # the user fixes the file; the same command again
    assert run_sweep(toml, tmp_path / "out") == 0
    _, again = summary_of(tmp_path / "out", "mine")
    assert again["counts"] == {"runs": 1, "done": 1, "failed": 0, "left": 0, "skipped": 0}
    assert len(run_dirs(tmp_path / "out", "mine")) == 1


def test_ctrl_c_keeps_finished_runs_and_the_same_command_runs_the_rest(tiny_toml, tmp_path,
                                                                       monkeypatch, capsys):
    out = tmp_path / "out"
    write = sweep._write

    def write_then_interrupt(folder, summary, entries, jobs):  # Ctrl-C after the first run
        page = write(folder, summary, entries, jobs)
        if summary["counts"]["done"] == 1 and not monkeypatch_state:
            monkeypatch_state.append(True)
            raise KeyboardInterrupt
        return page
    monkeypatch_state = []
    monkeypatch.setattr(sweep, "_write", write_then_interrupt)
    args = ("--models", "naive", "--tickers", ",".join(TICKERS), "--workers", "1")
    assert run_sweep(tiny_toml, out, *args) == 130
    assert "sweep interrupted; 1 of 2 runs are finished" in capsys.readouterr().err
    _, stopped = summary_of(out)
    assert stopped["counts"] == {"runs": 2, "done": 1, "failed": 0, "left": 1, "skipped": 0}
    kept = run_dirs(out)
    assert len(kept) == 1 and (kept[0] / "predictions.csv").is_file()
    assert run_sweep(tiny_toml, out, *args) == 0
    _, finished = summary_of(out)
    assert finished["counts"] == {"runs": 2, "done": 2, "failed": 0, "left": 0, "skipped": 1}
    assert len(run_dirs(out)) == 2 and kept[0] in run_dirs(out)


def test_a_finished_run_whose_settings_changed_is_run_again(tiny_toml, tmp_path):
    out = tmp_path / "out"
    args = ("--models", "naive", "--tickers", "^GSPC")
    assert run_sweep(tiny_toml, out, *args) == 0
    [done] = run_dirs(out)
    settings = done / "experiment.toml"  # the run directory now holds other settings
    settings.write_text(settings.read_text().replace("lookback = 10", "lookback = 20"))
    assert run_sweep(tiny_toml, out, *args) == 0
    _, again = summary_of(out)
    assert again["counts"]["skipped"] == 0 and again["counts"]["done"] == 1
    assert len(run_dirs(out)) == 2


def test_a_sweeps_run_is_the_same_as_forecast_run(local_out, tiny_toml, tmp_path):
    assert cli.main(["run", str(tiny_toml), "--out", str(tmp_path), "--quiet"]) == 0
    [plain] = run_dirs(tmp_path)
    swept = {(d / "experiment.toml").read_text(): d for d in run_dirs(local_out)}
    same = swept[(plain / "experiment.toml").read_text()]  # the ^GSPC run of the sweep
    assert (same / "predictions.csv").read_bytes() == (plain / "predictions.csv").read_bytes()
    a, b = (json.loads((d / "metrics.json").read_text())["models"] for d in (same, plain))
    for name in a:
        assert a[name]["rmse"] == b[name]["rmse"] and a[name]["theil_u"] == b[name]["theil_u"]


TUNED_TOML = """\
name = "tuned"
seed = 1
[data]
start = "2003-01-01"
end = "2009-12-31"
[split]
initial_train = 1000
folds = 2
[models.naive]
[models.ridge]
[models.ar]
"""


def test_tuned_baselines_on_ray_give_a_local_run_s_predictions(tmp_path, ray_instance):
    # ridge's least squares on 240 inputs sums in another order on more BLAS threads: the
    # deterministic models run on one, wherever they run
    toml = tmp_path / "tuned.toml"
    toml.write_text(TUNED_TOML)
    assert cli.main(["run", str(toml), "--out", str(tmp_path / "run"), "--quiet"]) == 0
    assert run_sweep(toml, tmp_path / "ray", "--executor", "ray", "--workers", "1") == 0
    [here] = run_dirs(tmp_path / "run", "tuned")
    [there] = run_dirs(tmp_path / "ray", "tuned")
    assert (here / "predictions.csv").read_bytes() == (there / "predictions.csv").read_bytes()
    folds = json.loads((here / "metrics.json").read_text())["models"]["ridge"]["folds"]
    assert all(f["chosen"]["alpha"] > 0 for f in folds)


# --- price files: one series a run, each filed under its own name -------------------------


@pytest.fixture(scope="module")
def nasdaq_csv(tmp_path_factory):
    """The bundled NASDAQ in a user's file, nas.csv, and a copy of it named a.csv."""
    from forecast.data import load_prices
    folder = tmp_path_factory.mktemp("files")
    load_prices("^IXIC", "sample").loc["2005":"2007-06"].to_csv(folder / "nas.csv")
    (folder / "a.csv").write_bytes((folder / "nas.csv").read_bytes())
    return folder / "nas.csv"


def refused(capsys, out, *args):
    """The sweep's one line on stderr; asserts exit code 2 and that nothing was written."""
    assert run_sweep(*args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("forecast: error: ")
    assert not Path(out).exists()
    return err[0]


def test_one_csv_under_several_tickers_is_refused(tiny_toml, nasdaq_csv, tmp_path, capsys):
    out = tmp_path / "out"
    err = refused(capsys, out, tiny_toml, out, "--csv", str(nasdaq_csv), "--tickers", "A,B")
    assert "--tickers A,B would run" in err and "a CSV holds one series" in err
    assert "--grid data.csv=a.csv,b.csv" in err
    # the experiment file's own CSV, likewise
    toml = tmp_path / "mine.toml"
    toml.write_text(NAIVE_CSV_TOML.format(csv=nasdaq_csv))
    assert "a CSV holds one series" in refused(capsys, out, toml, out, "--tickers", "A,B")


def test_a_grid_of_csv_files_runs_one_run_per_file_named_after_it(tiny_toml, nasdaq_csv,
                                                                  tmp_path):
    out = tmp_path / "out"
    files = f"{nasdaq_csv},{nasdaq_csv.with_name('a.csv')}"
    assert run_sweep(tiny_toml, out, "--models", "naive", "--workers", "1", "--source", "csv",
                     "--grid", f"data.csv={files}") == 0
    _, summary = summary_of(out)
    assert [r["ticker"] for r in summary["runs"]] == ["nas", "a"] == summary["tickers"]
    # each run in a folder of its own series, none under the experiment's own ticker's
    dirs = {d.parent.name: d for d in run_dirs(out)}
    assert sorted(dirs) == ["tiny.a", "tiny.nas"]
    for ticker, csv in (("nas", nasdaq_csv), ("a", nasdaq_csv.with_name("a.csv"))):
        m = json.loads((dirs[f"tiny.{ticker}"] / "metrics.json").read_text())
        assert (m["ticker"], m["source"], m["csv"]) == (ticker, "csv", str(csv))
    index = (out / "index.html").read_text()
    assert "^GSPC" not in index and ">tiny.nas<" in index and "csv nas.csv" in index
    # without --source: a grid of files implies it, as --csv does; the same runs, reused
    assert run_sweep(tiny_toml, out, "--models", "naive", "--grid", f"data.csv={files}") == 0
    assert summary_of(out)[1]["counts"]["skipped"] == 2


def test_a_csv_source_in_the_grid_is_named_after_its_file(tiny_toml, nasdaq_csv, tmp_path):
    out = tmp_path / "out"
    assert run_sweep(tiny_toml, out, "--models", "naive", "--workers", "1", "--grid",
                     "data.source=csv", f"data.csv={nasdaq_csv}") == 0
    [run_dir] = run_dirs(out)
    assert run_dir.parent.name == "tiny.nas"
    m = json.loads((run_dir / "metrics.json").read_text())
    assert (m["ticker"], m["source"], m["experiment"]) == ("nas", "csv", "tiny.nas")
    assert "^GSPC" not in (out / "index.html").read_text()


def test_two_csv_files_under_one_name_are_refused(tiny_toml, nasdaq_csv, tmp_path, capsys):
    out = tmp_path / "out"
    other = tmp_path / "sub" / "nas.csv"
    other.parent.mkdir()
    other.write_bytes(nasdaq_csv.read_bytes())
    err = refused(capsys, out, tiny_toml, out, "--grid", f"data.csv={nasdaq_csv},{other}")
    assert "would both run as nas: rename one" in err
    a = nasdaq_csv.with_name("a.csv")
    err = refused(capsys, out, tiny_toml, out, "--ticker", "X", "--grid",
                  f"data.csv={nasdaq_csv},{a}")
    assert "would both run as X: leave out --ticker" in err
    err = refused(capsys, out, tiny_toml, out, "--csv", str(a), "--grid",
                  f"data.csv={nasdaq_csv},{a}")
    assert "--csv and --grid data.csv both name price files" in err
    err = refused(capsys, out, tiny_toml, out, "--source", "sample", "--grid",
                  f"data.csv={nasdaq_csv},{a}")
    assert "--source sample would not read the files" in err


def test_runs_of_other_tickers_are_filed_apart(local_out):
    # the file's own ticker in its folder; another ticker of the sweep in tiny.IXIC
    folders = {json.loads((d / "metrics.json").read_text())["ticker"]: d.parent.name
               for d in run_dirs(local_out)}
    assert folders == {"^GSPC": "tiny", "^IXIC": "tiny.IXIC"}
    # the sweep keeps its summary in the file's folder (and a later test's sweep beside it)
    summary = next(json.loads(p.read_text()) for p in local_out.glob("tiny/sweep-*/*.json")
                   if json.loads(p.read_text())["tickers"] == list(TICKERS))
    assert [r["run_dir"].split("/")[:-1] for r in summary["runs"]] == [
        [".."], ["..", "..", "tiny.IXIC"]]
