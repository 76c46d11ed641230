"""--dataset tfds:NAME, offline, on `tfds.testing.mock_data`."""

import json

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from ahns_tf.config import TrainConfig
from ahns_tf.data import DataFormatError
from ahns_tf.data.read_tfds import read_tfds
from ahns_tf.training import train

NAME = "movielens/100k-ratings"


def _mock(examples):
    """mock_data whose dataset yields exactly `examples` (a dict of equal-length lists)."""
    def as_dataset(self, *args, **kwargs):
        return tf.data.Dataset.from_tensor_slices({k: tf.constant(v) for k, v in examples.items()})
    return tfds.testing.mock_data(as_dataset_fn=as_dataset)


def test_features_become_the_log_columns(tmp_path):
    examples = {"user_id": [b"7", b"3", b"7"], "movie_id": [b"10", b"20", b"30"],
                "timestamp": [5, 6, 7], "user_rating": [4.0, 2.0, 5.0]}
    with _mock(examples):
        log = read_tfds(NAME, str(tmp_path), item_col="movie_id", rating_col="user_rating")
    assert log.column("user_id").to_pylist() == ["7", "3", "7"]
    assert log.column("item_id").to_pylist() == ["10", "20", "30"]
    assert log.column("timestamp").to_pylist() == [5, 6, 7]   # "timestamp" found by default
    assert log.column("rating").to_pylist() == [4.0, 2.0, 5.0]


def test_a_missing_feature_lists_the_features(tmp_path):
    with _mock({"user_id": [b"1"], "movie_id": [b"2"]}):
        with pytest.raises(DataFormatError, match="no item feature 'item_id' \\(--item-col\\); "
                                                  "its features are: user_id, movie_id"):
            read_tfds(NAME, str(tmp_path))


def test_an_unprepared_dataset_is_an_error_not_a_download(tmp_path):
    with pytest.raises(DataFormatError, match="not available offline in --tfds-data-dir"):
        read_tfds(NAME, str(tmp_path / "empty"), item_col="movie_id")
    assert not (tmp_path / "empty").exists() or not any((tmp_path / "empty").iterdir())


@pytest.mark.slow
def test_tfds_dataset_trains_and_exports_offline(tmp_path):
    rng = np.random.default_rng(0)
    users = np.repeat(np.arange(12), 6)
    items = np.concatenate([rng.choice(20, 6, replace=False) for _ in range(12)])
    examples = {"user_id": [str(u).encode() for u in users],
                "movie_id": [f"m{i}".encode() for i in items],
                "timestamp": np.arange(users.size).tolist(),
                "user_rating": rng.integers(1, 6, users.size).astype(float).tolist()}
    config = TrainConfig(dataset=f"tfds:{NAME}", tfds_data_dir=str(tmp_path / "tfds"),
                         item_col="movie_id", rating_col="user_rating", min_rating=2,
                         split="temporal", epochs=1, ks=(5,), select_metric="recall@5",
                         batch_size=16, num_candidates=4, top_k=3,
                         output_dir=str(tmp_path / "run"),
                         export_dir=str(tmp_path / "models" / "ml"))
    with _mock(examples):
        result = train(config, verbose=0)
    kept = int((np.asarray(examples["user_rating"]) >= 2).sum())
    assert result["dataset"]["train_interactions"] + result["dataset"]["valid_interactions"] \
        + result["dataset"]["test_interactions"] == kept
    vocab = json.loads((tmp_path / "run" / "vocabulary.json").read_text())
    assert vocab["item_ids"] == sorted({f"m{i}" for i, r in zip(items, examples["user_rating"])
                                        if r >= 2})
    fn = tf.saved_model.load(result["export_path"]).signatures["serving_default"]
    assert fn(user_id=tf.constant(["nobody"]))["known_user"].numpy().tolist() == [False]


def test_default_folders_of_a_tfds_name_are_one_folder_each():
    config = TrainConfig(dataset="tfds:movielens/1m-ratings", item_col="movie_id").resolved()
    assert (config.output_dir, config.export_dir) == ("runs/movielens-1m-ratings-ahns",
                                                      "saved_models/movielens-1m-ratings")
