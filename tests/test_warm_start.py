"""--warm-start: rows of ids seen before are carried over by raw id, new ids keep fresh rows."""

import json

import numpy as np
import pytest

from ahns_tf.config import TrainConfig
from ahns_tf.data import DataFormatError
from ahns_tf.data.checks import DataSettingsError
from ahns_tf.data.vocabulary import Vocabulary
from ahns_tf.models.backbones import MatrixFactorization
from ahns_tf.runs.warm_start import warm_start
from ahns_tf.training import train


def _old_run(path, users, items, dim=4, backbone="mf"):
    """A run folder whose row r of each table is filled with 100 * (r + 1) (+ 0.5 for items)."""
    path.mkdir()
    config = TrainConfig(dataset="old", data_file="old.csv", backbone=backbone).to_json()
    (path / "metrics.json").write_text(json.dumps({"config": config}))
    Vocabulary(np.asarray(users, object), np.asarray(items, object)).save(str(path))
    np.savez(path / "embeddings.npz",
             user_embeddings=np.repeat(100.0 * np.arange(1, len(users) + 1), dim).reshape(-1, dim),
             item_embeddings=np.repeat(100.0 * np.arange(1, len(items) + 1) + 0.5,
                                       dim).reshape(-1, dim))
    return str(path)


def test_seen_ids_keep_their_rows_and_new_ids_keep_fresh_ones(tmp_path):
    old = _old_run(tmp_path / "old", ["a", "b", "c"], ["x", "y"])
    new = Vocabulary(np.asarray(["b", "c", "d"], object), np.asarray(["w", "x"], object))
    backbone = MatrixFactorization(3, 2, 4)
    fresh_users, fresh_items = backbone.user_embeddings.numpy(), backbone.item_embeddings.numpy()
    carried = warm_start(backbone, new, old)
    users, items = backbone.user_embeddings.numpy(), backbone.item_embeddings.numpy()
    # b was old row 1 (200), c old row 2 (300); d is new. x was old item row 0 (100.5); w new.
    np.testing.assert_array_equal(users[0], [200.0] * 4)
    np.testing.assert_array_equal(users[1], [300.0] * 4)
    np.testing.assert_array_equal(users[2], fresh_users[2])
    np.testing.assert_array_equal(items[0], fresh_items[0])
    np.testing.assert_array_equal(items[1], [100.5] * 4)
    assert carried == {"users": 2, "items": 1}


def test_a_table_of_another_size_names_the_file_and_dim(tmp_path):
    old = _old_run(tmp_path / "old", ["a"], ["x"], dim=8)
    new = Vocabulary(np.asarray(["a"], object), np.asarray(["x"], object))
    with pytest.raises(DataFormatError, match="embeddings.npz.*--dim 4"):
        warm_start(MatrixFactorization(1, 1, 4), new, old)


def test_a_folder_without_a_vocabulary_is_refused(tmp_path):
    new = Vocabulary(np.asarray(["a"], object), np.asarray(["x"], object))
    with pytest.raises(FileNotFoundError, match="vocabulary.json"):
        warm_start(MatrixFactorization(1, 1, 4), new, str(tmp_path))


@pytest.mark.parametrize("damage", [b"", b"PK\x03\x04 cut short", b"not a zip file"])
def test_corrupt_embeddings_npz_names_the_file(tmp_path, damage):
    old = _old_run(tmp_path / "old", ["a"], ["x"])
    (tmp_path / "old" / "embeddings.npz").write_bytes(damage)
    new = Vocabulary(np.asarray(["a"], object), np.asarray(["x"], object))
    with pytest.raises(DataFormatError, match=r"old/embeddings\.npz: not a readable"):
        warm_start(MatrixFactorization(1, 1, 4), new, old)


def test_warm_start_from_a_lightgcn_run_into_mf_is_refused(tmp_path):
    # LightGCN saves propagated tables: copied as MF weights they would be another model.
    old = _old_run(tmp_path / "old", ["a"], ["x"], backbone="lightgcn")
    new = Vocabulary(np.asarray(["a"], object), np.asarray(["x"], object))
    backbone = MatrixFactorization(1, 1, 4)
    before = backbone.user_embeddings.numpy()
    with pytest.raises(DataSettingsError,
                       match=r"--warm-start .*old: .*--backbone lightgcn.*--backbone mf"):
        warm_start(backbone, new, old)
    np.testing.assert_array_equal(backbone.user_embeddings.numpy(), before)


@pytest.mark.parametrize("content, error, match", [
    (None, FileNotFoundError, r"old/metrics\.json"),
    ("{not json", DataFormatError, r"old/metrics\.json: not a readable"),
    ('{"history": []}', DataFormatError, r"old/metrics\.json: not a readable"),
])
def test_a_run_folder_without_a_readable_metrics_json_is_refused(tmp_path, content, error,
                                                                 match):
    old = _old_run(tmp_path / "old", ["a"], ["x"])
    if content is None:
        (tmp_path / "old" / "metrics.json").unlink()
    else:
        (tmp_path / "old" / "metrics.json").write_text(content)
    new = Vocabulary(np.asarray(["a"], object), np.asarray(["x"], object))
    with pytest.raises(error, match=match):
        warm_start(MatrixFactorization(1, 1, 4), new, old)


def test_a_damaged_vocabulary_json_names_the_file(tmp_path):
    old = _old_run(tmp_path / "old", ["a"], ["x"])
    (tmp_path / "old" / "vocabulary.json").write_text("{cut")
    new = Vocabulary(np.asarray(["a"], object), np.asarray(["x"], object))
    with pytest.raises(DataFormatError, match=r"old/vocabulary\.json: is unreadable"):
        warm_start(MatrixFactorization(1, 1, 4), new, old)


def test_warm_start_needs_raw_ids():
    with pytest.raises(ValueError, match="--warm-start needs a log with raw ids"):
        TrainConfig(dataset="tools", warm_start="runs/x").resolved()


def _write_log(path, rows):
    path.write_text("user_id,item_id,timestamp\n" + "".join(f"{u},{i},{t}\n" for u, i, t in rows))
    return str(path)


@pytest.mark.slow
def test_daily_retraining_starts_from_yesterdays_embeddings(tmp_path):
    rng = np.random.default_rng(0)
    day1 = [(f"u{u}", f"i{i}", t) for u in range(10)
            for t, i in enumerate(rng.choice(12, 5, replace=False))]
    # day 2: users u5..u14 (u10..u14 new), items i0..i15 (i12..i15 new)
    day2 = [(f"u{u}", f"i{i}", t) for u in range(5, 15)
            for t, i in enumerate(rng.choice(16, 5, replace=False))]
    settings = dict(epochs=1, ks=(3,), select_metric="recall@3", top_k=3, batch_size=16, dim=8,
                    num_candidates=4)
    first = train(TrainConfig(dataset="day1", data_file=_write_log(tmp_path / "d1.csv", day1),
                              output_dir=str(tmp_path / "day1"), **settings),
                  export=False, verbose=0)
    # lr 1e-9: one epoch moves no weight visibly, so rows show where they started.
    train(TrainConfig(dataset="day2", data_file=_write_log(tmp_path / "d2.csv", day2),
                      output_dir=str(tmp_path / "day2"), warm_start=first["config"]["output_dir"],
                      lr=1e-9, **settings), export=False, verbose=0)
    old, new = (np.load(tmp_path / d / "embeddings.npz") for d in ("day1", "day2"))
    old_vocab, new_vocab = (json.loads((tmp_path / d / "vocabulary.json").read_text())
                            for d in ("day1", "day2"))
    for kind, table in (("user_ids", "user_embeddings"), ("item_ids", "item_embeddings")):
        for row, raw in enumerate(new_vocab[kind]):
            if raw in old_vocab[kind]:
                np.testing.assert_allclose(new[table][row],
                                           old[table][old_vocab[kind].index(raw)], atol=1e-6)
            else:  # a fresh row: no old row is equal to it
                assert not np.isclose(old[table], new[table][row], atol=1e-6).all(axis=1).any()
    assert "u12" in new_vocab["user_ids"] and "u12" not in old_vocab["user_ids"]
