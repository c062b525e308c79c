"""The leak audit reads what the fits received: an injected leak fails it."""
import numpy as np
import pandas as pd
import pytest

from forecast import audit, config, models, walkforward
from forecast.errors import ForecastError
from forecast.models import MODELS, register_model


@pytest.fixture
def quick(tiny_experiment):
    """Baselines and one small network: every kind of fit, a few seconds."""
    return config.replace(tiny_experiment, models={"naive": {}, "drift": {}, "ridge": {},
                                                   "single_lstm": {"units": 4}})


def test_the_audit_is_what_each_fit_received(quick):
    run = walkforward.run_experiment(quick, progress=False)
    a = run.metrics["audit"]
    assert a["passed"] is True and a["findings"] == [] and a["unrecorded"] == []
    for fold, f in zip(run.metrics["folds"], a["folds"]):
        n_val = round(0.1 * fold["n_train"])
        assert f["test_start"] == fold["test_start"]
        assert f["scaler"]["last"] < f["test_start"]
        # every row a training window reads (lookback 10), and every training target
        assert f["scaler"] == {"first": fold["scaler_start"], "last": fold["train_end"],
                               "rows": fold["n_train"] + 10 - 1}
        lstm = f["models"]["single_lstm"]
        # warm refit: the first fold fits every sample before the tail, later ones the new
        if fold["fold"] == 1:
            assert lstm["fit"]["rows"] == fold["n_train"] - n_val
            assert lstm["fit"]["first"] == f["models"]["ridge"]["fit"]["first"]
        assert lstm["early_stopping"] == {"first": fold["validation_start"],
                                          "last": fold["validation_end"], "rows": n_val}
        assert lstm["fit"]["last"] < lstm["early_stopping"]["first"]
        assert f["models"]["ridge"]["fit"]["rows"] == fold["n_train"]  # no early stopping
        assert f["models"]["ridge"]["fit"]["last"] == fold["train_end"]
        assert f["models"]["naive"] == {}  # fits nothing


def test_a_scaler_given_a_test_row_fails_the_audit(quick, monkeypatch):
    # the bug: the scalers read two rows more than the training windows, the second of them
    # the first test day
    monkeypatch.setattr(walkforward, "scaler_rows",
                        lambda train, windows: slice(train[0], windows.end[train[-1]] + 3))
    run = walkforward.run_experiment(config.replace(quick, models={"naive": {}}),
                                     progress=False)
    a = run.metrics["audit"]
    assert a["passed"] is False
    first = run.metrics["folds"][0]["test_start"]
    assert (f"fold 1: the scalers were fitted on rows up to {first}, on or after the first "
            f"test day {first}") in a["findings"]


def leaky_fit(monkeypatch, declare):
    """Networks also train on their early-stopping tail (the fit rows include the
    validation rows); ``declare``: the dates declared for them too."""
    train = models.KerasForecaster._train

    def with_tail(self, X, y, X_val, y_val, *, fold=None, dates=None, **rest):
        if dates is not None and declare:
            dates = np.concatenate([dates, fold.dates["validation"]])
        return train(self, np.concatenate([X, X_val]), np.concatenate([y, y_val]), X_val,
                     y_val, fold=fold, dates=dates, **rest)
    monkeypatch.setattr(models.KerasForecaster, "_train", with_tail)


def test_a_network_trained_on_its_validation_tail_fails_the_audit(quick, monkeypatch):
    leaky_fit(monkeypatch, declare=True)
    run = walkforward.run_experiment(config.replace(quick, models={"single_lstm": {
        "units": 4}}), progress=False)
    a = run.metrics["audit"]
    assert a["passed"] is False
    assert any(f.startswith("fold 1: single_lstm was trained on its early-stopping tail")
               for f in a["findings"])


def test_a_network_given_rows_it_does_not_declare_is_stopped(quick, monkeypatch):
    leaky_fit(monkeypatch, declare=False)
    with pytest.raises(ForecastError, match=r"a fit fit was given \d+ rows but declares "
                       r"\d+ dates"):
        walkforward.run_experiment(config.replace(quick, models={"single_lstm": {
            "units": 4}}), progress=False)


def test_a_plugin_that_fits_on_test_days_fails_and_one_that_says_nothing_is_named(quick):
    @register_model("peeker")
    def peeker(**_):
        """Fits on every sample, the test ones too (a leak, honestly declared)."""
        class Peeker:
            params = 0

            def fit(self, fold):
                fold.received("fit", np.concatenate([fold.X_train, fold.X_val, fold.X_test]),
                              np.concatenate([fold.dates["train"], fold.dates["test"]]))
                return {}

            def predict(self, fold):
                return fold.last_price.copy()
        return Peeker()

    @register_model("silent")
    def silent(**_):
        """Says nothing about what it fits."""
        class Silent:
            params = 0

            def fit(self, fold):
                return {}

            def predict(self, fold):
                return fold.last_price.copy()
        return Silent()
    try:
        run = walkforward.run_experiment(config.replace(quick, models={
            "peeker": {}, "silent": {}}), progress=False)
    finally:
        MODELS.pop("peeker")
        MODELS.pop("silent")
    a = run.metrics["audit"]
    last = run.metrics["folds"][0]["test_end"]
    assert a["passed"] is False and a["unrecorded"] == ["silent"]
    assert (f"fold 1: peeker was trained on rows up to {last}, on or after the first test day "
            f"{run.metrics['folds'][0]['test_start']}") in a["findings"]


def test_findings_by_hand():
    fold = {"fold": 2, "test_start": "2020-03-02", "validation_start": "2020-02-20",
            "scaler": {"first": "2019-01-02", "last": "2020-02-28", "rows": 300},
            "models": {"m": {"fit": {"first": "2019-01-02", "last": "2020-02-20", "rows": 9},
                             "early_stopping": {"first": "2020-02-20", "last": "2020-02-28",
                                                "rows": 7}},
                       "r": {"fit": {"first": "2019-01-02", "last": "2020-03-02", "rows": 9}},
                       "ok": {"fit": {"first": "2019-01-02", "last": "2020-02-28",
                                      "rows": 9}}}}
    assert audit.findings([fold]) == [
        "fold 2: m was trained on its early-stopping tail (rows up to 2020-02-20; the tail "
        "starts 2020-02-20)",
        "fold 2: r was trained on rows up to 2020-03-02, on or after the first test day "
        "2020-03-02"]
    fold["scaler"]["last"] = "2020-03-02"
    assert audit.findings([fold])[0].startswith("fold 2: the scalers were fitted on rows up "
                                                "to 2020-03-02")
    fold["scaler"] = {"first": None, "last": None, "rows": 0}
    assert audit.findings([fold])[0] == "fold 2: no scaler fit was recorded"
    fold["models"]["m"]["early_stopping"]["last"] = "2020-03-02"
    assert ("fold 2: m was early-stopped on rows up to 2020-03-02, on or after the first "
            "test day 2020-03-02") in audit.findings([fold])


def test_notes_and_merges():
    n = audit.note("fit", pd.to_datetime(["2020-01-03", "2020-01-01", "2020-01-02"]))
    assert n == {"kind": "fit", "first": "2020-01-01", "last": "2020-01-03", "rows": 3}
    assert audit.note("scaler", [])["rows"] == 0
    with pytest.raises(ValueError, match="kind must be one of"):
        audit.note("predict", [])
    m = audit.merge([n, {**n, "first": "2019-12-31", "rows": 2},
                     {"kind": "fit", "first": None, "last": None, "rows": 0}])
    assert m == {"first": "2019-12-31", "last": "2020-01-03", "rows": 3}
    assert audit.merge([]) == {"first": None, "last": None, "rows": 0}


def test_the_report_says_passed_only_from_the_recorded_fits(quick, monkeypatch):
    import re

    from forecast import report
    honest = walkforward.run_experiment(config.replace(quick, models={"ridge": {}}),
                                        progress=False)
    page = report.html(honest)
    assert "Leak audit: passed" in page and "No leak found" in page
    monkeypatch.setattr(walkforward, "scaler_rows",
                        lambda train, windows: slice(train[0], windows.end[train[-1]] + 3))
    leaky = walkforward.run_experiment(config.replace(quick, models={"ridge": {}}),
                                       progress=False)
    page = report.html(leaky)
    said = re.search(r'id="audit-summary">(.*?)</p>', page).group(1)
    assert said.startswith("Possible leak: fold 1: the scalers were fitted on rows up to")
    assert "Leak audit: passed" not in page
    assert "the scalers were fitted on rows up to" in re.search(
        r'id="verdict-text">(.*?)</div>', page, re.S).group(1)
    # the split's own dates are unchanged: only the recorded fits show the leak
    assert [f.test_start for f in leaky.folds] == [f.test_start for f in honest.folds]
    assert leaky.metrics["folds"] == honest.metrics["folds"]


def test_summary_and_build_by_hand():
    folds = [{"fold": 1, "test_start": "2020-03-02", "validation_start": "2020-02-20"}]
    scaler = audit.note("scaler", pd.to_datetime(["2019-01-02", "2020-02-28"]))
    records = [
        {"fold": 0, "model": "m", "fits": [scaler, audit.note("fit", ["2019-01-03"]),
                                           audit.note("early_stopping", ["2020-02-20"])]},
        {"fold": 0, "model": "old"},  # a record saved before fits noted their rows
    ]
    s = audit.summary({"sma_20": "passed", "bad_5": "Failed: looks ahead"}, folds, records)
    assert s["indicators"] == {"sma_20": "passed", "bad_5": "Failed: looks ahead"}
    assert s["passed"] is False and s["findings"] == [
        "indicator bad_5 failed the causality check"]
    assert s["unrecorded"] == ["old"]
    assert s["folds"] == [{
        "fold": 1, "test_start": "2020-03-02", "validation_start": "2020-02-20",
        "scaler": {"first": "2019-01-02", "last": "2020-02-28", "rows": 2},
        "models": {"m": {"fit": {"first": "2019-01-03", "last": "2019-01-03", "rows": 1},
                         "early_stopping": {"first": "2020-02-20", "last": "2020-02-20",
                                            "rows": 1}},
                   "old": {}}}]
    assert audit.summary({"sma_20": "PASSED"}, folds, records[:1])["passed"] is True
    assert audit.note("fit", []) == {"kind": "fit", "first": None, "last": None, "rows": 0}
    bare = [{"fold": 3, "test_start": "2020-03-02", "scaler": scaler}]  # no models at all
    assert audit.findings(bare) == [] and audit.unrecorded(bare) == []
