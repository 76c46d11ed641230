"""The cold-start benchmark's data and baselines: a seeded share of new items (or users), and
the metrics and the non-learnt rankings they are judged with.

`split_new` removes every interaction of a seeded 20% of items (or users) from a log; what
remains is the warm log the runs train on, and the removed interactions of warm users (or
the new users' interactions with warm items) are the test. Scores are ranked with
`ranking_metrics`, written here in numpy from the definitions (Recall@K = hits / |test items|,
NDCG@K with binary gains) so that no library code judges itself.

Example:

```python
log = read_ratings("../shared/data/ml-100k/ratings.csv")
warm, test = split_new(log, "item", share=0.2, seed=0)
```
"""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv
import pyarrow.parquet as pq


def read_ratings(path: str) -> pa.Table:
    """``user_id``, ``item_id`` (as text) and the other columns of a ratings CSV."""
    return pv.read_csv(path, convert_options=pv.ConvertOptions(
        column_types={"user_id": pa.string(), "item_id": pa.string()}))


def split_new(log: pa.Table, side: str, share: float, seed: int):
    """``(warm log, test {id: [ids of the other side]}, new ids)``: a seeded `share` of the
    `side` ids (``"item"`` or ``"user"``) is new: all its interactions leave the warm log.

    The test holds the pairs whose other side is warm (new items: users of the warm log;
    new users: items of the warm log), keyed by user."""
    column, other = f"{side}_id", ("user_id" if side == "item" else "item_id")
    ids = np.asarray(sorted(set(log.column(column).to_pylist())), object)
    rng = np.random.default_rng(seed)
    new = set(rng.choice(ids, int(round(share * len(ids))), replace=False).tolist())
    is_new = pc.is_in(log.column(column), value_set=pa.array(sorted(new), pa.string()))
    warm = log.filter(pc.invert(is_new))
    removed = log.filter(is_new)
    warm_other = set(warm.column(other).to_pylist())
    test = {}
    for user, item in zip(removed.column("user_id").to_pylist(),
                          removed.column("item_id").to_pylist()):
        if (user if side == "item" else item) in warm_other:
            test.setdefault(user, set()).add(item)
    return warm, {u: sorted(v) for u, v in test.items()}, sorted(new)


def ranking_metrics(scores: np.ndarray, positives: list, excluded: list, k: int = 20) -> dict:
    """Mean Recall@k and NDCG@k (in %) of `scores` [users, candidates].

    Args:
        scores: float [users, candidates].
        positives: per user, the candidate columns of its test items.
        excluded: per user, candidate columns never ranked (its known items).
        k: the cut-off.
    """
    scores = np.array(scores, np.float64)
    for row, cols in enumerate(excluded):
        scores[row, list(cols)] = -np.inf
    top = np.argsort(-scores, axis=1, kind="stable")[:, :k]                # [users, k]
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    recall, ndcg = [], []
    for row, cols in enumerate(positives):
        hits = np.isin(top[row], list(cols))
        recall.append(hits.sum() / len(cols))
        ndcg.append((hits * discounts[:len(hits)]).sum() / discounts[:min(len(cols), k)].sum())
    return {f"recall@{k}": 100 * float(np.mean(recall)), f"ndcg@{k}": 100 * float(np.mean(ndcg))}


def genre_vectors(items: pa.Table, ids: list) -> np.ndarray:
    """float [len(ids), genres]: each item's multi-hot genres (``|``-separated), L2-normalised."""
    genres = dict(zip(items.column("item_id").cast(pa.string()).to_pylist(),
                      items.column("genres").to_pylist()))
    names = sorted({g for v in genres.values() if v for g in v.split("|")})
    out = np.zeros((len(ids), len(names)))
    for row, item in enumerate(ids):
        for g in (genres.get(item) or "").split("|"):
            if g:
                out[row, names.index(g)] = 1.0
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


def genre_profile_scores(history: list, item_vectors: np.ndarray,
                         candidates: np.ndarray, rng) -> np.ndarray:
    """The content baseline: the cosine of each user's genre profile (the sum of its training
    items' genre vectors) with each candidate's genres; ties broken at random.

    Args:
        history: per user, the rows of `item_vectors` of its training items.
        item_vectors: `genre_vectors` of every item.
        candidates: int [n] rows of `item_vectors` to score.
    """
    profiles = np.stack([item_vectors[list(rows)].sum(axis=0) for rows in history])
    profiles /= np.maximum(np.linalg.norm(profiles, axis=1, keepdims=True), 1e-12)
    scores = profiles @ item_vectors[candidates].T                           # [users, n]
    return scores + 1e-9 * rng.random(scores.shape)


def popularity_scores(counts: np.ndarray, users: int, rng) -> np.ndarray:
    """float [users, items]: the training interaction counts, the same for every user."""
    return np.tile(counts.astype(np.float64), (users, 1)) + 1e-9 * rng.random((users, len(counts)))


def demographic_scores(new_users: list, users: pa.Table, warm_pairs, items: list,
                       rng) -> np.ndarray:
    """The new-user content baseline: popularity among warm users of the same gender and
    occupation (all warm users when none shares both).

    Args:
        new_users: raw ids to score for.
        users: the user features table (``gender``, ``occupation``).
        warm_pairs: ``(users, items)`` raw ids of the warm log.
        items: the candidate raw item ids.
    """
    group = {u: (g, o) for u, g, o in zip(users.column("user_id").cast(pa.string()).to_pylist(),
                                          users.column("gender").to_pylist(),
                                          users.column("occupation").to_pylist())}
    column = {item: c for c, item in enumerate(items)}
    counts, overall = {}, np.zeros(len(items))
    for user, item in zip(*warm_pairs):
        if item in column:
            counts.setdefault(group.get(user), np.zeros(len(items)))[column[item]] += 1
            overall[column[item]] += 1
    scores = np.stack([counts.get(group.get(u), overall) for u in new_users])
    return scores + 1e-9 * rng.random(scores.shape)
