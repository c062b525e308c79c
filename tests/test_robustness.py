"""Bad input of every kind: a valid frame or one ForecastError line, never another exception.

Property-based tests throw generated CSV files and experiment settings at the loaders; the
command-line tests check that each kind of bad input named in issue 6 ends with exit code 2,
one line on stderr, and no run directory and no cache entry left behind.
"""
import math
import time

import numpy as np
import pandas as pd
import pytest
import yfinance as yf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from yfinance.exceptions import YFRateLimitError

from forecast import cli, config, csvfile, data, indicators, ohlcv, runs
from forecast.errors import ForecastError

FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def assert_valid_prices(frame):
    # always a close; the other columns only when the source has them, in the usual order
    assert "close" in frame.columns
    assert list(frame.columns) == [c for c in ohlcv.COLUMNS if c in frame.columns]
    assert isinstance(frame.index, pd.DatetimeIndex) and frame.index.tz is None
    assert frame.index.dtype == "datetime64[ns]" and frame.index.name == "date"
    assert frame.index.is_monotonic_increasing and frame.index.is_unique
    assert (frame.index == frame.index.normalize()).all()
    values = frame.to_numpy()
    assert values.dtype == np.float64 and np.isfinite(values).all()
    prices = frame[[c for c in ohlcv.PRICES if c in frame.columns]].to_numpy()
    assert (prices > 0).all() and ("volume" not in frame or (frame["volume"] >= 0).all())
    assert all(isinstance(r, str) for r in frame.attrs["repairs"])


def assert_one_line(error):
    message = str(error)
    assert message and len(message.splitlines()) == 1 and "Traceback" not in message


def load_or_refuse(path):
    """read_csv's outcome: the frame, or None after a one-line ForecastError."""
    try:
        frame = csvfile.read_csv(path)
    except ForecastError as e:
        assert_one_line(e)
        return None
    assert_valid_prices(frame)
    return frame


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    """One file, rewritten by every generated example."""
    return tmp_path_factory.mktemp("fuzz") / "prices.csv"


# --- generated CSV files --------------------------------------------------------------------

HEADERS = ["Date", "date", "DATE", "Datetime", "Open", "open", "High", "HIGH", "Low", "Close",
           "close", "Adj Close", "adj_close", "Volume", "volume", "Dividends", "", "x;y",
           "Close"]
DATES = st.one_of(
    st.dates(min_value=pd.Timestamp("1600-01-01").date(),
             max_value=pd.Timestamp("2300-01-01").date()).map(str),
    st.datetimes().map(lambda d: d.isoformat()),
    st.datetimes(timezones=st.sampled_from([None])).map(lambda d: d.strftime("%m/%d/%Y")),
    st.sampled_from(["2020-01-02 00:00:00-05:00", "2020-06-01 00:00:00-04:00",
                     "2020-01-03T09:30:00+09:00", "2020-01-06T10:00Z", "yesterday", "NaT",
                     "99999999999", "1e10", "", "2020-02-30", "3 Jan 2020", "20200107",
                     "2020-01-08 EST", "07:30", "\x00", "2020-01-02"]))
CELLS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(min_value=1e-3, max_value=1e4).map(lambda v: f"{v:.4f}"),
    st.integers(min_value=-10, max_value=10 ** 30).map(str),
    st.sampled_from(["", "nan", "NaN", "inf", "-inf", "1e999", "1e-400", "True", "1,000",
                     "abc", '"', '"1"', " 5", "0x10", "\u00a0", "null", "N/A"]),
    st.text(max_size=5))


FORMATS = ["%Y-%m-%d", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S-05:00", "%Y-%m-%dT%H:%M:%S+09:00",
           "%m/%d/%Y", "%d.%m.%Y", "%Y%m%d", "%d %b %Y"]


@st.composite
def csv_texts(draw):
    """Header and rows from pieces of good and bad files: most cells sensible, some not."""
    header = draw(st.lists(st.sampled_from(HEADERS), min_size=1, max_size=8))
    if draw(st.integers(0, 3)) > 0:  # usually the right columns, in any case and order
        header = draw(st.permutations(["Date", "Open", "High", "Low", "Close", "Volume"]))
        header = [draw(st.sampled_from([h, h.lower(), h.upper()])) for h in header]
        header += draw(st.lists(st.sampled_from(["Adj Close", "Dividends", "", "Close"]),
                                max_size=2))
    fmt = draw(st.sampled_from(FORMATS))
    day = pd.Timestamp(draw(st.dates(min_value=pd.Timestamp("1990-01-01").date(),
                                     max_value=pd.Timestamp("2030-01-01").date())))
    rows = []
    for _ in range(draw(st.integers(0, 8))):
        day += pd.Timedelta(days=draw(st.sampled_from([1, 1, 1, 3, -1, 0, 20])))
        sane = draw(st.integers(0, 5)) > 0
        date = day.strftime(fmt) if sane else draw(DATES)
        cells = [date if h.lower() in ("date", "datetime") else
                 draw(st.floats(0.01, 1e4).map(lambda v: f"{v:.4f}")
                      if draw(st.integers(0, 9)) > 0 else CELLS) for h in header]
        if not sane:  # a row too short or too long
            cells = cells[:-1] if draw(st.booleans()) else [*cells, "1"]
        rows.append(cells)
    sep = draw(st.sampled_from([",", ",", ",", ";"]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return newline.join(sep.join(cells) for cells in [header, *rows]) + newline


@FUZZ
@given(text=csv_texts())
def test_generated_csv_files_load_or_fail_in_one_line(scratch, text):
    scratch.write_text(text, encoding="utf-8", errors="surrogatepass")
    load_or_refuse(scratch)


@FUZZ
@given(blob=st.one_of(st.binary(max_size=200), st.text(max_size=200)))
def test_any_bytes_load_or_fail_in_one_line(scratch, blob):
    if isinstance(blob, str):
        scratch.write_text(blob, encoding="utf-8", errors="surrogatepass")
    else:
        scratch.write_bytes(blob)
    load_or_refuse(scratch)


@st.composite
def price_frames(draw):
    """Mostly-sensible price histories with the defects the loader repairs or refuses."""
    n = draw(st.integers(1, 30))
    start = draw(st.dates(min_value=pd.Timestamp("1990-01-01").date(),
                          max_value=pd.Timestamp("2030-01-01").date()))
    days = list(pd.bdate_range(start, periods=n))
    steps = draw(st.lists(st.floats(-0.05, 0.05), min_size=n, max_size=n))
    close = 100 * np.exp(np.cumsum(steps))
    frame = pd.DataFrame({"Open": close, "High": close * 1.01, "Low": close * 0.99,
                          "Close": close, "Volume": 1e6}, index=pd.DatetimeIndex(days))
    frame.index.name = "Date"
    order = draw(st.permutations(range(n))) if draw(st.booleans()) else list(range(n))
    frame = frame.iloc[list(order)]
    for _ in range(draw(st.integers(0, 3))):  # poke a defect into a random cell
        row, col = draw(st.integers(0, n - 1)), draw(st.sampled_from(list(frame.columns)))
        frame.iloc[row, frame.columns.get_loc(col)] = draw(st.sampled_from(
            [np.nan, 0.0, -1.0, np.inf, 1e300, 5e-324]))
    if draw(st.integers(0, 3)) == 0 and n > 1:  # a duplicated day
        frame = pd.concat([frame, frame.iloc[[draw(st.integers(0, n - 1))]]])
    return frame


@FUZZ
@given(frame=price_frames())
def test_generated_price_histories_are_repaired_or_refused(scratch, frame):
    frame.to_csv(scratch)
    loaded = load_or_refuse(scratch)
    if loaded is None:
        return
    dates = pd.DatetimeIndex(frame.index)
    if not dates.is_monotonic_increasing:
        assert any("sorted" in r for r in loaded.attrs["repairs"])
    if frame["Volume"].isna().any():
        assert any("volume" in r for r in loaded.attrs["repairs"])
    assert len(loaded) <= len(frame)


# --- generated experiment settings ----------------------------------------------------------

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.integers(-2 ** 70, 2 ** 70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=6),
    st.sampled_from(["sample", "csv", "yahoo", "return", "price", "expanding", "sliding",
                     "warm", "scratch", "^GSPC", "../../x", "<b>", "2005-01-01", "2001-13-01",
                     "naive", "sma"]),
    st.dates(), st.times())
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=6)
# values that are often right, so that generated experiments are often valid
PLAUSIBLE = {
    "source": st.sampled_from(["sample", "csv", "yahoo", "sampel"]),
    "ticker": st.sampled_from(["^GSPC", "AAPL", "BRK-B", "../../x", "<b>x</b>", ""]),
    "csv": st.sampled_from(["prices.csv", ""]),
    "start": st.one_of(st.sampled_from(["2005-01-01", "2001-13-01", "soon"]), st.dates()),
    "end": st.one_of(st.sampled_from(["2010-06-30", "2004-01-01"]), st.dates()),
    "target": st.sampled_from(["return", "price", "prices"]),
    "window": st.sampled_from(["expanding", "sliding", "rolling"]),
    "refit": st.sampled_from(["warm", "scratch", "hot"]),
    "indicators": st.lists(st.fixed_dictionaries(
        {"name": st.sampled_from(["sma", "ema", "rsi", "macd", "bbands_upper", "smaa"])},
        optional={"length": st.one_of(st.integers(-1, 50), VALUES),
                  "std": st.one_of(st.floats(-1, 3), VALUES)}), max_size=3),
    "seeds": st.lists(st.integers(-1, 2 ** 33), min_size=1, max_size=3),
    "name": st.text(max_size=10),
    "units": st.one_of(st.integers(-1, 64), st.lists(st.integers(0, 64), max_size=3)),
    "dropout": st.floats(-0.5, 1.5),
    "alphas": st.lists(st.floats(-1, 10), max_size=3),
}


def plausible(name, default):
    if name in PLAUSIBLE:
        good = PLAUSIBLE[name]
    elif isinstance(default, bool):
        good = st.booleans()
    elif isinstance(default, float):
        good = st.floats(-0.5, 1.5)
    elif isinstance(default, int) or default is None:
        good = st.integers(-2, 3000)
    else:
        good = VALUES
    return st.one_of(good, good, good, VALUES)


def table(cls, extra=()):
    import dataclasses
    fields = {f.name: plausible(f.name, f.default) for f in dataclasses.fields(cls)
              if f.name not in extra}
    return st.fixed_dictionaries({}, optional=fields)


MODEL_TABLES = st.dictionaries(
    st.sampled_from(["naive", "drift", "ridge", "single_lstm", "stacked_lstm", "gru", "lstm"]),
    st.fixed_dictionaries({}, optional={
        k: plausible(k, d) for k, d in [("units", 32), ("dropout", 0.1), ("alphas", [1.0]),
                                        ("epochs", 3), ("learning_rate", 0.01),
                                        ("refit", "warm"), ("unit", 3)]}), max_size=3)


@st.composite
def experiment_dicts(draw):
    raw = draw(table(config.Experiment, extra={"models", *config._SECTIONS}))
    for name, cls in config._SECTIONS.items():
        if draw(st.booleans()):
            raw[name] = draw(st.one_of(table(cls), table(cls), table(cls), VALUES))
    if draw(st.booleans()):
        raw["models"] = draw(st.one_of(MODEL_TABLES, MODEL_TABLES, VALUES))
    if draw(st.integers(0, 9)) == 9:  # a key that does not exist, somewhere
        where = raw.get(draw(st.sampled_from(["data", "features", "x"])), raw)
        if isinstance(where, dict):
            where[draw(st.text(max_size=6))] = draw(VALUES)
    return raw


@FUZZ
@given(raw=experiment_dicts())
def test_generated_settings_give_an_experiment_or_one_line(raw):
    try:
        exp = config.from_dict(raw)
    except ForecastError as e:
        assert_one_line(e)
        return
    assert isinstance(exp, config.Experiment)
    assert exp.features.lookback >= 1 and exp.split.folds >= 1 and exp.models
    assert all(math.isfinite(v) for v in (exp.training.learning_rate,
                                          exp.training.min_delta))
    assert config.from_dict(_round_trip(exp)) == exp  # what was accepted reads back


def _round_trip(exp):
    import tomllib
    return tomllib.loads(config.to_toml(exp))


@FUZZ
@given(key=st.sampled_from(["features.lookback", "split.folds", "split.gap", "data.start",
                            "data.ticker", "training.epochs", "seed", "trading.cost_bps",
                            "nope.key", "features.nope"]),
       value=VALUES)
def test_overrides_give_an_experiment_or_one_line(key, value):
    try:
        config.replace(config.Experiment(), **{key: value})
    except ForecastError as e:
        assert_one_line(e)


# --- the command line: exit code 2, one line, nothing left behind ----------------------------

TOML = """
name = "robust"
[data]
source = "csv"
ticker = "MINE"
csv = "{csv}"
[features]
lookback = 10
[split]
initial_train = 200
folds = 2
[training]
epochs = 1
[models.naive]
"""


def good_csv(sp500, rows=400):
    frame = sp500.iloc[:rows].copy()
    frame.index.name = "Date"
    return frame.rename(columns=str.title)


@pytest.fixture
def setup(tmp_path, monkeypatch, sp500):
    """An experiment reading tmp_path/prices.csv; the Yahoo cache in tmp_path/cache."""
    monkeypatch.setattr(data, "CACHE_DIR", tmp_path / "cache")
    monkeypatch.setattr(time, "sleep", lambda s: None)
    yf.set_tz_cache_location(str(tmp_path / "yf-tz"))
    csv = tmp_path / "prices.csv"
    good_csv(sp500).to_csv(csv)
    toml = tmp_path / "robust.toml"
    toml.write_text(TOML.format(csv=csv.as_posix()))
    return tmp_path, csv, toml


def run_cli(tmp_path, toml, *extra):
    return cli.main(["run", str(toml), "--out", str(tmp_path / "reports"), "--quiet", *extra])


def assert_refused(capsys, tmp_path, code, *words):
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    lines = [line for line in err.splitlines() if not line.startswith("note: ")]
    assert len(lines) == 1 and lines[0].startswith("forecast: error: "), err
    for word in words:
        assert word in lines[0], lines[0]
    out = tmp_path / "reports"
    assert not out.exists() or not [p for p in out.rglob("*") if p.is_file()]
    cache = tmp_path / "cache"
    assert not cache.exists() or not [p for p in cache.rglob("*") if p.is_file()]


def text_of(sp500, edit):
    lines = good_csv(sp500).to_csv().splitlines()
    return "\n".join(edit(lines)) + "\n"


CSV_CASES = {
    "not a csv": (lambda s: "\x89PNG\r\n\x1a\n\x00\x00junk", ["no Date column"]),
    "empty": (lambda s: "", ["not a readable CSV"]),
    "header only": (lambda s: "Date,Open,High,Low,Close,Volume\n", ["no rows"]),
    "missing columns": (lambda s: text_of(s, lambda ls: [",".join(l.split(",")[:4])
                                                         for l in ls]), ["no close column"]),
    "bad date": (lambda s: text_of(s, lambda ls: ls[:5] + ["31/31/2001" + ls[5][10:]]
                                   + ls[6:]), ["cannot read the date", "line 6"]),
    "duplicate date": (lambda s: text_of(s, lambda ls: ls[:5] + [ls[4]] + ls[5:]),
                       ["duplicate date", "1999-01-07"]),
    "non-numeric": (lambda s: text_of(s, lambda ls: ls[:5] + [ls[5].replace(".", "x", 1)]
                                      + ls[6:]), ["non-numeric"]),
    "non-positive": (lambda s: text_of(s, lambda ls: ls[:5] + [
        ",".join([ls[5].split(",")[0], "-1"] + ls[5].split(",")[2:])] + ls[6:]),
        ["prices <= 0"]),
    "nan price": (lambda s: text_of(s, lambda ls: ls[:5] + [
        ",".join(ls[5].split(",")[:4] + ["NaN"] + ls[5].split(",")[5:])] + ls[6:]),
        ["missing"]),
    "long gap": (lambda s: text_of(s, lambda ls: ls[:100] + ls[130:]),
                 ["gap(s) longer than 14 days", "--start"]),
    "too short": (lambda s: text_of(s, lambda ls: ls[:150]), ["are needed"]),
}


@pytest.mark.parametrize("case", sorted(CSV_CASES))
def test_bad_csv_through_the_cli(setup, capsys, sp500, case):
    tmp_path, csv, toml = setup
    make, words = CSV_CASES[case]
    csv.write_bytes(make(sp500).encode("utf-8", "surrogateescape"))
    assert_refused(capsys, tmp_path, run_cli(tmp_path, toml), *words)


@pytest.mark.parametrize("section, key, value, words", [
    ("training", "epochz", 3, ['unknown key "epochz". Did you mean "epochs"?']),
    ("features", "lookback", "ten", ["lookback must be a whole number"]),
    ("features", "lookback", True, ["lookback must be a number"]),
    ("features", "lookback", 0, ["features.lookback must be at least 1"]),
    ("split", "folds", 0, ["split.folds must be at least 1"]),
    ("features", "horizon", 3, ["split.gap = 0 is too small", "gap >= 2"]),
    ("training", "learning_rate", math.nan, ["learning_rate must be a finite number"]),
    ("models", "single_lstm", {"epochs": -1}, ["models.single_lstm.epochs must be at least 0"]),
    ("models", "naive", {"units": 3}, ['[models.naive]: unknown key "units"']),
    ("data", "start", "2001-13-01", ["data.start '2001-13-01' is not a date"]),
])
def test_bad_settings_through_the_cli(setup, capsys, section, key, value, words):
    import tomllib

    import tomli_w
    tmp_path, csv, toml = setup
    raw = tomllib.loads(toml.read_text())
    raw[section][key] = value
    toml.write_text(tomli_w.dumps(raw))
    assert_refused(capsys, tmp_path, run_cli(tmp_path, toml), *words)


def test_an_indicator_that_looks_ahead_is_refused_by_name(setup, capsys, monkeypatch):
    tmp_path, csv, toml = setup
    monkeypatch.setitem(indicators.INDICATORS, "peek", indicators.Indicator(
        "peek", lambda prices, length=1: prices["close"].shift(-length), "price",
        {"length": 1}, "tomorrow's close"))
    toml.write_text(toml.read_text().replace(
        "lookback = 10", 'lookback = 10\nindicators = [{ name = "peek" }]'))
    assert_refused(capsys, tmp_path, run_cli(tmp_path, toml), "indicator peek looks ahead")


@pytest.mark.parametrize("ticker", ["../../x", "<script>alert(1)</script>", "a/b", "x y"])
def test_tickers_that_look_like_paths_or_markup_are_refused(setup, capsys, ticker):
    tmp_path, csv, toml = setup
    assert_refused(capsys, tmp_path, run_cli(tmp_path, toml, "--ticker", ticker),
                   "is not a ticker symbol")
    assert not (tmp_path.parent / "x").exists()


def test_an_output_folder_that_cannot_be_written(setup, capsys):
    tmp_path, csv, toml = setup
    (tmp_path / "file").write_text("a file, not a folder")
    code = cli.main(["run", str(toml), "--out", str(tmp_path / "file" / "reports"),
                     "--quiet"])
    assert_refused(capsys, tmp_path, code, "cannot write to", "--out")


@pytest.fixture
def yahoo_toml(setup):
    tmp_path, csv, toml = setup
    toml.write_text(toml.read_text().replace('source = "csv"', 'source = "yahoo"')
                    .replace('ticker = "MINE"', 'ticker = "AAPL"'))
    return tmp_path, toml


def fail_with(exc):
    def history(self, **kw):
        raise exc
    return history


@pytest.mark.parametrize("history, words", [
    (lambda self, **kw: pd.DataFrame(), ["Yahoo returned no prices for 'AAPL'"]),
    (fail_with(ConnectionError("Could not resolve host")), ["cannot reach Yahoo",
                                                            "does not resolve"]),
    (fail_with(ConnectionError("Connection refused")), ["cannot reach Yahoo", "5 tries"]),
    (fail_with(TimeoutError("timed out")), ["cannot reach Yahoo", "timed out"]),
    (fail_with(YFRateLimitError()), ["rate limiting", "wait a few minutes"]),
])
def test_yahoo_faults_through_the_cli(yahoo_toml, capsys, monkeypatch, history, words):
    tmp_path, toml = yahoo_toml
    monkeypatch.setattr(yf.Ticker, "history", history)
    assert_refused(capsys, tmp_path, run_cli(tmp_path, toml), *words)


def test_debug_shows_the_traceback(setup, capsys):
    tmp_path, csv, toml = setup
    csv.write_text("")
    assert cli.main(["--debug", "run", str(toml), "--out", str(tmp_path / "reports"),
                     "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and err.strip().splitlines()[-1].startswith("forecast: error:")


def test_repairs_are_reported_and_recorded_in_the_run(setup, capsys, sp500):
    from forecast import walkforward
    tmp_path, csv, toml = setup
    frame = good_csv(sp500)
    frame.iloc[[3, 4]] = frame.iloc[[4, 3]].to_numpy()  # two days out of order
    frame.index = frame.index[[0, 1, 2, 4, 3, *range(5, len(frame))]]
    frame.loc[frame.index[10], "Volume"] = np.nan
    frame.to_csv(csv)
    said = []
    run = walkforward.run_experiment(config.load_experiment(toml), progress=False,
                                     log=said.append)
    repairs = run.metrics["repairs"]
    assert len(repairs) == 2
    assert "sorted the rows by date (2 of 400" in repairs[0]
    assert "set 1 missing volume(s) to 0, first 1999-01-19" in repairs[1]
    assert said == [f"note: MINE: {r}" for r in repairs]
    assert run.metrics["cache"] is None
    assert runs.slug(run.experiment.name) == "robust"
