"""--refit: epochs chosen on validation, retrained on all of train, test evaluated once."""

import dataclasses
import json
import os

import numpy as np
import pytest

from ahns_tf.config import ConfigFileError, load_config_file
from ahns_tf.training import train
from conftest import toy_train_config
from pipelines.train import config_from_args


@pytest.mark.slow
def test_refit_selects_on_valid_then_trains_all_of_train_for_that_many_epochs(toy_data_dir,
                                                                               tmp_path):
    out = tmp_path / "run"
    config = toy_train_config(toy_data_dir, out, refit=True, export_dir=str(tmp_path / "sm"),
                              epochs=6, eval_every=1, select_metric="recall@5")
    result = train(config, verbose=0)

    with open(out / "select" / "metrics.json") as f:
        select = json.load(f)
    assert "test" not in select and {h["split"] for h in select["history"]} == {"valid"}
    # The selected epoch is the best validation epoch, recomputed from the history (first
    # of equals, as the callback keeps an earlier best on ties).
    valid = [(h["epoch"], h["recall@5"]) for h in select["history"]]
    best = max(valid, key=lambda e: (e[1], -e[0]))[0]
    assert result["refit"]["selected_epoch"] == select["best_epoch"] == best

    with open(out / "refit" / "metrics.json") as f:
        refit = json.load(f)
    lines = open(os.path.join(toy_data_dir, "toy", "train.txt")).read().split("\n")
    all_pairs = sum(len(line.split()) - 1 for line in lines if line.strip())
    assert refit["dataset"]["train_interactions"] == all_pairs            # nothing held out
    assert select["dataset"]["train_interactions"] == all_pairs - round(0.1 * all_pairs)
    assert len(refit["epoch_seconds"]) == best                            # exactly E epochs
    assert [(h["split"], h["epoch"]) for h in refit["history"]] == [("test", best)]  # once

    with open(out / "metrics.json") as f:
        top = json.load(f)
    assert top["protocol"] == ("validation + refit (epochs chosen on a held-out 10% of train, "
                               "then retrained on all of train.txt for that many epochs; test "
                               "evaluated once)")
    assert top["selected_on"] == "valid+refit"
    assert top["config"]["refit"] is True and top["test"] == refit["test"]
    assert top["refit"]["valid"] == select["valid"]
    assert os.path.isdir(top["export_path"]) and str(tmp_path / "sm") in top["export_path"]
    # Re-running the same config returns the finished run and trains nothing more.
    again = train(config, verbose=0)
    assert again["test"] == top["test"] and again["refit"] == top["refit"]


def test_refit_refuses_test_selection_on_the_command_line():
    config, _ = config_from_args(["--refit", "--select-on", "test"])
    with pytest.raises(ValueError, match="--refit chooses the epochs on validation: drop "
                                         "--select-on test"):
        config.resolved()
    config, _ = config_from_args(["--refit"])
    assert config.resolved().refit is True
    config, _ = config_from_args([])
    assert config.resolved().refit is False


def test_refit_in_a_config_file_must_be_a_boolean(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"refit": "yes"}))
    with pytest.raises(ConfigFileError, match=r"key 'refit' must be true or false, got 'yes'"):
        load_config_file(str(path))
    path.write_text(json.dumps({"refit": True}))
    assert load_config_file(str(path))["refit"] is True


def _csv_log(path, num_users=20, num_items=15, per_user=6, seed=0):
    """A log of `per_user` distinct items per user, written as a CSV with a time column."""
    rng = np.random.default_rng(seed)
    rows = [f"u{u},i{i},{t}" for u in range(num_users)
            for t, i in enumerate(rng.choice(num_items, per_user, replace=False))]
    path.write_text("user_id,item_id,timestamp\n" + "\n".join(rows) + "\n")
    return str(path)


@pytest.mark.slow
def test_refit_label_of_a_log_run_names_its_split_not_a_10_percent_holdout(tmp_path):
    data_file = _csv_log(tmp_path / "log.csv")
    config = toy_train_config(None, tmp_path / "run", dataset="mylog", data_file=data_file,
                              refit=True, epochs=2, eval_every=1, split="random",
                              valid_ratio=0.25, test_ratio=0.2)
    result = train(config, export=False, verbose=0)
    label = result["protocol"]
    assert label.startswith("validation + refit") and "10%" not in label, label
    # --split random --valid-ratio 0.25: 25% of each user's interactions validate.
    assert "--split random" in label and "25% of each user's interactions" in label, label
    assert "--valid-ratio 0.25" in label, label
    with open(tmp_path / "run" / "metrics.json") as f:
        assert json.load(f)["protocol"] == label


@pytest.mark.slow
def test_refit_label_of_a_text_dataset_names_its_validation_fraction(toy_data_dir, tmp_path):
    config = toy_train_config(toy_data_dir, tmp_path / "run", refit=True, epochs=2,
                              eval_every=1, validation_fraction=0.2, export_dir=None)
    result = train(config, export=False, verbose=0)
    assert "held-out 20% of train" in result["protocol"], result["protocol"]
    assert "10%" not in result["protocol"]


def test_validation_split_words_for_each_source():
    from ahns_tf.config import TrainConfig
    from ahns_tf.training.labels import validation_split
    text = TrainConfig(dataset="tools").resolved()
    assert validation_split(text, valid_file=None) == "a held-out 10% of train"
    assert validation_split(text, valid_file="valid.txt") == "valid.txt"
    assert validation_split(text, valid_file="") == "the validation interactions passed to train()"
    log = TrainConfig(dataset="m", data_file="m.csv", split="leave_one_out").resolved()
    assert "each user's second-to-last interaction" in validation_split(log, valid_file=None)
    log = TrainConfig(dataset="m", data_file="m.csv", split="temporal", valid_ratio=0.05,
                      test_ratio=0.1).resolved()
    assert "5% of interactions before the test cutoff" in validation_split(log, None)


@pytest.mark.slow
def test_label_of_a_preloaded_dataset_with_its_own_validation_does_not_claim_valid_txt(tmp_path):
    """A dataset built in memory with its own validation interactions has no valid.txt."""
    from ahns_tf.data import build_dataset
    from ahns_tf.data import Interactions
    rng = np.random.default_rng(0)
    users = np.repeat(np.arange(12), 6)
    items = np.concatenate([rng.choice(10, 6, replace=False) for _ in range(12)])
    train_part = Interactions.from_pairs(users[::3].tolist() + users[1::3].tolist(),
                                         items[::3].tolist() + items[1::3].tolist())
    valid_part = Interactions.from_pairs(users[2::6], items[2::6])
    test_part = Interactions.from_pairs(users[5::6], items[5::6])
    dataset = build_dataset("toy", train_part, test_part, valid=valid_part)
    config = toy_train_config(None, tmp_path / "run", select_on="valid", epochs=2,
                              eval_every=1, export_dir=None, validation_fraction=0.1)
    result = train(config, dataset=dataset, export=False, verbose=0)
    assert "valid.txt" not in result["protocol"], result["protocol"]
    assert "10%" not in result["protocol"], result["protocol"]
    assert "validation interactions passed to train()" in result["protocol"], result["protocol"]


def _folder_with_valid_txt(tmp_path) -> str:
    """A 'toy' folder of 40 users: 5 items each in train.txt, 2 in valid.txt, 2 in test.txt."""
    from conftest import random_lines, write_dataset
    lines = random_lines(40, 30, 8, seed=3)
    train_lines = [" ".join(line.split()[:6]) for line in lines]      # user + 5 items
    valid_lines = [" ".join(line.split()[:1] + line.split()[6:8]) for line in lines]
    test_lines = [f"{u} " + " ".join(map(str, sorted(set(range(30)) - set(
        map(int, line.split()[1:])))[:2])) for u, line in enumerate(lines)]
    data_dir = write_dataset(tmp_path / "data", "toy", train_lines, test_lines)
    (tmp_path / "data" / "toy" / "valid.txt").write_text("\n".join(valid_lines) + "\n")
    return data_dir


@pytest.mark.slow
def test_refit_with_a_valid_txt_retrains_on_train_and_valid(tmp_path):
    """The refit phase trains on train + validation: with a valid.txt, that is both files."""
    data_dir = _folder_with_valid_txt(tmp_path)
    config = toy_train_config(data_dir, tmp_path / "run", refit=True, epochs=3, eval_every=1,
                              export_dir=None)
    result = train(config, export=False, verbose=0)
    with open(tmp_path / "run" / "select" / "metrics.json") as f:
        select = json.load(f)
    with open(tmp_path / "run" / "refit-with-valid" / "metrics.json") as f:
        refit = json.load(f)
    assert select["dataset"]["train_interactions"] == 40 * 5          # train.txt only
    assert refit["dataset"]["train_interactions"] == 40 * 7           # train.txt + valid.txt
    assert "valid.txt" in result["protocol"], result["protocol"]
    assert "retrained on train.txt and valid.txt" in result["protocol"], result["protocol"]


@pytest.mark.slow
def test_a_refit_begun_on_train_txt_alone_is_not_resumed_once_valid_txt_is_merged(tmp_path):
    """A refit phase trained by a version that left valid.txt out is never returned (or
    resumed) as if it had trained on train.txt and valid.txt."""
    import dataclasses
    data_dir = _folder_with_valid_txt(tmp_path)
    config = toy_train_config(data_dir, tmp_path / "run", refit=True, epochs=3, eval_every=1,
                              export_dir=None, patience=0)
    # What the old version left: the select phase, then a finished refit phase of E epochs
    # on train.txt alone, in <run>/refit.
    select = train(dataclasses.replace(config, refit=False, output_dir=str(tmp_path / "run" /
                                                                          "select")),
                   export=False, verbose=0, evaluate_test=False)
    epochs = int(select["best_epoch"])
    old = train(dataclasses.replace(config, refit=False, select_on="test", epochs=epochs,
                                    eval_every=epochs, patience=0,
                                    output_dir=str(tmp_path / "run" / "refit")),
                export=False, verbose=0)
    assert old["dataset"]["train_interactions"] == 40 * 5
    result = train(config, export=False, verbose=0)
    assert result["dataset"]["train_interactions"] == 40 * 7


def test_a_refit_and_a_plain_run_never_share_an_output_dir(toy_data_dir, tmp_path):
    from ahns_tf.runs import RunConflictError
    plain = toy_train_config(toy_data_dir, tmp_path / "run", epochs=2)
    train(plain, export=False, verbose=0)
    with pytest.raises(RunConflictError, match="holds a run without --refit"):
        train(dataclasses.replace(plain, refit=True), export=False, verbose=0)
    other = toy_train_config(toy_data_dir, tmp_path / "other", epochs=2, refit=True)
    train(other, export=False, verbose=0)
    with pytest.raises(RunConflictError, match="holds a --refit run"):
        train(dataclasses.replace(other, refit=False), export=False, verbose=0)
