"""The cold-start benchmark's split, metrics and baselines against hand-computed values, and one
tiny end-to-end run of it."""

import json
import math

import numpy as np
import pyarrow as pa
import pytest

from benchmarks import cold_data


def _log(pairs):
    users, items = zip(*pairs)
    return pa.table({"user_id": list(users), "item_id": list(items)})


def test_ranking_metrics_match_hand_computed_recall_and_ndcg():
    scores = np.array([[0.9, 0.8, 0.1, 0.5],
                       [0.9, 0.8, 0.1, 0.5]])
    # User 0: item 0 excluded, so the top 2 are items 1 and 3: both test items, a perfect list.
    # User 1: test items 2 and 3; the top 2 are 0 and 1, then 3: no hit in the top 2.
    got = cold_data.ranking_metrics(scores, [[1, 3], [3, 2]], [[0], []], k=2)
    assert got["recall@2"] == pytest.approx(100 * (1.0 + 0.0) / 2)
    assert got["ndcg@2"] == pytest.approx(100 * (1.0 + 0.0) / 2)
    # A single hit at rank 2 of 3 test items: recall 1/3; NDCG (1/log2 3) / (1 + 1/log2 3).
    got = cold_data.ranking_metrics(np.array([[0.1, 0.9, 0.5, 0.0]]), [[2, 3, 0]], [[]], k=2)
    assert got["recall@2"] == pytest.approx(100 / 3)
    assert got["ndcg@2"] == pytest.approx(100 * (1 / math.log2(3)) / (1 + 1 / math.log2(3)))


def test_new_items_leave_the_warm_log_and_only_warm_users_are_tested():
    pairs = [(f"u{u}", f"i{i}") for u in range(6) for i in range(10) if (u + i) % 2 == 0]
    pairs.append(("lonely", "i1"))          # a user whose only item may become new
    warm, test, new = cold_data.split_new(_log(pairs), "item", share=0.2, seed=3)
    assert len(new) == 2
    assert not set(warm.column("item_id").to_pylist()) & set(new)
    warm_users = set(warm.column("user_id").to_pylist())
    expected = {}
    for user, item in pairs:
        if item in new and user in warm_users:
            expected.setdefault(user, []).append(item)
    assert test == {u: sorted(v) for u, v in expected.items()} and test
    assert cold_data.split_new(_log(pairs), "item", 0.2, seed=3)[2] == new     # seeded


def test_new_users_are_tested_on_warm_items_only():
    pairs = [("a", "x"), ("a", "y"), ("b", "y"), ("c", "z"), ("d", "x")]
    warm, test, new = cold_data.split_new(_log(pairs), "user", share=0.25, seed=0)
    assert len(new) == 1 and not set(warm.column("user_id").to_pylist()) & set(new)
    warm_items = set(warm.column("item_id").to_pylist())
    assert all(u in new and set(items) <= warm_items for u, items in test.items())


def test_the_genre_profile_ranks_an_items_own_genres_first():
    items = pa.table({"item_id": ["1", "2", "3", "4"],
                      "genres": ["Comedy", "Comedy|Drama", "Horror", "Drama"]})
    vectors = cold_data.genre_vectors(items, ["1", "2", "3", "4"])
    assert np.allclose(vectors[1], [1 / math.sqrt(2), 1 / math.sqrt(2), 0])   # Comedy, Drama
    scores = cold_data.genre_profile_scores([[0]], vectors, np.array([1, 2, 3]),
                                            np.random.default_rng(0))
    # A comedy watcher: Comedy|Drama (cosine 0.71) above Drama and Horror (0).
    assert scores[0].argmax() == 0 and scores[0, 0] == pytest.approx(1 / math.sqrt(2), abs=1e-6)


def test_the_demographic_baseline_ranks_what_the_same_group_watched():
    users = pa.table({"user_id": ["a", "b", "c", "new", "odd"], "gender": ["F", "M", "M", "M", "X"],
                      "occupation": ["nurse", "coder", "coder", "coder", "none"]})
    warm = (["a", "a", "b", "c"], ["x", "y", "z", "z"])
    scores = cold_data.demographic_scores(["new", "odd"], users, warm, ["x", "y", "z"],
                                          np.random.default_rng(0))
    assert scores[0].argmax() == 2                       # z: the coders' item
    assert np.allclose(scores[1], [1, 1, 2], atol=1e-6)  # no group: everyone's counts


@pytest.mark.slow
def test_the_benchmark_runs_end_to_end_on_a_tiny_catalogue(tmp_path):
    from benchmarks.cold_start import main
    rng = np.random.default_rng(0)
    genres = ["Comedy", "Drama", "Horror"]
    data = tmp_path / "data"
    data.mkdir()
    (data / "items.csv").write_text("item_id,title,year,genres\n" + "".join(
        f"{i},Film {i},{1990 + i % 9},{genres[i % 3]}\n" for i in range(1, 61)))
    (data / "users.csv").write_text("user_id,age,gender,occupation,zip_code\n" + "".join(
        f"{u},{20 + u % 30},{'MF'[u % 2]},job{u % 4},0{u}\n" for u in range(1, 41)))
    rows = [f"{u},{i},4,{t}" for t, (u, i) in enumerate(
        (u, int(i)) for u in range(1, 41)
        for i in rng.choice(np.arange(1 + u % 3, 61, 3), 12, replace=False))]
    (data / "ratings.csv").write_text("user_id,item_id,rating,timestamp\n" + "\n".join(rows))
    out = tmp_path / "results"
    assert main(["--data", str(data), "--seeds", "0", "1", "--epochs", "2", "--trials", "1",
                 "--output", str(out), "--work-dir", str(tmp_path / "work")]) == 0
    payload = json.loads((out / "cold-start.json").read_text())
    assert set(payload["summary"]["items"]) == {"random", "content", "mf_ahns", "towers_rns",
                                                 "towers_ahns"}
    assert "popularity" in payload["summary"]["users"]
    assert len(payload["checks"]) == 4 and "towers + AHNS" in (out / "cold-start.md").read_text()
