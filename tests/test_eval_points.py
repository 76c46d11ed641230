"""benchmarks.eval_points: best evaluations at the two loops' schedules, on hand-made histories."""

import json

import pytest

from benchmarks import eval_points


def test_schedules_count_epochs_trained():
    got = eval_points.schedules(12)
    assert list(got.values()) == [[5, 10], [1, 6, 11], list(range(1, 13))]


def _history(recalls: dict) -> dict:
    return {epoch: {"recall@20": r, "ndcg@20": r / 2} for epoch, r in recalls.items()}


def test_best_at_picks_the_highest_recall_among_the_schedule_only():
    history = _history({1: .1, 5: .3, 6: .5, 10: .2, 11: .4})
    assert eval_points.best_at(history, [5, 10], "x") == {"epoch": 5, "recall@20": .3,
                                                          "ndcg@20": .15}
    assert eval_points.best_at(history, [1, 6, 11], "x")["epoch"] == 6


def test_a_run_not_evaluated_every_epoch_is_refused_by_name():
    with pytest.raises(ValueError, match=r"run seed-1 was not evaluated after epoch\(s\) \[1, 2"):
        eval_points.best_at(_history({5: .1}), [1, 2, 3], "run seed-1")


def test_end_to_end_reference_epochs_are_shifted_to_epochs_trained(tmp_path):
    ours = tmp_path / "every-1"
    ours.mkdir()
    # Ours: best at epoch 6 overall, 5 on our schedule, 6 on the reference's.
    history = [{"epoch": e, "split": "test", "recall@20": r, "ndcg@20": r}
               for e, r in zip(range(1, 11), [.1, .1, .1, .1, .3, .4, .1, .1, .1, .2])]
    (ours / "metrics.json").write_text(json.dumps({"history": history, "provenance": None}))
    # Reference, 0-based: its epoch 4 (after 5 epochs) is the best.
    ref = {"runs": {"7": {"history": [{"epoch": e, "recall@20": .5 if e == 4 else .2,
                                        "ndcg@20": .1} for e in range(10)]}}}
    (tmp_path / "ref.json").write_text(json.dumps(ref))
    assert eval_points.main(["--ours", str(ours), "--reference", str(tmp_path / "ref.json"),
                             "--epochs", "10", "--output", str(tmp_path)]) == 0
    table = json.loads((tmp_path / "tools-eval-points.json").read_text())["table"]
    ours_rows, ref_rows = table["ahns_tf"], table["reference"]
    assert [row["runs"]["every-1"]["epoch"] for row in ours_rows.values()] == [5, 6, 6]
    assert [row["runs"]["7"]["epoch"] for row in ref_rows.values()] == [5, 1, 5]
    assert ref_rows["every epoch"]["summary"]["recall@20"]["mean"] == pytest.approx(50.0)
    assert "| reference | reference (after 1, 6, 11, ...) | 1 | 20.00 ± 0.00 |" in (
        tmp_path / "tools-eval-points.md").read_text()
