"""Issue 13, case 4: run files and exports follow the umask (a non-root TF Serving reads them)."""

import os
import stat

import numpy as np
import pytest

from ahns_tf.config import TrainConfig
from ahns_tf.atomic import atomic_write_text
from ahns_tf.export import RetrievalServingModule, export_retrieval_model
from ahns_tf.training import train


@pytest.fixture(params=[0o022, 0o027])
def umask(request):
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_atomic_writes_and_exports_follow_the_umask(tmp_path, umask):
    atomic_write_text(str(tmp_path / "a.json"), "{}")
    assert _mode(tmp_path / "a.json") == 0o666 & ~umask            # 0644 under umask 022
    module = RetrievalServingModule(np.ones((2, 2)), np.ones((3, 2)), ([0], [1]), k=2)
    version = export_retrieval_model(module, str(tmp_path / "m" / "toy"))
    assert _mode(version) == 0o777 & ~umask                        # 0755 under umask 022
    assert _mode(os.path.join(version, "saved_model.pb")) == 0o666 & ~umask
    assert _mode(tmp_path / "m" / "models.config") == 0o666 & ~umask


@pytest.mark.slow
def test_run_files_follow_the_umask(toy_data_dir, tmp_path, umask):
    config = TrainConfig(dataset="toy", data_dir=toy_data_dir, sampler="rns", epochs=1,
                         ks=(5,), select_metric="recall@5", batch_size=64,
                         output_dir=str(tmp_path / "run"), export_dir=str(tmp_path / "m" / "toy"))
    train(config, verbose=0)
    run = tmp_path / "run"
    for name in os.listdir(run):
        if name.endswith((".json", ".npz")):
            assert _mode(run / name) == 0o666 & ~umask, name
    assert _mode(tmp_path / "m" / "toy" / "1") == 0o777 & ~umask
