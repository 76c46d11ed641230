"""benchmarks.reference_torch without PyTorch: its report, --report-only and its ranking."""

import json

import numpy as np
import pytest

from benchmarks import reference_torch


@pytest.mark.parametrize("hops,backbone", [(0, "MF"), (3, "LightGCN")])
def test_the_report_names_the_backbone_that_was_trained(monkeypatch, tmp_path, hops, backbone):
    monkeypatch.setattr("benchmarks.seeds.seed_tables", lambda runs, summary: [])
    text = reference_torch.markdown({"settings": {"context_hops": hops}, "dataset": "tools",
                                     "ns": "ahns", "runs": {}, "summary": {}},
                                    str(tmp_path / "tools-reference-ahns-seeds"))
    assert f"the reference code's {backbone} training loop" in text
    assert text.count("MF") == (hops == 0)


def test_report_only_quotes_our_current_seed_study_and_trains_nothing(tmp_path):
    stored = {"provenance": None, "dataset": "tools", "ns": "ahns",
              "settings": {"context_hops": 0, "eval_every": 5},
              "runs": {"2022": {"best_epoch": 25, "test": {"recall@20": .0733, "ndcg@20": .0396}}},
              "summary": {m: {"mean": v, "std": 0.0, "min": v, "max": v, "paper": None,
                              "relative_to_paper": None}
                          for m, v in (("recall@20", 7.33), ("ndcg@20", 3.96))}}
    (tmp_path / "tools-reference-ahns-seeds.json").write_text(json.dumps(stored))
    record = {"command": "python -m benchmarks.seeds --dataset tools", "commit": "0123456789ab",
              "dirty": False, "versions": {"tensorflow": "2.21.0"}}
    (tmp_path / "tools-ahns-seeds.json").write_text(json.dumps(
        {"provenance": record, "runs": {str(s): {} for s in range(5)},
         "summary": {"recall@20": {"mean": 7.26, "std": .10}, "ndcg@20": {"mean": 3.96, "std": .09}}}))
    before = (tmp_path / "tools-reference-ahns-seeds.json").read_bytes()
    # No --data-dir and no PyTorch needed: nothing is trained.
    assert reference_torch.main(["--report-only", "--dataset", "tools",
                                 "--output", str(tmp_path)]) == 0
    text = (tmp_path / "tools-reference-ahns-seeds.md").read_text()
    assert ("Ours (ahns_tf, tools-ahns-seeds.json): recall@20 7.26 ± 0.10, ndcg@20 3.96 ± 0.09 "
            "over 5 seeds, made by `python -m benchmarks.seeds --dataset tools` at commit "
            "0123456789, TensorFlow 2.21.0.") in text
    assert "| 2022 | 25 | 7.33 | 3.96 |" in text                # the reference's runs, as stored
    # (In-process, the recorded program is the test runner's; the arguments are this call's.)
    assert "Re-rendered from the stored tools-reference-ahns-seeds.json (nothing run) by " in text
    assert " --report-only --dataset tools --output " in text
    assert (tmp_path / "tools-reference-ahns-seeds.json").read_bytes() == before


def test_report_only_without_a_stored_run_says_to_run_first(tmp_path, capsys):
    assert reference_torch.main(["--report-only", "--dataset", "tools",
                                 "--output", str(tmp_path)]) == 2
    assert "does not exist; run without it first" in capsys.readouterr().err


def test_eval_every_below_one_is_refused_before_training(capsys):
    with pytest.raises(SystemExit):
        reference_torch.main(["--eval-every", "0", "--data-dir", "/nonexistent"])
    assert "--eval-every must be at least 1, got 0" in capsys.readouterr().err


@pytest.mark.parametrize("per_user", [False, True])
def test_both_rankings_equal_a_full_sort_done_by_hand(per_user):
    rng = np.random.default_rng(0)
    user_emb, item_emb = rng.normal(size=(30, 4)), rng.normal(size=(50, 4))
    train = {u: set(rng.choice(50, 5, replace=False).tolist()) for u in range(30)}
    test = {u: set(rng.choice(sorted(set(range(50)) - train[u]), 1 + u % 4,
                              replace=False).tolist()) for u in range(0, 30, 2)}
    # Independently: sort all items by score, drop the training ones, keep 5.
    recalls, ndcgs = [], []
    for user, truth in test.items():
        ranked = [i for i in np.argsort(-(user_emb[user] @ item_emb.T)) if i not in train[user]]
        hits = [item in truth for item in ranked[:5]]
        ideal = sum(1 / np.log2(r + 2) for r in range(min(len(truth), 5)))
        recalls.append(sum(hits) / len(truth))
        ndcgs.append(sum(h / np.log2(r + 2) for r, h in enumerate(hits)) / ideal)
    got = reference_torch.ranking_metrics(user_emb, item_emb, train, test, k=5, per_user=per_user)
    np.testing.assert_allclose(got, (np.mean(recalls), np.mean(ndcgs)), rtol=1e-12)
    # By hand: items scored [3, 2, 1], item 0 trained, item 2 held out -> top-2 [1, 2].
    got = reference_torch.ranking_metrics(np.ones((1, 1)), np.array([[3.0], [2.0], [1.0]]),
                                          {0: {0}}, {0: {2}}, k=2, per_user=per_user)
    np.testing.assert_allclose(got, (1.0, 1 / np.log2(3)), rtol=1e-12)
