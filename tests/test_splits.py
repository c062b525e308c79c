import numpy as np
import pytest

from forecast.splits import WalkForward


def test_expanding_folds_match_the_reference_arithmetic():
    # W1: 4921 samples, 2500 initial, 5 folds of 484, the last takes the remainder
    folds = list(WalkForward(initial_train=2500, n_splits=5).split(4921))
    assert [len(te) for _, te in folds] == [484, 484, 484, 484, 485]
    for k, (tr, te) in enumerate(folds):
        np.testing.assert_array_equal(tr, np.arange(0, 2500 + 484 * k))
        assert te[0] == tr[-1] + 1
    assert folds[-1][1][-1] == 4920


def test_exact_indices_with_gap_and_test_size():
    folds = list(WalkForward(initial_train=4, n_splits=2, test_size=2, gap=1).split(20))
    np.testing.assert_array_equal(folds[0][0], [0, 1, 2, 3])
    np.testing.assert_array_equal(folds[0][1], [5, 6])
    np.testing.assert_array_equal(folds[1][0], [0, 1, 2, 3, 4, 5])
    np.testing.assert_array_equal(folds[1][1], [7, 8])


def test_sliding_window_keeps_the_training_size():
    folds = list(WalkForward(initial_train=5, n_splits=3, window="sliding").split(20))
    assert [len(tr) for tr, _ in folds] == [5, 5, 5]
    np.testing.assert_array_equal(folds[2][0], np.arange(10, 15))


def test_no_test_index_is_ever_trained_on_and_tests_do_not_overlap():
    seen = set()
    for tr, te in WalkForward(initial_train=30, n_splits=4, gap=2).split(100):
        assert tr.max() < te.min() - 2
        assert not seen & set(te)
        seen |= set(te)


def test_too_few_samples_says_how_many_are_needed():
    split = WalkForward(initial_train=10, n_splits=5)
    with pytest.raises(ValueError, match="need at least 15"):
        list(split.split(12))


def test_constructor_only_stores_settings():
    s = WalkForward(initial_train=-1, n_splits=0)
    assert (s.initial_train, s.n_splits) == (-1, 0)
    assert "initial_train=-1" in repr(s)
