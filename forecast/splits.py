"""Walk-forward splits over samples, in the manner of scikit-learn's splitters."""
from __future__ import annotations

import numpy as np


class WalkForward:
    """Expanding (or sliding) walk-forward folds.

    The first fold trains on samples ``[0, initial_train)``; the test blocks that follow
    cover the rest in ``n_splits`` parts of ``test_size`` samples (by default the rest divided
    evenly, the last block taking the remainder). ``gap`` samples between the end of training
    and the start of testing are left out of both. ``window="sliding"`` keeps the training
    size fixed at ``initial_train``.
    """

    def __init__(self, *, initial_train, n_splits=5, test_size=None, gap=0,
                 window="expanding"):
        self.initial_train = initial_train
        self.n_splits = n_splits
        self.test_size = test_size
        self.gap = gap
        self.window = window

    def split(self, n_samples):
        """Yield ``(train_idx, test_idx)`` index arrays, oldest fold first."""
        first_test = self.initial_train + self.gap
        rest = n_samples - first_test
        size = self.test_size or rest // self.n_splits
        if size < 1 or first_test + size * self.n_splits > n_samples:
            raise ValueError(f"{n_samples} samples are too few for {self.n_splits} folds "
                             f"after {self.initial_train} training samples and gap "
                             f"{self.gap}: need at least {self.min_samples()}")
        for k in range(self.n_splits):
            test_start = first_test + k * size
            last = k == self.n_splits - 1 and self.test_size is None
            test_end = n_samples if last else test_start + size
            train_end = test_start - self.gap
            train_start = train_end - self.initial_train if self.window == "sliding" else 0
            yield np.arange(train_start, train_end), np.arange(test_start, test_end)

    def min_samples(self):
        """The fewest samples these settings can split."""
        return self.initial_train + self.gap + (self.test_size or 1) * self.n_splits

    def get_n_splits(self):
        return self.n_splits

    def __repr__(self):
        return (f"WalkForward(initial_train={self.initial_train}, n_splits={self.n_splits}, "
                f"test_size={self.test_size}, gap={self.gap}, window={self.window!r})")
