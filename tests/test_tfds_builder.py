"""tfds.load reads the same interactions as the project's reader."""

import os

import pytest

from ahns_tf.data import read_interactions


@pytest.mark.slow
def test_tfds_load_tools_from_the_manual_dir(shared_data, tmp_path):
    tfds = pytest.importorskip("tensorflow_datasets")
    from ahns_tf.data import tfds_builder  # noqa: F401  registers ahns_interactions
    config = tfds.download.DownloadConfig(manual_dir=shared_data)
    test = tfds.load("ahns_interactions/tools", split="test", data_dir=str(tmp_path),
                     download_and_prepare_kwargs={"download_config": config})
    pairs = sorted((int(x["user_id"]), int(x["item_id"])) for x in test.as_numpy_iterator())
    expected = read_interactions(os.path.join(shared_data, "tools", "test.txt"))
    assert pairs == list(zip(expected.users.tolist(), expected.items.tolist()))
