"""benchmarks.beyond: MF and LightGCN rows under both protocols, resumable, with a figure."""

import json
import os

from benchmarks import beyond
from conftest import report_toy_data


def test_beyond_writes_a_row_per_backbone_and_protocol_and_keeps_them(tmp_path):
    toy_data_dir = report_toy_data(tmp_path)
    argv = ["--datasets", "toy", "--layers", "0", "1", "--epochs", "2", "--data-dir",
            toy_data_dir, "--output", str(tmp_path / "res" / "beyond"),
            "--work-dir", str(tmp_path / "work")]
    assert beyond.main(argv) == 0
    payload = json.loads((tmp_path / "res" / "beyond.json").read_text())
    assert payload["provenance_per_row"] is True        # benchmarks.index counts the rows
    assert sorted(payload["rows"]) == ["toy/lightgcn-1/refit", "toy/lightgcn-1/test",
                                       "toy/mf/refit", "toy/mf/test"]
    for key, row in payload["rows"].items():
        run_dir = tmp_path / "work" / key
        with open(run_dir / "metrics.json") as f:
            run = json.load(f)
        assert row["test"] == run["test"]
        assert run["config"]["backbone"] == ("mf" if "/mf/" in key else "lightgcn")
        assert run["config"]["refit"] == key.endswith("refit")
        if key.endswith("refit"):                 # the epochs the selection run chose
            assert os.path.isdir(run_dir / "select") and os.path.isdir(run_dir / "refit")
            assert row["best_epoch"] == run["refit"]["selected_epoch"]
    table = (tmp_path / "res" / "beyond.md").read_text()
    assert "| toy | LightGCN L=1 | validation + refit (test once) |" in table
    assert "| toy | MF | reference (best epoch on test) |" in table
    assert (tmp_path / "res" / "beyond.png").read_bytes()[:4] == b"\x89PNG"
    stamp = os.path.getmtime(tmp_path / "work" / "toy" / "mf" / "test" / "metrics.json")
    assert beyond.main(argv) == 0                  # same code: nothing is retrained
    assert os.path.getmtime(tmp_path / "work" / "toy" / "mf" / "test" / "metrics.json") == stamp


def test_a_tuned_best_json_adds_a_refit_row_with_its_values(tmp_path):
    toy_data_dir = report_toy_data(tmp_path)
    tuned = tmp_path / "tuning" / "toy"
    tuned.mkdir(parents=True)
    (tuned / "best.json").write_text(json.dumps(
        {"dataset": "toy", "objective": 0.1, "hyperparameters": {
            "alpha": 0.25, "beta": 0.2, "num_candidates": 8, "p": -2.0,
            "backbone": "lightgcn", "layers": 2}}))
    argv = ["--datasets", "toy", "--layers", "0", "--protocols", "test", "--epochs", "2",
            "--data-dir", toy_data_dir, "--output", str(tmp_path / "res" / "beyond"),
            "--work-dir", str(tmp_path / "work"), "--tuned", str(tmp_path / "tuning")]
    assert beyond.main(argv) == 0
    payload = json.loads((tmp_path / "res" / "beyond.json").read_text())
    assert sorted(payload["rows"]) == ["toy/mf/test", "toy/tuned/refit"]
    (run_dir,) = (tmp_path / "work" / "toy").glob("tuned-*")
    with open(run_dir / "refit" / "metrics.json") as f:
        run = json.load(f)
    assert {k: run["config"][k] for k in ("alpha", "beta", "num_candidates", "backbone",
                                          "layers", "refit", "select_on")} == {
        "alpha": 0.25, "beta": 0.2, "num_candidates": 8, "backbone": "lightgcn", "layers": 2,
        "refit": True, "select_on": "valid"}
    row = payload["rows"]["toy/tuned/refit"]
    assert row["layers"] == 2 and row["test"] == run["test"]
    assert run["config"]["select_metric"] == "recall@20"   # no objective named: the default
    assert ("| toy | tuned: LightGCN L=2, alpha 0.25, beta 0.2, M 8, p -2 | "
            "validation + refit (test once) |") in (tmp_path / "res" / "beyond.md").read_text()
    # Another best.json: the row is trained again with its values (was: kept, or refused)
    best = json.loads((tuned / "best.json").read_text())
    best["hyperparameters"]["alpha"] = 0.5
    (tuned / "best.json").write_text(json.dumps(best))
    del payload["rows"]["toy/tuned/refit"]              # as after an interrupted run
    (tmp_path / "res" / "beyond.json").write_text(json.dumps(payload))
    assert beyond.main(argv) == 0
    row = json.loads((tmp_path / "res" / "beyond.json").read_text())["rows"]["toy/tuned/refit"]
    assert row["tuned"]["alpha"] == 0.5
    best["hyperparameters"]["alpha"] = 0.75             # and with the row still present
    (tuned / "best.json").write_text(json.dumps(best))
    assert beyond.main(argv) == 0
    row = json.loads((tmp_path / "res" / "beyond.json").read_text())["rows"]["toy/tuned/refit"]
    assert row["tuned"]["alpha"] == 0.75


def test_the_report_names_the_command_and_commit_of_every_row():
    """Rows trained by different commands (and code) each cite their own in the .md."""
    def record(command, commit):
        return {"command": command, "commit": commit, "dirty": False,
                "versions": {"tensorflow": "2.21.0"}, "date": "d"}

    def row(layers, protocol, origin):
        return {"layers": layers, "protocol": protocol, "best_epoch": 5,
                "test": {"recall@20": 0.1, "ndcg@20": 0.05}, "median_epoch_seconds": 1.0,
                "median_eval_seconds": 0.5, "provenance": origin}

    first = record("python -m benchmarks.beyond --datasets tools", "a" * 40)
    second = record("python -m benchmarks.beyond --datasets phones --tuned T", "b" * 40)
    payload = {"epochs": 100, "provenance": second, "rows": {
        "tools/mf/test": row(0, "test", first), "tools/mf/refit": row(0, "refit", first),
        "phones/lightgcn-2/refit": row(2, "refit", second)}}
    table = beyond.markdown(payload)
    assert "[1] `python -m benchmarks.beyond --datasets tools` at commit aaaaaaaaaa" in table
    assert ("[2] `python -m benchmarks.beyond --datasets phones --tuned T` at commit "
            "bbbbbbbbbb") in table
    lines = {line.split(" | ")[0] + " | " + line.split(" | ")[2]: line
             for line in table.splitlines() if line.startswith("| tools") or
             line.startswith("| phones")}
    assert lines["| tools | reference (best epoch on test)"].endswith("| [1] |")
    assert lines["| phones | validation + refit (test once)"].endswith("| [2] |")


def test_a_tuned_row_chooses_its_epochs_on_the_searched_objective(tmp_path):
    """The search's objective chooses the epochs, over the report's cut-offs (20, 50) and
    the objective's; a best.json written before it recorded select_metric: its
    objective's name is used."""
    toy_data_dir = report_toy_data(tmp_path)
    tuned = tmp_path / "tuning" / "toy"
    tuned.mkdir(parents=True)
    (tuned / "best.json").write_text(json.dumps(
        {"dataset": "toy", "objective": {"name": "ndcg@10", "value": 0.1, "split": "valid"},
         "hyperparameters": {"alpha": 0.25, "beta": 0.2, "num_candidates": 8, "p": -2.0}}))
    argv = ["--datasets", "toy", "--layers", "--epochs", "2", "--data-dir", toy_data_dir,
            "--output", str(tmp_path / "res" / "beyond"), "--work-dir", str(tmp_path / "work"),
            "--tuned", str(tmp_path / "tuning")]
    assert beyond.main(argv) == 0
    (run_dir,) = (tmp_path / "work" / "toy").glob("tuned-*")
    for part in ("select", "refit"):
        with open(run_dir / "refit" / part / "metrics.json") as f:
            config = json.load(f)["config"]
        assert config["select_metric"] == "ndcg@10" and config["ks"] == [10, 20, 50], part
    row = json.loads((tmp_path / "res" / "beyond.json").read_text())["rows"]["toy/tuned/refit"]
    assert row["tuned"]["select_metric"] == "ndcg@10"
    assert "| toy | tuned: MF, alpha 0.25" in (tmp_path / "res" / "beyond.md").read_text()
    # A new best.json brings its own ks (here the search's only cut-off): the report's stay.
    best = json.loads((tuned / "best.json").read_text())
    (tuned / "best.json").write_text(json.dumps(dict(best, select_metric="ndcg@10", ks=[10])))
    assert beyond.main(argv) == 0                  # the same run: kept, and reported
    assert [d.name for d in (tmp_path / "work" / "toy").glob("tuned-*")] == [run_dir.name]
    assert "| toy | tuned: MF, alpha 0.25" in (tmp_path / "res" / "beyond.md").read_text()
