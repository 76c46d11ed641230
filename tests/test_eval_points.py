"""benchmarks.eval_points: best evaluations at the two loops' schedules, on hand-made histories."""

import json

import pytest

from benchmarks import eval_points

SETTINGS = {"num_candidates": 32, "alpha": 1.0, "beta": 0.1, "p": -2.0}


def test_schedules_count_epochs_trained():
    assert eval_points.our_schedule(10) == [5, 10]
    assert eval_points.our_schedule(12) == [5, 10, 12]      # pipelines.train evaluates its last
    assert eval_points.reference_schedule(12) == [1, 6, 11]  # 0-based 0, 5, 10
    assert eval_points.reference_schedule(41) == [1, 6, 11, 16, 21, 26, 31, 36, 41]


def _history(recalls: dict) -> dict:
    return {epoch: {"recall@20": r, "ndcg@20": r / 2} for epoch, r in recalls.items()}


def test_best_at_picks_the_highest_recall_among_the_schedule_only():
    history = _history({1: .1, 5: .3, 6: .5, 10: .2, 11: .4})
    assert eval_points.best_at(history, [5, 10], "x") == {"epoch": 5, "recall@20": .3,
                                                          "ndcg@20": .15}
    assert eval_points.best_at(history, [1, 6, 11], "x")["epoch"] == 6
    assert eval_points.best_at(_history({5: .2, 10: .2}), [5, 10], "x")["epoch"] == 5  # ties


def test_a_run_not_evaluated_every_epoch_or_too_short_is_refused_by_name():
    with pytest.raises(ValueError, match=r"seed 1 was not evaluated after epoch\(s\) \[1, 2"):
        eval_points.best_at(_history({5: .1}), [1, 2, 3], "seed 1")
    with pytest.raises(ValueError, match="seed 1 was evaluated only up to epoch 5; pass --epochs 5"):
        eval_points.best_at(_history({5: .1}), [5, 10], "seed 1")


def _our_run(folder, seed, recalls, selected_on="test", **config):
    folder.mkdir(parents=True)
    history = [{"epoch": e, "split": "test", "recall@20": r, "ndcg@20": r / 2}
               for e, r in enumerate(recalls, start=1)]
    history += [{"epoch": e, "split": "valid", "recall@20": 1.0, "ndcg@20": 1.0}  # not test
                for e in range(1, len(recalls) + 1)]
    base = dict(dataset="tools", seed=seed, sampler="ahns", backbone="mf", ks=[20, 50],
                eval_users=None, **SETTINGS)
    base.update(config)
    (folder / "metrics.json").write_text(json.dumps(
        {"config": base, "selected_on": selected_on, "history": history, "provenance": None}))
    return str(folder)


def _reference(path, runs, **settings):
    base = dict(context_hops=0, n_negs=32, alpha=1.0, beta=0.1, p=-2, epochs=10, eval_every=1)
    base.update(settings)
    path.write_text(json.dumps({"dataset": "tools", "ns": "ahns", "settings": base, "runs": {
        seed: {"history": [{"epoch": e, "recall@20": r, "ndcg@20": r / 2}
                           for e, r in enumerate(recalls)],                  # 0-based
               "best_epoch": None, "test": {}} for seed, recalls in runs.items()}}))
    return str(path)


def test_end_to_end_against_hand_computed_bests(tmp_path):
    # Ours, epochs trained 1..10. Seed 1: best 5 on our schedule, 6 on the reference's and overall.
    a = _our_run(tmp_path / "a", 1, [.1, .1, .1, .1, .3, .4, .1, .1, .1, .2])
    b = _our_run(tmp_path / "b", 2, [.1, .1, .1, .1, .1, .1, .1, .1, .1, .5])
    # Reference seed 7, 0-based: its epoch 4 (after 5 epochs) is the best.
    ref = _reference(tmp_path / "ref.json", {"7": [.2, .2, .2, .2, .5, .2, .2, .2, .2, .2]})
    assert eval_points.main(["--ours", a, b, "--reference", ref, "--epochs", "10",
                             "--output", str(tmp_path)]) == 0
    table = json.loads((tmp_path / "tools-eval-points.json").read_text())["table"]
    ours, reference = table["ahns_tf"], table["reference"]
    assert [row["runs"]["1"]["epoch"] for row in ours.values()] == [5, 6, 6]
    assert [row["runs"]["2"]["epoch"] for row in ours.values()] == [10, 1, 10]  # 1 ties 6
    assert [row["runs"]["7"]["epoch"] for row in reference.values()] == [5, 1, 5]
    # Our schedule: seeds' bests 30% and 50% -> mean 40, sample std 14.142 (not 10).
    summary = ours["ahns_tf (after 5, 10, ...)"]["summary"]["recall@20"]
    assert (summary["mean"], summary["std"]) == pytest.approx((40.0, 200 ** 0.5))
    text = (tmp_path / "tools-eval-points.md").read_text()
    assert "| reference | reference (after 1, 6, 11, ...) | 1 | 20.00 ± 0.00 | 10.00 ± 0.00 | 1 |" in text


def test_studies_are_checked_against_the_every_epoch_runs(tmp_path):
    a = _our_run(tmp_path / "a", 1, [.1, .1, .1, .1, .3, .4, .1, .1, .1, .2])
    ref = _reference(tmp_path / "ref.json", {"7": [.2, .2, .2, .2, .5, .3, .6, .2, .2, .2],
                                             "8": [.2] * 10})
    ours_study = tmp_path / "ours-study.json"
    ours_study.write_text(json.dumps({"epochs": 10, "runs": {
        "1": {"best_epoch": 5, "test": {"recall@20": .3}},          # reproduced
        "9": {"best_epoch": 5, "test": {"recall@20": .9}}}}))       # no such input run: skipped
    ref_study = tmp_path / "ref-study.json"
    # A 6-epoch study evaluated after 0-based epochs 0 and 5 (1 and 6 epochs trained): seed 7's
    # run gives .3 at its epoch 5, as the study says; seed 8's gives .2, not the study's .25.
    ref_study.write_text(json.dumps({"settings": {"epochs": 6}, "runs": {
        "7": {"best_epoch": 5, "test": {"recall@20": .3}},
        "8": {"best_epoch": 0, "test": {"recall@20": .25}}}}))
    assert eval_points.main(["--ours", a, "--reference", ref, "--epochs", "10",
                             "--ours-study", str(ours_study), "--reference-study", str(ref_study),
                             "--output", str(tmp_path)]) == 0
    checks = json.loads((tmp_path / "tools-eval-points.json").read_text())["checks"]
    assert checks["ahns_tf"]["reproduced"] == ["1"] and checks["ahns_tf"]["differ"] == {}
    assert checks["reference"]["reproduced"] == ["7"]
    assert checks["reference"]["differ"]["8"]["every_epoch_run"] == {
        "epoch": 1, "recall@20": .2, "ndcg@20": .1}                  # ties: the earlier
    assert "- reference, ref-study.json (6 epochs): 1 of 2 seeds reproduced; differ: seed 8" in (
        tmp_path / "tools-eval-points.md").read_text()


@pytest.mark.parametrize("change, message", [
    (dict(selected_on="valid"), "--select-on test"),
    (dict(dataset="sports"), "dataset 'sports', not --dataset 'tools'"),
    (dict(eval_users=1000), "--eval-users"),
    (dict(ks=[10]), "no Recall@20"),
])
def test_runs_that_cannot_be_compared_are_refused(tmp_path, capsys, change, message):
    selected_on = change.pop("selected_on", "test")
    a = _our_run(tmp_path / "a", 1, [.1] * 10, selected_on=selected_on, **change)
    ref = _reference(tmp_path / "ref.json", {"7": [.2] * 10})
    with pytest.raises(SystemExit):
        eval_points.main(["--ours", a, "--reference", ref, "--epochs", "10",
                          "--output", str(tmp_path)])
    assert message in capsys.readouterr().err
    assert not (tmp_path / "tools-eval-points.json").exists()


def test_two_runs_of_one_seed_and_other_settings_are_refused(tmp_path, capsys):
    a = _our_run(tmp_path / "x" / "seed-1", 1, [.1] * 10)
    b = _our_run(tmp_path / "y" / "seed-1", 1, [.2] * 10)
    ref = _reference(tmp_path / "ref.json", {"7": [.2] * 10})
    with pytest.raises(SystemExit):
        eval_points.main(["--ours", a, b, "--reference", ref, "--output", str(tmp_path)])
    assert "two --ours runs have seed 1" in capsys.readouterr().err
    other = _reference(tmp_path / "other.json", {"7": [.2] * 10}, n_negs=16)
    with pytest.raises(SystemExit):
        eval_points.main(["--ours", a, "--reference", other, "--epochs", "10",
                          "--output", str(tmp_path)])
    assert "differ in ['num_candidates']" in capsys.readouterr().err
