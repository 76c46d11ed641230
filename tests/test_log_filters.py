"""Rating threshold, duplicates (the earliest kept) and k-core filtering of logs."""

import numpy as np
import pyarrow as pa
import pytest

from ahns_tf.data.filter import implicit_positives, k_core
from ahns_tf.data.log import Log, codes


def _log(users, items, times=None, ratings=None):
    columns = {"user_id": users, "item_id": items, "row": list(range(len(users)))}
    if times is not None:
        columns["timestamp"] = times
    if ratings is not None:
        columns["rating"] = [float(r) for r in ratings]
    return Log.from_table("log.csv", pa.table(columns))


def test_duplicates_keep_the_earliest_row_and_are_counted():
    # (a, x) at times 9, 2, 5 -> the row at time 2 (row 1) stays; (b, x) twice at time 4
    # -> the first row (3) stays. 2 + 1 = 3 duplicates.
    log = _log(["a", "a", "a", "b", "b"], ["x", "x", "x", "x", "x"], [9, 2, 5, 4, 4])
    kept, counts = implicit_positives(log)
    assert kept.table.column("row").to_pylist() == [1, 3]
    assert (counts.rows, counts.duplicates, counts.kept) == (5, 3, 2)
    assert "3 duplicate" in counts.describe("log.csv")


def test_without_times_the_first_row_of_a_pair_is_kept():
    kept, counts = implicit_positives(_log(["b", "a", "b", "a"], ["x", "y", "x", "y"]))
    assert kept.table.column("row").to_pylist() == [0, 1] and counts.duplicates == 2


def test_a_rating_threshold_above_every_rating_leaves_nothing():
    kept, counts = implicit_positives(_log(["a"], ["x"], ratings=[3]), min_rating=5)
    assert len(kept) == 0 and counts.below_min_rating == 1


def test_min_rating_keeps_ratings_at_or_above_it():
    log = _log(["a", "a", "b"], ["x", "y", "x"], ratings=[3, 4, 5])
    kept, counts = implicit_positives(log, min_rating=4)
    assert kept.table.column("row").to_pylist() == [1, 2] and counts.below_min_rating == 1


def test_min_rating_without_ratings_names_the_flag():
    with pytest.raises(ValueError, match="--rating-col"):
        implicit_positives(_log(["a"], ["x"]), min_rating=4)


def test_k_core_is_applied_until_stable():
    # 2-core. Item z has 1 interaction (c): dropped -> c has 1 left (y) -> c dropped ->
    # y has 1 left (b) -> b's y dropped -> b has 1 left (x) -> b dropped.
    # a: x, w; d: x, w remain (each item twice, each user twice).
    users = ["a", "a", "b", "b", "c", "c", "d", "d"]
    items = ["x", "w", "x", "y", "y", "z", "x", "w"]
    kept, counts = implicit_positives(_log(users, items), min_user_interactions=2,
                                      min_item_interactions=2)
    assert kept.table.column("row").to_pylist() == [0, 1, 6, 7] and counts.k_core == 4


def test_k_core_bounds_apply_separately_to_users_and_items():
    # users 0: {0, 1}, 1: {0}; only users need 2 -> user 1 goes, items need 1.
    assert k_core(np.array([0, 0, 1]), np.array([0, 1, 0]), 2, 1).tolist() == [True, True, False]


def test_codes_follow_text_order():
    assert codes(pa.array(["b", "10", "9", "b"])).tolist() == [2, 0, 1, 2]  # "10" < "9" < "b"
