import numpy as np
import pytest

from forecast.windows import future_sum, make_windows, rows_needed, trailing_sum


def test_windows_and_targets_follow_the_keras_contract():
    F = np.arange(20, dtype=float).reshape(10, 2)  # row r = [2r, 2r+1]
    series = np.arange(100, 110, dtype=float)
    w = make_windows(F, series, lookback=3, horizon=1)
    assert w.X.shape == (7, 3, 2)
    np.testing.assert_array_equal(w.X[0], F[0:3])
    np.testing.assert_array_equal(w.X[6], F[6:9])
    np.testing.assert_array_equal(w.end, np.arange(2, 9))
    # targets[i] belongs to the window starting at i: the value right after it
    np.testing.assert_array_equal(w.target, series[3:10])


def test_horizon_moves_the_target_and_shortens_the_windows():
    series = np.arange(10, dtype=float)
    w = make_windows(series, series, lookback=4, horizon=3)
    assert len(w.target) == 10 - 4 - 3 + 1
    np.testing.assert_array_equal(w.target, w.end + 3)
    np.testing.assert_array_equal(w.X[:, -1, 0], w.end)


def test_windows_are_views_not_copies():
    F = np.random.default_rng(0).normal(size=(500, 4))
    w = make_windows(F, F[:, 0], lookback=60)
    assert np.shares_memory(w.X, F)


def test_rows_needed_inverts_make_windows():
    for lookback, horizon, samples in [(60, 1, 100), (5, 3, 1)]:
        rows = rows_needed(lookback, horizon, samples)
        assert len(make_windows(np.zeros(rows), np.zeros(rows), lookback, horizon).target) \
            == samples


def test_too_few_rows_is_an_error():
    with pytest.raises(ValueError, match="no window"):
        make_windows(np.zeros(5), np.zeros(5), lookback=5)


def test_trailing_and_future_sums_of_a_window_end():
    values = np.array([np.nan, 1, 2, 3, 4, 5])  # row 0 has no return (no day before)
    end = np.array([0, 2, 3, 5])
    # up to and including the end: rows 1-2 for end 2, 2-3 for end 3, 4-5 for end 5
    np.testing.assert_array_equal(trailing_sum(values, end, 2), [np.nan, 3, 5, 9])
    # after the end: rows 1-2 for end 0, 3-4 for end 2, 4-5 for end 3; none after row 5
    np.testing.assert_array_equal(future_sum(values, end, 2), [3, 7, 9, np.nan])
    # the future sum of a window is what its target adds over the next h rows
    w = make_windows(np.zeros((6, 1)), np.cumsum(np.nan_to_num(values)), 2, horizon=2)
    np.testing.assert_allclose(future_sum(values, w.end, 2),
                               w.target - np.cumsum(np.nan_to_num(values))[w.end])


def test_one_day_lookback_and_a_next_day_target_by_default():
    series = np.arange(5, dtype=float)
    w = make_windows(series, series, lookback=1)
    np.testing.assert_array_equal(w.X[:, 0, 0], [0, 1, 2, 3])
    np.testing.assert_array_equal(w.target, [1, 2, 3, 4])  # horizon 1 unless told
    for lookback, horizon in [(0, 1), (1, 0)]:
        with pytest.raises(ValueError, match=f"^5 rows make no window of {lookback} with "
                           f"horizon {horizon}$"):
            make_windows(series, series, lookback, horizon)
    with pytest.raises(ValueError, match="^features have 5 rows, series 4$"):
        make_windows(series, series[:4], 1)


def test_sums_at_the_first_and_the_last_row():
    values = np.array([1.0, 2, 4, 8])
    # a window that starts exactly at row 0 or ends exactly at the last row is whole
    np.testing.assert_array_equal(trailing_sum(values, np.array([0, 1, 3]), 2),
                                  [np.nan, 3, 12])
    np.testing.assert_array_equal(future_sum(values, np.array([0, 1, 2, 3]), 2),
                                  [6, 12, np.nan, np.nan])
    assert trailing_sum(np.array([1, 2, 3]), np.array([2]), 3)[0] == 6  # integers too
