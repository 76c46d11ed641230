"""The validation hold-out."""

import numpy as np
import pytest

from ahns_tf.data import Interactions, holdout_split


def _pairs(interactions):
    return set(zip(interactions.users.tolist(), interactions.items.tolist()))


def test_holds_out_ten_percent_keeps_every_user_and_partitions_pairs():
    rng = np.random.default_rng(0)
    users = np.repeat(np.arange(200), rng.integers(1, 12, 200))
    items = rng.integers(0, 10_000, users.size)
    full = Interactions.from_pairs(users, items)
    train, valid = holdout_split(full, 0.1, seed=3)
    assert len(valid) == round(0.1 * len(full))
    assert _pairs(train) | _pairs(valid) == _pairs(full)
    assert not _pairs(train) & _pairs(valid)
    assert set(train.users.tolist()) == set(full.users.tolist())  # nobody loses all training data


def test_same_seed_same_split_other_seed_other_split():
    full = Interactions.from_pairs(np.repeat(np.arange(50), 10), np.tile(np.arange(10), 50))
    a = holdout_split(full, 0.1, seed=1)[1]
    b = holdout_split(full, 0.1, seed=1)[1]
    c = holdout_split(full, 0.1, seed=2)[1]
    assert _pairs(a) == _pairs(b) != _pairs(c)


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, float("nan")])
def test_bad_fraction_is_rejected(fraction):
    with pytest.raises(ValueError, match="fraction must be in"):
        holdout_split(Interactions.from_pairs([0, 0], [1, 2]), fraction)
