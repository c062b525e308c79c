"""What runs are ranked and compared by (forecast.report.scores)."""
import math

from forecast.report.scores import baseline_of, beats, compared_by, ranked_by


def test_a_target_is_ranked_by_what_its_report_ranks_by():
    assert (ranked_by("return").key, ranked_by("return").lower) == ("rmse", True)
    assert (compared_by("price").key, compared_by("price").lower) == ("theil_u", True)
    assert (ranked_by("direction").label, ranked_by("direction").lower) == ("Brier score",
                                                                            True)
    assert (ranked_by("volatility").key, ranked_by("volatility").lower) == ("qlike", True)
    assert ranked_by("unknown") is None


def test_beating_a_baseline_follows_the_scores_direction_and_a_tie_does_not_beat_it():
    assert beats(0.9, 1.0, lower=True) == "ok" and beats(1.1, 1.0, lower=True) == "fail"
    assert beats(0.6, 0.5, lower=False) == "ok" and beats(0.4, 0.5, lower=False) == "fail"
    assert beats(1.0, 1.0, lower=True) == "fail" == beats(1.0, 1.0, lower=False)
    assert beats(math.nan, 1.0, lower=True) == "" == beats(1.0, math.inf, lower=True)


def test_the_baseline_is_the_targets_own_when_the_run_has_it_else_naive():
    assert baseline_of("volatility", ["naive", "garch", "gru"]) == "garch"
    assert baseline_of("volatility", ["naive", "gru"]) == "naive"
    assert baseline_of("return", ["naive", "drift"]) == "naive"
    assert baseline_of("unknown", ["naive"]) == "naive"
