"""Issue 13, case 3: corrupt resume state falls back to the other kept checkpoint, or exits 2."""

import json
import os

import pytest

from ahns_tf.config import TrainConfig
from ahns_tf.training import train
from conftest import InterruptBefore, Interrupted


def _config(data_dir, out):
    return TrainConfig(dataset="toy", data_dir=data_dir, sampler="ahns", epochs=5, eval_every=1,
                       ks=(5, 10), select_metric="ndcg@5", batch_size=32, patience=0,
                       output_dir=str(out), num_candidates=4, steps_per_execution=2)


def _comparable(result):
    """History as (epoch, split) -> metrics, hardness and loss (timings dropped)."""
    return {(h["epoch"], h["split"]): {k: v for k, v in h.items()
                                       if k not in ("epoch", "split") and "seconds" not in k}
            for h in result["history"]}


def _assert_same_history(reference, resumed):
    assert sorted(reference) == sorted(resumed)
    for key, values in reference.items():
        assert resumed[key] == pytest.approx(values, rel=1e-4, abs=1e-6), key


def _interrupted_after_epoch_3(data_dir, out):
    with pytest.raises(Interrupted):
        train(_config(data_dir, out), export=False, verbose=0, callbacks=[InterruptBefore(3)])
    assert json.loads((out / "progress.json").read_text())["epoch"] == 3


def _truncate(path):
    size = os.path.getsize(path)
    with open(path, "r+b") as f:
        f.truncate(size // 2)


@pytest.fixture
def reference(toy_data_dir, tmp_path):
    return _comparable(train(_config(toy_data_dir, tmp_path / "straight"), export=False,
                             verbose=0))


@pytest.mark.slow
def test_truncated_checkpoint_falls_back_to_the_previous_one(toy_data_dir, tmp_path, reference,
                                                             capsys):
    run = tmp_path / "run"
    _interrupted_after_epoch_3(toy_data_dir, run)
    data = run / "checkpoints" / "ckpt-3.data-00000-of-00001"
    _truncate(data)
    resumed = train(_config(toy_data_dir, run), export=False, verbose=0)
    assert "ckpt-3" in capsys.readouterr().err
    # resumed after epoch 2: every epoch evaluated once, the same numbers as a straight run
    assert [h["epoch"] for h in resumed["history"]] == [e for e in range(1, 6) for _ in (0, 1)]
    _assert_same_history(reference, _comparable(resumed))


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["empty", "truncated"])
def test_corrupt_progress_json_falls_back_to_the_kept_snapshot(toy_data_dir, tmp_path,
                                                               reference, damage, capsys):
    run = tmp_path / "run"
    _interrupted_after_epoch_3(toy_data_dir, run)
    progress = run / "progress.json"
    progress.write_text("" if damage == "empty" else progress.read_text()[:40])
    resumed = train(_config(toy_data_dir, run), export=False, verbose=0)
    assert "progress.json" in capsys.readouterr().err
    assert [h["epoch"] for h in resumed["history"]] == [e for e in range(1, 6) for _ in (0, 1)]
    _assert_same_history(reference, _comparable(resumed))


@pytest.mark.slow
def test_every_kept_checkpoint_corrupt_exits_2_naming_the_file_and_overwrite(toy_data_dir,
                                                                            tmp_path, capsys):
    from pipelines.train import main
    run = tmp_path / "run"
    _interrupted_after_epoch_3(toy_data_dir, run)
    for epoch in (2, 3):
        _truncate(run / "checkpoints" / f"ckpt-{epoch}.data-00000-of-00001")
    code = main(["--dataset", "toy", "--data-dir", toy_data_dir, "--sampler", "ahns",
                 "--epochs", "5", "--eval-every", "1", "--ks", "5", "10", "--select-metric",
                 "ndcg@5", "--batch-size", "32", "--patience", "0", "--output-dir", str(run),
                 "--num-candidates", "4", "--steps-per-execution", "2", "--no-export"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "ckpt-3" in err and "--overwrite" in err and "Traceback" not in err
    assert not (run / "metrics.json").exists()


@pytest.mark.slow
def test_each_kept_checkpoint_keeps_its_progress_snapshot_and_best_weights(toy_data_dir,
                                                                           tmp_path):
    run = tmp_path / "run"
    _interrupted_after_epoch_3(toy_data_dir, run)
    names = sorted(os.listdir(run / "checkpoints"))
    assert [n for n in names if n.startswith("progress-")] == ["progress-2.json",
                                                               "progress-3.json"]
    assert {n.split(".")[0] for n in names if n.startswith("ckpt-")} == {"ckpt-2", "ckpt-3"}
    referenced = {json.loads((run / "checkpoints" / f"progress-{e}.json").read_text())["best_file"]
                  for e in (2, 3)}
    assert sorted(n for n in os.listdir(run) if n.startswith("best-")) == sorted(referenced)
