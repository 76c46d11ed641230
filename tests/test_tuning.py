"""KerasTuner search: best.json, resuming, failed trials, chief + workers, Figure 6."""

import glob
import json
import os
import socket
import subprocess
import sys

import keras_tuner
import pytest

from ahns_tf.config import TrainConfig
from ahns_tf.tuner import AHNSHyperModel, AHNSTuner, make_oracle, write_best

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARGS = ["--dataset", "toy", "--tuner", "random", "--max-trials", "3", "--epochs-per-trial", "2",
        "--eval-every", "1", "--ks", "5", "10", "--objective", "ndcg@5", "--batch-size", "64"]


def _env(**extra):
    env = dict(os.environ, PYTHONPATH=REPO, TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("KERASTUNER_TUNER_ID", None)
    env.update(extra)
    return env


def _search(data_dir, directory, *extra, **env):
    return subprocess.run([sys.executable, "-m", "tuning.search", *ARGS, "--data-dir", data_dir,
                           "--directory", str(directory), *extra], capture_output=True,
                          text=True, env=_env(**env), timeout=600, cwd=REPO)


def _trial_files(directory):
    return sorted(glob.glob(os.path.join(str(directory), "toy", "trial_*", "trial.json")))


@pytest.mark.slow
def test_search_writes_best_json_in_range_and_rerun_adds_no_trial(toy_data_dir, tmp_path):
    out = _search(toy_data_dir, tmp_path / "s")
    assert out.returncode == 0, out.stderr[-3000:]
    best = json.loads((tmp_path / "s" / "toy" / "best.json").read_text())
    hp = best["hyperparameters"]
    assert 0.1 <= hp["alpha"] <= 1.0 and 0.1 <= hp["beta"] <= 1.0
    assert round(hp["alpha"] * 10, 6) == round(hp["alpha"] * 10) and hp["num_candidates"] in (4, 8, 16, 32, 64)
    assert hp["p"] == -2.0 and best["objective"]["name"] == "ndcg@5"
    assert best["objective"]["split"] == "valid" and best["completed_trials"] == 3
    # The search's own command and commit are recorded with its winner.
    assert best["provenance"]["command"].startswith("python -m tuning.search --dataset toy")
    assert f"--directory {tmp_path / 's'}" in best["provenance"]["command"]
    assert "commit" in best["provenance"] and "code_fingerprint" in best["provenance"]
    trials = _trial_files(tmp_path / "s")
    stamps = [os.path.getmtime(p) for p in glob.glob(str(tmp_path / "s" / "toy" / "trial_*" /
                                                         "run" / "metrics.json"))]
    assert len(trials) == 3 and len(stamps) == 3
    # The test split is never evaluated during a search.
    for path in glob.glob(str(tmp_path / "s" / "toy" / "trial_*" / "run" / "metrics.json")):
        run = json.loads(open(path).read())
        assert "test" not in run and {h["split"] for h in run["history"]} == {"valid"}

    again = _search(toy_data_dir, tmp_path / "s")
    assert again.returncode == 0, again.stderr[-3000:]
    assert _trial_files(tmp_path / "s") == trials
    assert sorted(os.path.getmtime(p) for p in glob.glob(
        str(tmp_path / "s" / "toy" / "trial_*" / "run" / "metrics.json"))) == sorted(stamps)

    rewritten = json.loads((tmp_path / "s" / "toy" / "best.json").read_text())
    assert rewritten.pop("provenance")["command"] == best.pop("provenance")["command"]
    assert rewritten == best  # ties broken by id

    # the winner feeds straight into training
    from pipelines.train import config_from_args
    config, _ = config_from_args(["--dataset", "toy", "--config", str(tmp_path / "s" / "toy" / "best.json")])
    assert (config.alpha, config.beta, config.num_candidates) == (hp["alpha"], hp["beta"],
                                                                  hp["num_candidates"])

    report = subprocess.run([sys.executable, "-m", "tuning.report", str(tmp_path / "s" / "toy"), "--k", "5"],
                            capture_output=True, text=True, env=_env(), timeout=300, cwd=REPO)
    assert report.returncode == 0, report.stderr[-2000:]
    assert (tmp_path / "s" / "toy" / "figure6.png").read_bytes()[:4] == b"\x89PNG"


class _PoisonedTuner(AHNSTuner):
    """Trial 1 trains with an absurd learning rate, so its loss overflows to inf/NaN."""

    def trial_config(self, trial):
        config = super().trial_config(trial)
        if trial.trial_id == "1":
            config.lr = 1e38
        return config


@pytest.mark.slow
def test_nan_trial_is_marked_failed_and_the_search_completes(toy_data_dir, tmp_path):
    base = TrainConfig(dataset="toy", data_dir=toy_data_dir, epochs=2, eval_every=1, ks=(5, 10),
                       select_metric="ndcg@5", batch_size=64, alpha=1.0, beta=0.1)
    tuner = _PoisonedTuner(AHNSHyperModel(base), make_oracle("random", "ndcg@5", 3, seed=1),
                           directory=str(tmp_path), project_name="toy")
    tuner.search(verbose=0)
    status = {t.trial_id: t.status for t in tuner.oracle.trials.values()}
    assert status["1"] == keras_tuner.engine.trial.TrialStatus.FAILED
    assert list(status.values()).count("COMPLETED") == 2
    assert "non-finite loss" in tuner.oracle.trials["1"].message
    best = write_best(tuner, str(tmp_path / "best.json"), "toy")
    assert best["failed_trials"] == 1 and best["trial_id"] != "1"
    # Training from best.json chooses its epochs on the metric the search maximised.
    from pipelines.train import config_from_args
    config, _ = config_from_args(["--dataset", "toy", "--config", str(tmp_path / "best.json")])
    assert config.select_metric == "ndcg@5" and tuple(config.ks) == (5, 10)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_chief_and_two_workers_run_every_trial_once(toy_data_dir, tmp_path):
    port = str(_free_port())
    common = dict(KERASTUNER_ORACLE_IP="127.0.0.1", KERASTUNER_ORACLE_PORT=port)
    cmd = [sys.executable, "-m", "tuning.search", *ARGS, "--max-trials", "4", "--data-dir",
           toy_data_dir, "--directory", str(tmp_path / "d")]
    chief = subprocess.Popen(cmd, env=_env(KERASTUNER_TUNER_ID="chief", **common), cwd=REPO,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    workers = [subprocess.Popen(cmd, env=_env(KERASTUNER_TUNER_ID=f"tuner{i}", **common), cwd=REPO,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for i in (1, 2)]
    try:
        for worker in workers:
            _, err = worker.communicate(timeout=600)
            assert worker.returncode == 0, err[-3000:]
        _, err = chief.communicate(timeout=120)
        assert chief.returncode == 0, err[-3000:]
    finally:
        for proc in [chief, *workers]:
            if proc.poll() is None:
                proc.kill()
    trials = [json.load(open(p)) for p in _trial_files(tmp_path / "d")]
    assert len(trials) == 4 and all(t["status"] == "COMPLETED" for t in trials)
    assert len({t["trial_id"] for t in trials}) == 4
    runs = glob.glob(str(tmp_path / "d" / "toy" / "trial_*" / "run" / "metrics.json"))
    assert len(runs) == 4  # each trial trained once, by one worker
    for path in runs:
        history = json.load(open(path))["history"]
        assert [h["epoch"] for h in history] == [1, 2]
    assert json.loads((tmp_path / "d" / "toy" / "best.json").read_text())["completed_trials"] == 4


@pytest.mark.slow
def test_search_over_lightgcn_layers_trains_each_trial_with_its_layers(toy_data_dir, tmp_path):
    out = _search(toy_data_dir, tmp_path / "g", "--layers", "1", "2")
    assert out.returncode == 0, out.stderr[-3000:]
    seen = set()
    for path in _trial_files(tmp_path / "g"):
        trial = json.loads(open(path).read())
        layers = trial["hyperparameters"]["values"]["layers"]
        run = json.loads(open(os.path.join(os.path.dirname(path), "run", "metrics.json")).read())
        assert run["config"]["backbone"] == "lightgcn" and run["config"]["layers"] == layers
        seen.add(layers)
    assert seen <= {1, 2} and seen
    best = json.loads((tmp_path / "g" / "toy" / "best.json").read_text())
    assert best["hyperparameters"]["backbone"] == "lightgcn"
    assert best["hyperparameters"]["layers"] in seen
    from pipelines.train import config_from_args
    config, _ = config_from_args(["--dataset", "toy", "--config", str(tmp_path / "g" / "toy" / "best.json")])
    assert (config.backbone, config.layers) == ("lightgcn", best["hyperparameters"]["layers"])

    refused = _search(toy_data_dir, tmp_path / "bad", "--layers", "-1")
    assert refused.returncode == 2 and "--layers must list integers >= 0, got [-1]" in refused.stderr
