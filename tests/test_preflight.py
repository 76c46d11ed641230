"""Issue 13, case 9: unwritable directories found before training; export and metrics idempotent."""

import json
import os

import pytest

from ahns_tf.config import TrainConfig
from pipelines.train import main


@pytest.mark.parametrize("flag", ["--output-dir", "--export-dir"])
def test_an_unwritable_directory_exits_2_before_training(toy_data_dir, tmp_path, capsys, flag):
    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder should be")
    dirs = {"--output-dir": str(tmp_path / "run"), "--export-dir": str(tmp_path / "exp")}
    dirs[flag] = str(blocker / "sub")
    assert main(["--dataset", "toy", "--data-dir", toy_data_dir, "--epochs", "1", "--ks", "5",
                 "--select-metric", "recall@5", *[x for kv in dirs.items() for x in kv]]) == 2
    err = capsys.readouterr().err
    assert flag in err and str(blocker) in err and "Traceback" not in err
    assert not (tmp_path / "run").exists() and not (tmp_path / "exp").exists()


def test_a_crash_while_writing_metrics_then_a_rerun_exports_no_duplicate(toy_data_dir, tmp_path,
                                                                        monkeypatch):
    import ahns_tf.training as training
    import ahns_tf.training.run as run
    config = TrainConfig(dataset="toy", data_dir=toy_data_dir, sampler="rns", epochs=1,
                         ks=(5,), select_metric="recall@5", batch_size=64,
                         output_dir=str(tmp_path / "run"), export_dir=str(tmp_path / "m" / "toy"))
    real = run.atomic_write_text

    def crash_on_metrics(path, text):
        if path.endswith("metrics.json"):
            raise KeyboardInterrupt("killed while writing metrics.json")
        real(path, text)

    monkeypatch.setattr(run, "atomic_write_text", crash_on_metrics)
    with pytest.raises(KeyboardInterrupt):
        training.train(config, verbose=0)
    assert os.listdir(tmp_path / "m" / "toy") == ["1"]
    monkeypatch.setattr(run, "atomic_write_text", real)
    result = training.train(config, verbose=0)
    assert sorted(os.listdir(tmp_path / "m" / "toy")) == ["1"]
    assert result["export_path"] == str(tmp_path / "m" / "toy" / "1")
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["export_path"] == \
        result["export_path"]


def test_a_folder_without_write_permission_is_named(tmp_path, monkeypatch):
    # As root (CI), chmod cannot take write permission away; fail the probe file instead.
    import tempfile
    from ahns_tf.runs import UnwritableDirError, check_writable

    def denied(dir=None, prefix=None):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", denied)
    with pytest.raises(UnwritableDirError,
                       match=rf"--export-dir {tmp_path / 'a' / 'b'}: cannot write in {tmp_path} "
                             r"\(Permission denied\)"):
        check_writable(str(tmp_path / "a" / "b"), "--export-dir")
    assert os.listdir(tmp_path) == []
