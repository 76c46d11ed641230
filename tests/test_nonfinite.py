"""Issue 13, case 2: non-finite flags rejected; non-finite weights never checkpointed."""

import json
import math
import os

import numpy as np
import pytest
import tensorflow as tf

from ahns_tf.config import TrainConfig
from ahns_tf.runs import NonFiniteLossError
from ahns_tf.training import train
from conftest import toy_train_config


def _config(data_dir, out, **kw):
    return toy_train_config(data_dir, out, **{"epochs": 4, "eval_every": 1,
                                              "steps_per_execution": 1, **kw})


@pytest.mark.parametrize("flag, value", [
    ("lr", math.inf), ("l2", math.inf), ("lr", math.nan), ("alpha", math.nan),
    ("beta", math.inf), ("p", -math.inf), ("gamma", math.inf), ("temperature", math.inf),
])
def test_non_finite_numeric_flags_are_rejected_naming_the_flag(flag, value):
    with pytest.raises(ValueError, match=rf"--{flag} must be a finite number, got {value}"):
        TrainConfig(**{flag: value}).resolved()


def test_cli_rejects_lr_inf_with_exit_2(tmp_path, capsys):
    from pipelines.train import main
    assert main(["--dataset", "nowhere", "--lr", "inf",
                 "--output-dir", str(tmp_path / "run")]) == 2
    assert "--lr must be a finite number, got inf" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


class _PoisonAfterEpoch(tf.keras.callbacks.Callback):
    """Sets the weights to inf at the end of an epoch: the epoch's loss stays finite."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            for w in self.model.trainable_weights:
                w.assign(tf.fill(w.shape, np.inf))


def test_non_finite_weights_are_never_kept_as_a_checkpoint_or_best_weights(toy_data_dir,
                                                                            tmp_path):
    run = tmp_path / "run"
    with pytest.raises(NonFiniteLossError,
                       match=r"non-finite weights after epoch 2.*last good epoch \(1\) is kept"):
        train(_config(toy_data_dir, run), export=False, verbose=0,
              callbacks=[_PoisonAfterEpoch(1)])
    progress = json.loads((run / "progress.json").read_text())
    assert progress["epoch"] == 1
    assert not [n for n in os.listdir(run / "checkpoints") if n.startswith("ckpt-2")]
    reader = tf.train.load_checkpoint(str(run / "checkpoints" / "ckpt-1"))
    for name, dtype in reader.get_variable_to_dtype_map().items():
        if dtype.is_floating:
            assert np.isfinite(reader.get_tensor(name)).all(), name
    for name in os.listdir(run):
        if name.startswith("best-"):
            with np.load(run / name) as saved:
                assert all(np.isfinite(saved[k]).all() for k in saved.files), name


def test_nan_in_the_first_epoch_does_not_name_a_checkpoint_that_does_not_exist(toy_data_dir,
                                                                               tmp_path):
    with pytest.raises(NonFiniteLossError) as error:
        train(_config(toy_data_dir, tmp_path / "run"), export=False, verbose=0,
              callbacks=[_PoisonAfterEpoch(0)])
    assert "no epoch completed" in str(error.value).lower()
    assert "(0)" not in str(error.value)
    assert not (tmp_path / "run" / "progress.json").exists()
