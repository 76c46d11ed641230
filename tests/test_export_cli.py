"""`python -m pipelines.export` re-exports a finished run."""

import os
import subprocess
import sys

import numpy as np
import pytest

from ahns_tf.config import TrainConfig
from ahns_tf.training import train

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _export(*args):
    env = dict(os.environ, PYTHONPATH=REPO, TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run([sys.executable, "-m", "pipelines.export", *args], capture_output=True,
                          text=True, env=env, timeout=300)


@pytest.mark.slow
def test_reexport_with_another_k_and_version(toy_data_dir, tmp_path):
    config = TrainConfig(dataset="toy", data_dir=toy_data_dir, sampler="dns", epochs=2,
                         eval_every=1, ks=(5, 10), select_metric="recall@5",
                         output_dir=str(tmp_path / "run"), export_dir=str(tmp_path / "m" / "toy"),
                         top_k=5, batch_size=64)
    result = train(config, verbose=0)
    assert result["export_path"].endswith(os.path.join("toy", "1"))
    saved = np.load(tmp_path / "run" / "embeddings.npz")
    assert saved["user_embeddings"].shape == (40, 64) and saved["item_embeddings"].shape == (30, 64)
    out = _export("--run-dir", str(tmp_path / "run"), "--top-k", "3", "--version", "7")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"SavedModel: {tmp_path / 'm' / 'toy' / '7'}"
    assert sorted(os.listdir(tmp_path / "m" / "toy")) == ["1", "7"]
    assert "name: 'toy'" in (tmp_path / "m" / "models.config").read_text()


@pytest.mark.slow
def test_missing_run_is_a_clear_error(tmp_path):
    out = _export("--run-dir", str(tmp_path / "nothing"))
    assert out.returncode == 2
    assert "metrics.json not found" in out.stderr and "pipelines.train" in out.stderr
