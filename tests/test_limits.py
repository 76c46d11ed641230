"""Issue 13, case 8: memory budget of the tables, upper bound on M, bounded serving batches."""

import os

import numpy as np
import pytest
import tensorflow as tf

from ahns_tf.config import TrainConfig
from conftest import write_dataset
from pipelines.train import main


def test_an_id_range_over_the_memory_budget_exits_2_naming_file_line_and_remedies(tmp_path,
                                                                                capsys):
    data = write_dataset(tmp_path / "data", "big", ["0 1 2", "1 2 200000", "2 0 1"],
                         ["0 0", "1 0"])
    # tables: (3 users + 200001 items) * 64 dims * 4 bytes * (weights + 2 Adam slots) = 154 MB
    assert main(["--dataset", "big", "--data-dir", data, "--memory-budget-gb", "0.1",
                 "--output-dir", str(tmp_path / "run"),
                 "--export-dir", str(tmp_path / "exp")]) == 2
    err = capsys.readouterr().err
    path = os.path.join(data, "big", "train.txt")
    assert f"{path}:2" in err and "200000" in err
    assert "0.15 GB" in err and "--memory-budget-gb 0.1" in err
    assert "--num-items" in err and "remap" in err
    assert not (tmp_path / "run").exists() and not (tmp_path / "exp").exists()


@pytest.mark.parametrize("train_lines, line", [
    (["0 1 2", "1 2 2000000000"], 2),                       # an item id
    (["0 1 2", "1 2 3", "2000000000 1 2 3"], 3),            # a user id, before the holdout split
])
def test_a_two_billion_id_is_refused_by_the_default_budget(tmp_path, capsys, train_lines, line):
    data = write_dataset(tmp_path / "data", "big", train_lines, ["0 0"])
    assert main(["--dataset", "big", "--data-dir", data,
                 "--output-dir", str(tmp_path / "run")]) == 2
    assert f"{os.path.join(data, 'big', 'train.txt')}:{line}" in capsys.readouterr().err


@pytest.mark.parametrize("flag", ["num_candidates", "num_negatives"])
def test_m_has_a_documented_upper_bound(flag):
    from ahns_tf.config import MAX_NUM_CANDIDATES
    assert MAX_NUM_CANDIDATES == 1024
    kwargs = {flag: 10_000_000, "sampler": "ssm" if flag == "num_negatives" else "ahns"}
    with pytest.raises(ValueError, match=rf"--{flag.replace('_', '-')} must be <= 1024, "
                                         r"got 10000000"):
        TrainConfig(**kwargs).resolved()
    TrainConfig(**dict(kwargs, **{flag: 1024})).resolved()


def test_serving_default_refuses_a_batch_over_max_batch_size():
    from ahns_tf.export import RetrievalServingModule
    module = RetrievalServingModule(np.ones((10, 2)), np.ones((3, 2)), ([0], [1]), k=2,
                                    max_batch_size=4)
    assert module.top_k(tf.constant([0, 1, 2, 3], tf.int64))["item_ids"].shape == (4, 2)
    with pytest.raises(tf.errors.InvalidArgumentError, match="max_batch_size 4"):
        module.top_k(tf.constant([0, 1, 2, 3, 4], tf.int64))


def test_the_serving_cap_survives_export_and_reload(tmp_path):
    from ahns_tf.export import RetrievalServingModule, export_retrieval_model
    module = RetrievalServingModule(np.ones((10, 2)), np.ones((3, 2)), ([0], [1]), k=2,
                                    max_batch_size=4)
    loaded = tf.saved_model.load(export_retrieval_model(module, str(tmp_path / "m" / "toy")))
    serve = loaded.signatures["serving_default"]
    assert serve(user_id=tf.constant([0, 1, 2, 3], tf.int64))["item_ids"].shape == (4, 2)
    with pytest.raises(tf.errors.InvalidArgumentError, match="max_batch_size 4"):
        serve(user_id=tf.constant([0, 1, 2, 3, 4], tf.int64))


def test_a_log_over_the_memory_budget_names_raw_ids_and_log_remedies(tmp_path, capsys):
    path = tmp_path / "log.csv"
    # items in text order: a, b, c (rows 0-2); c, the last row, is first on line 5.
    path.write_text("user_id,item_id\nzed,a\nzed,b\namy,a\nzed,c\namy,b\n")
    # (2 users + 3 items) * 64 dims * 4 bytes * 3 = 3,840 bytes > 1e-9 GB
    assert main(["--dataset", "mylog", "--data-file", str(path), "--memory-budget-gb", "1e-9",
                 "--output-dir", str(tmp_path / "run"),
                 "--export-dir", str(tmp_path / "exp")]) == 2
    err = capsys.readouterr().err
    assert f"{path}:5: 3 distinct item ids" in err and "'c'" in err, err
    assert "item id 2 " not in err and "remap" not in err and "--num-items" not in err
    assert "--min-item-interactions" in err and "--memory-budget-gb 1e-09" in err
    assert not (tmp_path / "run").exists() and not (tmp_path / "exp").exists()
