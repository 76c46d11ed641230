"""benchmarks.learnable's arithmetic and report (the training it drives is tested elsewhere)."""

import pytest

from benchmarks.learnable import gains, markdown


def _rows():
    return {"rns": {"test": {"recall@20": 0.10, "ndcg@20": 0.05}, "best_epoch": 20,
                    "median_epoch_seconds": 14.0, "valid_curve": [[5, 0.08], [10, 0.09]]},
            "ahns": {"test": {"recall@20": 0.12, "ndcg@20": 0.045}, "best_epoch": 10,
                     "median_epoch_seconds": 19.0, "valid_curve": [[5, 0.11], [10, 0.115]]}}


def test_gains_are_relative_to_the_first_sampler():
    g = gains(_rows(), "rns")
    assert g["ahns"]["recall@20"] == pytest.approx(0.2)
    assert g["ahns"]["ndcg@20"] == pytest.approx(-0.1)
    assert g["rns"] == {"recall@20": 0.0, "ndcg@20": 0.0}


def test_report_rows_and_curves():
    rows = _rows()
    text = markdown({"provenance": {"command": "python -m benchmarks.learnable"},
                     "dataset": "synth-1e5", "samplers": ["rns", "ahns"], "epochs": 20,
                     "eval_users": 10000, "rows": rows, "gains": gains(rows, "rns")})
    assert "| ahns | 10 | 12.00 | 4.50 | +20.0% / -10.0% | 19.0 |" in text
    assert "- ahns: 5: 11.00, 10: 11.50" in text


def test_a_changed_budget_trains_afresh_instead_of_failing(tmp_path):
    from benchmarks import learnable
    from conftest import random_lines, write_dataset
    train = random_lines(40, 60, 8, seed=2)
    test = [f"{u} " + " ".join(map(str, sorted(set(range(60)) - set(map(int, line.split()[1:])))[:2]))
            for u, line in enumerate(train)]
    data = write_dataset(tmp_path / "data", "toy", train, test)
    argv = ["--dataset", "toy", "--data-dir", data, "--samplers", "rns", "--eval-users", "30",
            "--output", str(tmp_path / "res"), "--work-dir", str(tmp_path / "work")]
    assert learnable.main(argv + ["--epochs", "1"]) == 0
    assert learnable.main(argv + ["--epochs", "2"]) == 0     # was: RunConflictError (epochs)
    import json
    payload = json.loads((tmp_path / "res" / "learnable-toy.json").read_text())
    assert payload["epochs"] == 2
    with open(tmp_path / "work" / "toy-rns-2epochs-30users" / "metrics.json") as f:
        assert json.load(f)["config"]["epochs"] == 2
