"""Issue 13, case 6: the tuner refuses to resume with changed settings; best.json is clean."""

import json
import os
import types

from ahns_tf.tuner import write_best

ARGS = ["--dataset", "toy", "--tuner", "random", "--max-trials", "1", "--eval-every", "1",
        "--ks", "5", "10", "--objective", "ndcg@5", "--batch-size", "64"]


def test_resuming_a_search_with_another_epochs_per_trial_is_refused(toy_data_dir, tmp_path,
                                                                     capsys):
    from tuning.search import main
    directory = str(tmp_path / "s")
    assert main([*ARGS, "--epochs-per-trial", "1", "--data-dir", toy_data_dir,
                 "--directory", directory]) == 0
    trials = sorted(os.listdir(os.path.join(directory, "toy")))
    capsys.readouterr()
    assert main([*ARGS, "--epochs-per-trial", "2", "--max-trials", "2", "--data-dir",
                 toy_data_dir, "--directory", directory]) == 2
    err = capsys.readouterr().err
    assert "--epochs-per-trial" in err and "--overwrite" in err
    assert "--max-trials" not in err  # raising the trial budget is how a search is extended
    assert sorted(os.listdir(os.path.join(directory, "toy"))) == trials


def _trial(trial_id, alpha, beta, value):
    metrics = types.SimpleNamespace(metrics={"ndcg@5": None},
                                    get_best_value=lambda name: value)
    return types.SimpleNamespace(trial_id=trial_id, status="COMPLETED", metrics=metrics,
                                 hyperparameters=types.SimpleNamespace(values={
                                     "alpha": alpha, "beta": beta, "num_candidates": 8}))


def test_best_json_stores_the_grid_values_not_float_noise(tmp_path):
    alpha = 0.1 + 0.1 + 0.1          # how a 0.1-step grid reaches 0.3: 0.30000000000000004
    beta = 0.1 * 7                   # 0.7000000000000001
    assert (alpha, beta) != (0.3, 0.7)
    tuner = types.SimpleNamespace(
        oracle=types.SimpleNamespace(objective=types.SimpleNamespace(name="ndcg@5"),
                                     trials={"00": _trial("00", alpha, beta, 0.5)}),
        hypermodel=types.SimpleNamespace(base=types.SimpleNamespace(
            p=-2.0, ks=(5, 10), sampler="ahns", backbone="mf")))
    write_best(tuner, str(tmp_path / "best.json"), "toy")
    text = (tmp_path / "best.json").read_text()
    best = json.loads(text)["hyperparameters"]
    assert (best["alpha"], best["beta"]) == (0.3, 0.7)
    assert "0000000" not in text
