"""Issue 13, case 5: strict --config files (file and key named, exit 2, nothing written)."""

import json

import pytest

from pipelines.train import config_from_args, main


@pytest.mark.parametrize("text, words", [
    ('{"alpha": 0.3,', ["not valid JSON", "line 1"]),
    ('[0.3, 0.1]', ["JSON object"]),
    ('{"ks": 20}', ["'ks'", "list of integers"]),
    ('{"epochs": 1.5}', ["'epochs'", "integer", "1.5"]),
    ('{"dim": "64"}', ["'dim'", "integer", "'64'"]),
    ('{"alpha": "high"}', ["'alpha'", "number", "'high'"]),
    ('{"betta": 0.2}', ["unknown key 'betta'", "did you mean 'beta'"]),
    ('{"learning_rate": 0.1}', ["unknown key 'learning_rate'", "did you mean 'lr'"]),
    ('{"hyperparameters": {"alpha": 0.3}, "epoch": 1}', ["unknown key 'epoch'",
                                                         "did you mean 'epochs'"]),
    ('{"hyperparameters": [0.3]}', ["'hyperparameters'", "JSON object"]),
])
def test_bad_config_file_exits_2_naming_file_and_key_and_writes_nothing(tmp_path, capsys,
                                                                       monkeypatch, text,
                                                                       words):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "best.json"
    path.write_text(text)
    assert main(["--config", str(path), "--dataset", "nowhere"]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "Traceback" not in err
    for word in words:
        assert word in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best.json"]


def test_missing_config_file_exits_2_naming_it(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["--config", str(tmp_path / "nope.json"), "--dataset", "nowhere"]) == 2
    assert f"{tmp_path / 'nope.json'}: no such config file" in capsys.readouterr().err


def test_every_key_is_honoured_top_level_beside_hyperparameters(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"hyperparameters": {"alpha": 0.3, "p": -1},
                                "epochs": 1, "dim": 8, "ks": [5, 10], "select_metric": "ndcg@5"}))
    config, _ = config_from_args(["--config", str(path)])
    config = config.resolved()
    assert (config.alpha, config.p, config.epochs, config.dim, config.ks) == (0.3, -1.0, 1, 8,
                                                                              (5, 10))
    assert isinstance(config.p, float) and isinstance(config.dim, int)


def test_a_tuner_best_json_still_loads(tmp_path):
    path = tmp_path / "best.json"
    path.write_text(json.dumps({
        "hyperparameters": {"alpha": 0.3, "beta": 0.1, "num_candidates": 8, "p": -2.0},
        "objective": {"name": "ndcg@20", "value": 0.04, "split": "valid"}, "dataset": "tools",
        "trial_id": "03", "completed_trials": 4, "failed_trials": 0}))
    config, _ = config_from_args(["--config", str(path)])
    assert (config.alpha, config.num_candidates, config.dataset) == (0.3, 8, "tools")


def test_a_key_given_twice_with_different_values_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"hyperparameters": {"alpha": 0.3}, "alpha": 0.5}))
    assert main(["--config", str(path), "--dataset", "nowhere"]) == 2
    assert "'alpha'" in capsys.readouterr().err
