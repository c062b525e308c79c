import os

import pandas as pd
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(scope="session")
def sp500():
    """The bundled S&P 500 prices, in the standard frame shape."""
    from forecast.data import load_prices
    return load_prices("^GSPC", "sample")


@pytest.fixture
def short_prices(sp500):
    """About 600 real trading days: enough for tiny walk-forward runs."""
    return sp500.loc["2005-01-01":"2007-05-31"].copy()


@pytest.fixture(scope="session")  # an Experiment is immutable: one for every test
def tiny_experiment():
    """A walk-forward run that trains in seconds: short windows, one epoch, two folds."""
    from forecast import config
    return config.from_dict({
        "name": "tiny", "seed": 1,
        "data": {"source": "sample", "ticker": "^GSPC", "start": "2005-01-01",
                 "end": "2007-05-31"},
        "features": {"lookback": 10},
        "split": {"initial_train": 300, "folds": 2},
        "training": {"epochs": 1, "batch_size": 64},
        "models": {"naive": {}, "single_lstm": {"units": 4}, "stacked_lstm": {"units": [4, 4]}},
    })


TINY_TOML = """\
name = "{name}"
seed = {seed}
[data]
source = "sample"
ticker = "^GSPC"
start = "2005-01-01"
end = "{end}"
[features]
lookback = 10
[split]
initial_train = 300
folds = 2
[training]
epochs = 1
batch_size = 64
[models.naive]
[models.single_lstm]
units = 4
"""


@pytest.fixture(scope="session")
def tiny_toml_file(tmp_path_factory):
    """Write a tiny experiment file (naive and a 4-unit LSTM, seconds to run); its path."""
    def write(name="tiny", seed=1, end="2007-06-30"):
        path = tmp_path_factory.mktemp("config") / f"{name}.toml"
        path.write_text(TINY_TOML.format(name=name, seed=seed, end=end))
        return path
    return write


@pytest.fixture
def write_csv(tmp_path):
    """Write a frame or text to a CSV file in tmp_path and return its path."""
    def write(content, name="prices.csv"):
        path = tmp_path / name
        if isinstance(content, pd.DataFrame):
            content.to_csv(path)
        else:
            path.write_text(content)
        return path
    return write


@pytest.fixture(scope="session")
def ray_module():
    """The ray package; the test is skipped without it, or fails under
    FORECAST_REQUIRE_RAY=1 (CI sets it: the Ray tests must run there, never skip)."""
    try:
        import ray
    except ImportError:
        reason = 'Ray is not installed: pip install "ray[default]"'
        if os.environ.get("FORECAST_REQUIRE_RAY") == "1":
            pytest.fail(f"Ray tests are required here but {reason}")
        pytest.skip(reason)
    return ray
