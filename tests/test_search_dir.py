"""A search directory: one search at a time per dataset, a best.json per dataset, and a trial
left unreadable by a kill set aside instead of stopping the search."""

import json
import os

import keras_tuner
import pytest

from ahns_tf import search_dir


def _project_with_trials(tmp_path, count=3):
    """A real KerasTuner project (oracle.json and trial_*/trial.json), made without training."""
    oracle = keras_tuner.oracles.RandomSearchOracle(
        objective=keras_tuner.Objective("ndcg@5", "max"), max_trials=10, seed=0)
    oracle.hyperparameters.Choice("num_candidates", [2, 4, 8, 16])
    oracle._set_project_dir(str(tmp_path), "toy")  # pylint: disable=protected-access
    for value in range(count):
        trial = oracle.create_trial("tuner0")
        oracle.update_trial(trial.trial_id, {"ndcg@5": 0.1 * value})
        trial.status = keras_tuner.engine.trial.TrialStatus.COMPLETED
        oracle.end_trial(trial)
    oracle.save()
    return os.path.join(str(tmp_path), "toy"), oracle


def test_a_truncated_trial_json_is_marked_failed_and_the_search_goes_on(tmp_path, capsys):
    project, oracle = _project_with_trials(tmp_path)
    ids = sorted(oracle.trials)
    bad = os.path.join(project, f"trial_{ids[1]}", "trial.json")
    with open(bad) as f:
        text = f.read()
    with open(bad, "w") as f:
        f.write(text[:len(text) // 2])                      # a kill during KerasTuner's write
    assert search_dir.set_aside_unreadable_trials(project) == [bad]
    assert "unreadable" in capsys.readouterr().err
    assert open(bad + ".unreadable").read() == text[:len(text) // 2]   # kept to inspect
    reloaded = keras_tuner.oracles.RandomSearchOracle(
        objective=keras_tuner.Objective("ndcg@5", "max"), max_trials=10, seed=0)
    reloaded._set_project_dir(str(tmp_path), "toy")  # pylint: disable=protected-access
    reloaded.reload()                                       # raised before the fix
    assert sorted(reloaded.trials) == ids and reloaded.trials[ids[1]].status == "FAILED"
    fresh = reloaded.create_trial("tuner0")                 # a new id, never a reused one
    assert fresh.trial_id not in ids
    assert search_dir.set_aside_unreadable_trials(project) == []


def test_the_report_skips_an_unreadable_trial_naming_it(tmp_path, capsys):
    from tuning.report import load_trials
    project, oracle = _project_with_trials(tmp_path)
    bad = os.path.join(project, f"trial_{sorted(oracle.trials)[0]}", "trial.json")
    with open(bad, "w") as f:
        f.write('{"trial_id": ')
    trials = load_trials(project)
    assert len(trials) == 2 and bad in capsys.readouterr().err


def test_a_second_search_of_the_same_directory_and_dataset_exits_2_naming_the_first(
        toy_data_dir, tmp_path, capsys):
    from tuning.search import main
    with search_dir.search_lock(str(tmp_path / "s"), "toy"):
        assert main(["--dataset", "toy", "--data-dir", toy_data_dir, "--max-trials", "1",
                     "--directory", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err
    assert f"pid {os.getpid()}" in err and "Traceback" not in err
    assert not (tmp_path / "s" / "toy").exists()           # no trial started


def test_best_json_and_settings_live_in_the_dataset_folder():
    assert search_dir.project_dir("tuning_runs", "tools") == os.path.join("tuning_runs", "tools")


@pytest.mark.slow
def test_two_datasets_searched_in_one_directory_keep_their_own_best_json(toy_data_dir, tmp_path):
    import shutil
    from tuning.search import main
    shutil.copytree(os.path.join(toy_data_dir, "toy"), os.path.join(toy_data_dir, "toy2"))
    for dataset in ("toy", "toy2"):
        assert main(["--dataset", dataset, "--data-dir", toy_data_dir, "--max-trials", "1",
                     "--epochs-per-trial", "1", "--eval-every", "1", "--ks", "5",
                     "--objective", "ndcg@5", "--tuner", "random",
                     "--directory", str(tmp_path / "s")]) == 0
    for dataset in ("toy", "toy2"):
        assert json.loads((tmp_path / "s" / dataset / "best.json").read_text())["dataset"] == \
            dataset


def test_a_tfds_dataset_name_maps_to_one_folder():
    assert search_dir.project_dir("d", "tfds:movielens/1m-ratings") == os.path.join(
        "d", "movielens-1m-ratings")
    assert search_dir.search_lock("d", "tfds:movielens/1m-ratings").path == os.path.join(
        "d", ".lock-movielens-1m-ratings")


def test_the_search_leaves_a_samplers_own_defaults_to_it(toy_data_dir):
    # DENS's alpha defaults to 0.5; a search of DENS must train trials as --config best.json
    # later trains (before, every trial was forced to alpha 1.0).
    from tuning.search import base_config, build_parser
    args = build_parser().parse_args(["--dataset", "toy", "--data-dir", toy_data_dir,
                                      "--sampler", "dens"])
    assert base_config(args).alpha == 0.5
