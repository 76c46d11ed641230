"""`python -m pipelines.train`: flags, --config, and bad input leaving nothing behind."""

import json
import os
import subprocess
import sys

import pytest

from pipelines.train import config_from_args

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _train(*args, cwd):
    env = dict(os.environ, PYTHONPATH=REPO, TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run([sys.executable, "-m", "pipelines.train", *args], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=600)


def test_config_file_values_are_used_and_flags_win(tmp_path):
    best = tmp_path / "best.json"
    best.write_text(json.dumps({"hyperparameters": {"alpha": 0.3, "beta": 0.6,
                                                    "num_candidates": 8, "p": -1}}))
    config, _ = config_from_args(["--config", str(best), "--beta", "0.2"])
    config = config.resolved()
    assert (config.alpha, config.beta, config.num_candidates, config.p) == (0.3, 0.2, 8, -1.0)


def test_dataset_defaults_follow_the_reference_readme():
    config, _ = config_from_args(["--dataset", "ml-1m"])
    c = config.resolved()
    assert (c.alpha, c.beta, c.num_candidates, c.p) == (0.1, 0.4, 16, -2.0)
    assert c.output_dir == "runs/ml-1m-ahns" and c.export_dir == "saved_models/ml-1m"


@pytest.mark.parametrize("flags, message", [
    (["--alpha", "0"], "--alpha must be > 0 for --sampler ahns, got 0.0"),
    (["--beta", "-1"], "--beta must be > 0 for --sampler ahns, got -1.0"),
    (["--p", "0.5"], "--p must be < 0 for --sampler ahns, got 0.5"),
    (["--num-candidates", "0"], "--num-candidates must be >= 1, got 0"),
    (["--batch-size", "0"], "--batch-size must be >= 1, got 0"),
    (["--select-metric", "recall@10"], "--select-metric must be"),
    (["--optimizer", "sgd"], "invalid choice: 'sgd'"),
    (["--data-file", "log.csv", "--warm-start", "runs/day1", "--strategy", "parameter_server"],
     "--warm-start with --strategy parameter_server is not supported"),
    (["--refit", "--strategy", "multi_worker"],
     "--refit runs two trainings in one process, which is not supported with --strategy "
     "multi_worker"),
])
def test_invalid_hyperparameters_fail_before_any_work(tmp_path, flags, message):
    out = _train("--dataset", "nowhere", "--output-dir", str(tmp_path / "run"), *flags,
                 cwd=tmp_path)
    assert out.returncode == 2
    assert message in out.stderr
    assert not (tmp_path / "run").exists()


@pytest.mark.slow
def test_bad_data_file_names_file_line_token_and_writes_nothing(tmp_path):
    folder = tmp_path / "data" / "mine"
    folder.mkdir(parents=True)
    (folder / "train.txt").write_text("0 1 2\n1 3 oops\n")
    (folder / "test.txt").write_text("0 3\n")
    out = _train("--dataset", "mine", "--data-dir", str(tmp_path / "data"),
                 "--output-dir", str(tmp_path / "run"), "--export-dir", str(tmp_path / "exp"),
                 cwd=tmp_path)
    assert out.returncode == 2
    assert f"{folder / 'train.txt'}:2: item id is not a non-negative integer (got 'oops')" in out.stderr
    assert not (tmp_path / "run").exists() and not (tmp_path / "exp").exists()


@pytest.mark.slow
def test_unknown_dataset_lists_the_known_ones(tmp_path):
    out = _train("--dataset", "nope", "--data-dir", str(tmp_path / "data"),
                 "--output-dir", str(tmp_path / "run"), "--export-dir", str(tmp_path / "exp"),
                 cwd=tmp_path)
    assert out.returncode == 2
    assert "unknown dataset 'nope'" in out.stderr and "ml-1m, phones, sports, tools" in out.stderr
    assert not (tmp_path / "run").exists() and not (tmp_path / "exp").exists()


def test_optimizer_choice_builds_dense_or_lazy_adam():
    from ahns_tf.config import TrainConfig
    from ahns_tf.models import FusedAdam, LazyAdam
    with pytest.raises(ValueError, match="--optimizer must be one of auto, adam, lazy_adam"):
        TrainConfig(optimizer="sgd").resolved()
    # auto by default: the reference's dense update on every paper dataset (test_lazy_adam.py)
    assert TrainConfig().optimizer == "auto"
    assert issubclass(LazyAdam, FusedAdam)
