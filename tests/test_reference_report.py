"""The report of benchmarks.reference_torch (no PyTorch needed to render it)."""

import pytest

from benchmarks import reference_torch


@pytest.mark.parametrize("hops,backbone", [(0, "MF"), (3, "LightGCN")])
def test_the_report_names_the_backbone_that_was_trained(monkeypatch, hops, backbone):
    monkeypatch.setattr("benchmarks.seeds.seed_tables", lambda runs, summary: [])
    text = reference_torch.markdown({"settings": {"context_hops": hops}, "dataset": "tools",
                                     "ns": "ahns", "runs": {}, "summary": {}})
    assert f"the reference code's {backbone} training semantics" in text
    assert text.count("MF") == (hops == 0)


def test_report_only_quotes_our_current_seed_study_and_trains_nothing(tmp_path):
    import json
    stored = {"provenance": None, "dataset": "tools", "ns": "ahns",
              "settings": {"context_hops": 0, "eval_every": 5},
              "runs": {"2022": {"best_epoch": 25, "test": {"recall@20": .0733, "ndcg@20": .0396}}},
              "summary": {m: {"mean": v, "std": 0.0, "min": v, "max": v, "paper": None,
                              "relative_to_paper": None}
                          for m, v in (("recall@20", 7.33), ("ndcg@20", 3.96))},
              "ours": {"file": "tools-ahns-seeds.json", "seeds": 5,
                       "recall@20": {"mean": 7.22, "std": .06}, "ndcg@20": {"mean": 3.92, "std": .05}}}
    (tmp_path / "tools-reference-ahns-seeds.json").write_text(json.dumps(stored))
    record = {"command": "python -m benchmarks.seeds --dataset tools", "commit": "0123456789ab",
              "dirty": False, "versions": {"tensorflow": "2.21.0"}}
    (tmp_path / "tools-ahns-seeds.json").write_text(json.dumps(
        {"provenance": record, "runs": {str(s): {} for s in range(5)},
         "summary": {"recall@20": {"mean": 7.26, "std": .10}, "ndcg@20": {"mean": 3.96, "std": .09}}}))
    # No --data-dir and no PyTorch needed: nothing is trained.
    assert reference_torch.main(["--report-only", "--dataset", "tools",
                                 "--output", str(tmp_path)]) == 0
    text = (tmp_path / "tools-reference-ahns-seeds.md").read_text()
    assert ("Ours (ahns_tf, tools-ahns-seeds.json): recall@20 7.26 ± 0.10, ndcg@20 3.96 ± 0.09 "
            "over 5 seeds, made by `python -m benchmarks.seeds --dataset tools` at commit "
            "0123456789, TensorFlow 2.21.0.") in text
    assert "| 2022 | 25 | 7.33 | 3.96 |" in text                # the reference's runs, as stored
    # (In-process, the recorded program is the test runner's; the arguments are this call's.)
    assert "; this report re-rendered by `python" in text
    assert " --report-only --dataset tools --output " in text
    saved = json.loads((tmp_path / "tools-reference-ahns-seeds.json").read_text())
    assert saved["ours"]["recall@20"]["mean"] == 7.26 and saved["runs"] == stored["runs"]


def test_report_only_without_a_stored_run_says_to_run_first(tmp_path, capsys):
    with pytest.raises(SystemExit):
        reference_torch.main(["--report-only", "--dataset", "tools", "--output", str(tmp_path)])
    assert "does not exist; run without it first" in capsys.readouterr().err


def test_eval_every_below_one_is_refused_before_training(capsys):
    with pytest.raises(SystemExit):
        reference_torch.main(["--eval-every", "0", "--data-dir", "/nonexistent"])
    assert "--eval-every must be at least 1, got 0" in capsys.readouterr().err
