"""What runs are ranked and compared by (forecast.report.scores)."""
import math

from forecast.report.scores import baseline_of, compared_by, mark, ranked_by


def test_a_target_is_ranked_by_what_its_report_ranks_by():
    assert (ranked_by("return").key, ranked_by("return").lower) == ("rmse", True)
    assert (compared_by("price").key, compared_by("price").lower) == ("theil_u", True)
    assert (ranked_by("direction").label, ranked_by("direction").lower) == ("Brier score",
                                                                            True)
    assert (ranked_by("volatility").key, ranked_by("volatility").lower) == ("qlike", True)
    assert ranked_by("unknown") is None


def test_a_mark_is_green_only_where_the_models_own_test_is_significant():
    # a lower RMSE, Brier score or QLIKE than the baseline is no win unless p < 0.05
    assert mark("return", {"theil_u": 0.99, "dm_pvalue": 0.01}, {}) == "ok"
    assert mark("return", {"theil_u": 0.9999, "dm_pvalue": 0.80}, {}) == ""
    assert mark("return", {"theil_u": 0.99, "dm_pvalue": 0.05}, {}) == ""  # 5% is not below
    assert mark("return", {"theil_u": 0.99}, {}) == ""  # no test recorded
    assert mark("price", {"theil_u": 1.01, "dm_pvalue": 0.01}, {}) == "fail"
    assert mark("return", {"theil_u": 1.01, "dm_pvalue": 0.30}, {}) == ""
    assert mark("direction", {"brier_skill": 0.01, "dm_pvalue": 0.01}, {}) == "ok"
    assert mark("direction", {"brier_skill": 0.01, "dm_pvalue": 0.2}, {}) == ""
    assert mark("direction", {"brier_skill": -0.01, "dm_pvalue": 0.01}, {}) == "fail"
    # volatility: against GARCH(1,1) by its own test when the run has it, else naive's
    garch = {"naive": {"qlike": -6.2}, "garch": {"qlike": -6.9}}
    assert mark("volatility", {"qlike": -6.95, "dm_garch_pvalue": 0.01, "dm_pvalue": 0.5},
                garch) == "ok"
    assert mark("volatility", {"qlike": -6.95, "dm_garch_pvalue": 0.09, "dm_pvalue": 0.001},
                garch) == ""
    assert mark("volatility", {"qlike": -6.8, "dm_garch_pvalue": 0.01}, garch) == "fail"
    alone = {"naive": {"qlike": -6.2}}
    assert mark("volatility", {"qlike": -6.8, "dm_pvalue": 0.001}, alone) == "ok"
    assert mark("volatility", {"qlike": math.nan, "dm_pvalue": 0.001}, alone) == ""
    assert mark("unknown", {"theil_u": 0.5, "dm_pvalue": 0.001}, {}) == ""


def test_the_baseline_is_the_targets_own_when_the_run_has_it_else_naive():
    assert baseline_of("volatility", ["naive", "garch", "gru"]) == "garch"
    assert baseline_of("volatility", ["naive", "gru"]) == "naive"
    assert baseline_of("return", ["naive", "drift"]) == "naive"
    assert baseline_of("unknown", ["naive"]) == "naive"
