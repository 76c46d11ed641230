"""Where the README promises exit status 2 naming the file, flag or variable, not a traceback."""

import json
import os

import pytest

from pipelines.train import main


def _toy(toy_data_dir, tmp_path, *flags):
    return ["--dataset", "toy", "--data-dir", toy_data_dir, "--epochs", "1", "--ks", "5",
            "--select-metric", "recall@5", "--output-dir", str(tmp_path / "run"),
            "--export-dir", str(tmp_path / "models" / "toy"), *flags]


def test_too_many_logical_cpu_devices_are_refused(capsys):
    assert main(["--strategy", "mirrored", "--cpu-devices", "1000"]) == 2
    assert "--cpu-devices must be <= 64" in capsys.readouterr().err


def test_a_top_k_larger_than_the_catalogue_is_refused_not_clamped(toy_data_dir, tmp_path, capsys):
    assert main(_toy(toy_data_dir, tmp_path, "--top-k", "1000")) == 2
    err = capsys.readouterr().err
    assert "--top-k 1000" in err and "30 items" in err and "Traceback" not in err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("strategy, tf_config, expected", [
    ("parameter_server", None, "TF_CONFIG environment variable, which is not set"),
    ("multi_worker", None, "TF_CONFIG environment variable, which is not set"),
    ("multi_worker", "{not json", "TF_CONFIG is not valid JSON"),
    ("multi_worker", json.dumps({"cluster": {"worker": ["127.0.0.1:1"]},
                                 "task": {"type": "worker", "index": 3}}),
     "TF_CONFIG: task worker 3 is not in its cluster"),
    ("parameter_server", json.dumps({"cluster": {"worker": ["127.0.0.1:1"]},
                                     "task": {"type": "chief", "index": 0}}),
     "TF_CONFIG: task chief 0 is not in its cluster"),
])
def test_a_missing_or_malformed_tf_config_exits_2_naming_it(toy_data_dir, tmp_path, monkeypatch,
                                                           capsys, strategy, tf_config, expected):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    if tf_config is not None:
        monkeypatch.setenv("TF_CONFIG", tf_config)
    assert main(_toy(toy_data_dir, tmp_path, "--strategy", strategy)) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err


def test_a_dangling_symlink_as_output_dir_is_refused_before_the_data_is_read(tmp_path, capsys):
    os.symlink(tmp_path / "gone", tmp_path / "run")
    assert main(["--dataset", "nowhere", "--data-dir", str(tmp_path), "--output-dir",
                 str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert "--output-dir" in err and "broken symbolic link" in err and "nowhere" not in err


@pytest.mark.parametrize("error,message,said,unsaid", [
    # A full disk names the folder and the error.
    ("ResourceExhaustedError", "No space left on device",
     ["No space left on device", "--output-dir"], ["Traceback"]),
    # Seen in the PS fault test: the PS died during the checkpoint's save, and the message
    # blamed --output-dir. A lost task is reported as one, with how to resume.
    ("UnavailableError", "failed to connect to all addresses",
     ["a task of the cluster is unreachable"], ["free space"]),
])
def test_a_failed_checkpoint_save_exits_2_names_its_cause_and_leaves_no_temporary_folder(
        toy_data_dir, tmp_path, monkeypatch, capsys, error, message, said, unsaid):
    import tensorflow as tf

    def failing(self, checkpoint_number=None, **kwargs):
        os.makedirs(os.path.join(self.directory, f"ckpt-{checkpoint_number}_temp"))
        raise getattr(tf.errors, error)(None, None, message)

    monkeypatch.setattr(tf.train.CheckpointManager, "save", failing)
    assert main(_toy(toy_data_dir, tmp_path)) == 2
    err = capsys.readouterr().err
    assert all(text in err for text in said) and not any(text in err for text in unsaid)
    assert not os.path.exists(tmp_path / "run" / "checkpoints" / "ckpt-1_temp")


def test_a_full_disk_while_exporting_exits_2_and_leaves_no_version(toy_data_dir, tmp_path,
                                                                  monkeypatch, capsys):
    import tensorflow as tf

    def full(*args, **kwargs):
        raise tf.errors.ResourceExhaustedError(None, None, "No space left on device")

    monkeypatch.setattr(tf.saved_model, "save", full)
    assert main(_toy(toy_data_dir, tmp_path)) == 2
    err = capsys.readouterr().err
    assert "No space left on device" in err and "--export-dir" in err
    assert os.listdir(tmp_path / "models" / "toy") == []


@pytest.mark.parametrize("damage", ["metrics", "embeddings", "data"])
def test_export_of_a_damaged_run_exits_2_naming_the_file(toy_data_dir, tmp_path, capsys, damage):
    from pipelines.export import main as export
    assert main(_toy(toy_data_dir, tmp_path, "--no-export")) == 0
    run = tmp_path / "run"
    if damage == "metrics":
        (run / "metrics.json").write_text('{"config": ')
    elif damage == "embeddings":
        (run / "embeddings.npz").write_bytes(b"PK\x03\x04 not a zip")
    else:
        with open(os.path.join(toy_data_dir, "toy", "train.txt"), "a") as f:
            f.write("0 29\n")                                      # the data changed since
    assert export(["--run-dir", str(run), "--export-dir", str(tmp_path / "m" / "toy")]) == 2
    err = capsys.readouterr().err
    named = {"metrics": "metrics.json", "embeddings": "embeddings.npz", "data": "no longer"}
    assert named[damage] in err and "Traceback" not in err
