"""benchmarks.synthetic: seeded logs with popularity skew and topic structure, readable as data."""

import numpy as np
import pytest

from ahns_tf.data import load_dataset
from benchmarks.synthetic import generate, main


def _pairs(chunks):
    train, test = [], []
    for users, tr, te in chunks:
        for u, a, b in zip(users, tr, te):
            train += [(u, i) for i in a]
            test += [(u, i) for i in b]
    return np.array(train), np.array(test)


def test_logs_are_seeded_disjoint_skewed_and_topical():
    kw = dict(num_users=400, num_items=2000, num_interactions=20000, topics=20, chunk_users=150)
    train, test = _pairs(generate(seed=3, **kw))
    again, _ = _pairs(generate(seed=3, **kw))
    other, _ = _pairs(generate(seed=4, **kw))
    np.testing.assert_array_equal(train, again)
    assert not np.array_equal(train[:100], other[:100])
    assert set(np.unique(train[:, 0])) == set(range(400))            # everyone has train items
    assert not set(map(tuple, train)) & set(map(tuple, test))        # a pair is in one split
    assert 0.15 < len(test) / (len(train) + len(test)) < 0.25        # test_ratio 0.2
    assert train[:, 1].min() >= 0 and train[:, 1].max() < 2000
    # Power law: the 10% most popular items hold far more than 10% of the interactions.
    counts = np.sort(np.bincount(np.concatenate([train[:, 1], test[:, 1]]), minlength=2000))
    assert counts[-200:].sum() > 0.35 * counts.sum()
    # Topics: a user's items concentrate on few topics. Recover each item's topic as the
    # generator draws it (same seed and order of draws), then count topics per user.
    rng = np.random.default_rng(3)
    rng.permutation(2000)
    topic_of = rng.integers(0, 20, 2000)
    top3 = []
    for u in range(400):
        mine = topic_of[train[train[:, 0] == u, 1]]
        if mine.size >= 30:
            top3.append(np.sort(np.bincount(mine, minlength=20))[-3:].sum() / mine.size)
    # 3 liked topics and 10% noise: ~90% of a user's items; items drawn at random would put
    # about a third there.
    assert len(top3) > 20 and np.mean(top3) > 0.8


def test_cli_writes_files_the_reader_accepts(tmp_path):
    assert main(["--users", "50", "--items", "300", "--interactions", "600", "--seed", "1",
                 "--topics", "4", "--output", str(tmp_path / "synth")]) == 0
    data = load_dataset("synth", str(tmp_path), validation_fraction=None)
    assert data.num_users == 50 and data.num_items <= 300 and len(data.train) > 300


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError, match="at least 2 per user"):
        next(generate(100, 10, 150))
    with pytest.raises(ValueError, match="--items must be >= 1"):
        next(generate(10, 0, 100))
