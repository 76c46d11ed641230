"""--split random / leave_one_out / temporal on hand-built logs, and their invariants."""

import numpy as np
import pytest

from ahns_tf.data.split import TEST, TRAIN, VALID, split_parts

T, V, X = TRAIN, VALID, TEST  # X: test


def test_leave_one_out_by_time_with_ties_broken_by_file_order():
    users = [0, 0, 0, 0, 1, 1, 2]
    times = [5, 9, 1, 9, 3, 2, 7]
    # user 0: times 5, 9 (row 1), 1, 9 (row 3): the tie at 9 goes to the later row 3 -> test,
    # row 1 -> validation, rows 0, 2 -> train. user 1 (2 interactions): time 3 test, time 2
    # train, no validation. user 2 (1 interaction): train.
    assert split_parts(users, times, "leave_one_out").tolist() == [T, V, T, X, X, T, T]


def test_leave_one_out_without_validation():
    assert split_parts([0, 0, 0], [1, 2, 3], "leave_one_out", valid_ratio=0).tolist() == \
        [T, T, X]


def test_temporal_is_one_global_cutoff():
    times = [50, 10, 40, 20, 30, 60, 70, 80, 90, 100]
    # N = 10: round(0.2 * 10) = 2 latest (100, 90) test, round(0.1 * 10) = 1 before them (80)
    # validation, the rest train, whoever the user.
    parts = split_parts([0, 1, 2, 0, 1, 2, 0, 1, 2, 0], times, "temporal", 0.2, 0.1)
    assert parts.tolist() == [T, T, T, T, T, T, T, V, X, X]


def test_random_per_user_counts():
    # user 0: 10 interactions -> round(2.0) = 2 test, round(1.0) = 1 valid; user 1: 5 ->
    # round(1.0) = 1 test, round(0.5) = 1 valid (halves round up); user 2: 1 -> all train
    # (a user keeps one training interaction); user 3: 2 -> round(0.4) = 0 test, 0 valid.
    users = np.repeat([0, 1, 2, 3], [10, 5, 1, 2])
    parts = split_parts(users, None, "random", 0.2, 0.1, seed=3)
    expected = {0: (7, 1, 2), 1: (3, 1, 1), 2: (1, 0, 0), 3: (2, 0, 0)}
    for user, counts in expected.items():
        got = np.bincount(parts[users == user], minlength=3)
        assert tuple(got) == counts, user


def test_random_is_seeded():
    users = np.repeat(np.arange(20), 10)
    a, b = (split_parts(users, None, "random", seed=1) for _ in range(2))
    c = split_parts(users, None, "random", seed=2)
    np.testing.assert_array_equal(a, b)
    assert (a != c).any()


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("method", ["leave_one_out", "temporal"])
def test_time_based_splits_respect_time(method, seed):
    rng = np.random.default_rng(seed)
    users = rng.integers(0, 15, 300)
    times = rng.integers(0, 40, 300)               # many ties
    parts = split_parts(users, times, method, 0.2, 0.1)
    assert set(np.unique(parts)) <= {T, V, X} and parts.shape == (300,)
    groups = [np.arange(300)] if method == "temporal" else \
        [np.flatnonzero(users == u) for u in np.unique(users)]
    for rows in groups:
        t, p = times[rows], parts[rows]
        # nothing in a later part happened before anything in an earlier part
        for early, late in ((T, V), (T, X), (V, X)):
            if (p == early).any() and (p == late).any():
                assert t[p == early].max() <= t[p == late].min()


@pytest.mark.parametrize("kwargs, match", [
    ({"method": "by_month"}, "--split"),
    ({"method": "temporal"}, "--time-col"),
    ({"test_ratio": 0.0}, "--test-ratio"),
    ({"test_ratio": 0.6, "valid_ratio": 0.4}, "sum below 1"),
])
def test_bad_settings_name_the_flag(kwargs, match):
    with pytest.raises(ValueError, match=match):
        split_parts([0, 0], **kwargs)
