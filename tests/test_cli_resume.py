"""`python -m pipelines.train --resume RUN_DIR` after a SIGKILL, through the command line."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from conftest import assert_entries_close, kill_after_epoch, without_timings_and_paths

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = dict(os.environ, PYTHONPATH=REPO, TF_CPP_MIN_LOG_LEVEL="3")


def _flags(data_dir, out, export):
    return ["--dataset", "toy", "--data-dir", data_dir, "--epochs", "8", "--eval-every", "2",
            "--ks", "5", "10", "--select-metric", "ndcg@5", "--batch-size", "32",
            "--patience", "0", "--num-candidates", "4", "--steps-per-execution", "2",
            "--output-dir", str(out), "--export-dir", str(export)]


def _comparable(path):
    return without_timings_and_paths(json.loads(path.read_text()))


@pytest.mark.slow
def test_resume_flag_continues_a_killed_run_to_the_uninterrupted_metrics(toy_data_dir, tmp_path):
    straight = subprocess.run(
        [sys.executable, "-m", "pipelines.train",
         *_flags(toy_data_dir, tmp_path / "straight", tmp_path / "exp")],
        env=ENV, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert straight.returncode == 0, straight.stderr

    # The same command line, slowed down by a sleeping callback so it can be killed mid-epoch.
    slow = textwrap.dedent(f"""
        import sys, time, tensorflow as tf
        import ahns_tf.training
        from pipelines.train import main
        class Slow(tf.keras.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                time.sleep(0.05)
        real = ahns_tf.training.train
        ahns_tf.training.train = lambda *a, **k: real(*a, callbacks=[Slow()], **k)
        sys.exit(main({_flags(toy_data_dir, tmp_path / 'killed', tmp_path / 'exp')!r}))
    """)
    proc = subprocess.Popen([sys.executable, "-c", slow], env=ENV, cwd=tmp_path)
    killed_at = kill_after_epoch(proc, tmp_path / "killed" / "progress.json", 3)
    assert 3 <= killed_at < 8 and not (tmp_path / "killed" / "metrics.json").exists()

    resumed = subprocess.run(
        [sys.executable, "-m", "pipelines.train", "--resume", str(tmp_path / "killed")],
        env=ENV, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    assert f"Resuming {tmp_path / 'killed'} after epoch {killed_at}" in resumed.stdout

    a = _comparable(tmp_path / "straight" / "metrics.json")
    b = _comparable(tmp_path / "killed" / "metrics.json")
    assert a["config"] == b["config"] and a["best_epoch"] == b["best_epoch"]
    assert [(h["epoch"], h["split"]) for h in b["history"]] == [
        (e, s) for e in range(2, 9, 2) for s in ("valid", "test")]
    assert_entries_close(b["test"], a["test"], rel=1e-5, abs=1e-7)
    for x, y in zip(a["history"], b["history"]):
        assert_entries_close(y, x)
    assert sorted(os.listdir(tmp_path / "exp")) == ["1", "2"]  # each finished run exported once


def test_resume_refuses_flags_it_would_ignore_or_that_would_delete_the_run(tmp_path):
    for flags, named in ((["--epochs", "200"], "--epochs"), (["--overwrite"], "--overwrite"),
                         (["--config", "x.json", "--lr", "0.1"], "--config, --lr")):
        out = subprocess.run([sys.executable, "-m", "pipelines.train", "--resume", str(tmp_path),
                              *flags], env=ENV, cwd=tmp_path, capture_output=True, text=True,
                             timeout=120)
        assert out.returncode == 2, out.stderr
        assert f"--resume continues a run with its saved settings; drop {named} " in out.stderr


def test_resume_of_a_folder_without_a_run_is_an_error(tmp_path):
    out = subprocess.run([sys.executable, "-m", "pipelines.train", "--resume", str(tmp_path)],
                         env=ENV, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert "progress.json not found: --resume takes the --output-dir of a run" in out.stderr


def test_resume_reads_the_saved_config_through_the_progress_module(tmp_path, monkeypatch):
    # One module owns progress.json's format (ahns_tf/runs/progress.py): --resume takes the
    # config from its reader, not from its own json.load of the file.
    from ahns_tf.runs.progress import ProgressFiles
    from pipelines.train import resumed_config
    run = tmp_path / "moved"
    run.mkdir()
    (run / "progress.json").write_text(json.dumps({"epoch": 3, "config": {"dataset": "x"}}))
    seen = []

    def saved_config(files):
        seen.append(files.path)
        return {"dataset": "toy", "alpha": 0.25, "ks": [5, 10], "output_dir": "elsewhere"}
    monkeypatch.setattr(ProgressFiles, "saved_config", saved_config, raising=False)
    config = resumed_config(str(run))
    assert seen == [str(run / "progress.json")]
    assert (config.dataset, config.alpha, config.ks) == ("toy", 0.25, (5, 10))
    assert config.output_dir == str(run)                 # the folder may have been moved


def test_progress_files_give_the_saved_config_and_name_a_damaged_file(tmp_path):
    from ahns_tf.runs.progress import READ_ERRORS, ProgressFiles
    (tmp_path / "progress.json").write_text(json.dumps({"epoch": 2, "config": {"lr": 0.5}}))
    assert ProgressFiles(str(tmp_path)).saved_config() == {"lr": 0.5}
    (tmp_path / "progress.json").write_text('{"epoch": 2, "config": [1]}')
    with pytest.raises(READ_ERRORS, match="'config' is not an object"):
        ProgressFiles(str(tmp_path)).saved_config()
