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


def test_defaults_five_expanding_folds_without_gap():
    folds = list(WalkForward(initial_train=10).split(20))
    assert len(folds) == 5
    for k, (train, test) in enumerate(folds):
        np.testing.assert_array_equal(train, np.arange(0, 10 + 2 * k))  # from the start
        np.testing.assert_array_equal(test, np.arange(10 + 2 * k, 12 + 2 * k))  # no gap
    assert "window='expanding'" in repr(WalkForward(initial_train=10))


@pytest.mark.parametrize("test_size, fewest", [(None, 15), (3, 25)])
def test_the_fewest_samples_split_and_one_fewer_does_not(test_size, fewest):
    split = WalkForward(initial_train=10, n_splits=5, test_size=test_size)
    assert split.min_samples() == fewest
    folds = list(split.split(fewest))
    assert len(folds) == 5 and folds[-1][1][-1] == fewest - 1
    assert sum(len(test) for _, test in folds) == fewest - 10
    with pytest.raises(ValueError, match=f"^{fewest - 1} samples are too few for 5 folds after "
                       f"10 training samples and gap 0: need at least {fewest}$"):
        list(split.split(fewest - 1))
