"""Resume after SIGKILL, NaN guard, conflicting runs, bad input leaving nothing behind."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import tensorflow as tf

from ahns_tf.config import TrainConfig
from ahns_tf.data import DataFormatError
from ahns_tf.runs import NonFiniteLossError, RunConflictError
from ahns_tf.training import train
from conftest import assert_entries_close, kill_after_epoch, without_timings_and_paths
from conftest import toy_train_config as _config

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.slow
def test_sigkill_mid_epoch_then_rerun_matches_an_uninterrupted_run(toy_data_dir, tmp_path):
    reference = train(_config(toy_data_dir, tmp_path / "straight"), export=False, verbose=0)
    # A subprocess trains slowly (a sleeping callback) and is SIGKILLed inside epoch >= 5.
    script = textwrap.dedent(f"""
        import json, time, ahns_tf, tensorflow as tf
        from ahns_tf.config import TrainConfig
        from ahns_tf.training import train
        class Slow(tf.keras.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                time.sleep(0.05)
        values = json.loads({json.dumps(json.dumps(_config(toy_data_dir, tmp_path / 'killed').to_json()))})
        values["ks"] = tuple(values["ks"])
        train(TrainConfig(**values), export=False, verbose=0, callbacks=[Slow()])
    """)
    env = dict(os.environ, PYTHONPATH=REPO, TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.Popen([sys.executable, "-c", script], env=env)
    killed_at = kill_after_epoch(proc, tmp_path / "killed" / "progress.json", 4)
    assert 4 <= killed_at < 12
    assert not (tmp_path / "killed" / "metrics.json").exists()

    resumed = train(_config(toy_data_dir, tmp_path / "killed"), export=False, verbose=0)
    epochs = [(h["epoch"], h["split"]) for h in resumed["history"]]
    assert epochs == [(e, s) for e in range(2, 13, 2) for s in ("valid", "test")]  # once each
    # Same seed, same batches and candidates: the same numbers (CPU ops are deterministic here;
    # the tolerance only absorbs float summation order, should a kernel change it).
    a, b = without_timings_and_paths(reference), without_timings_and_paths(resumed)
    assert a["best_epoch"] == b["best_epoch"]
    for key in a["test"]:
        assert b["test"][key] == pytest.approx(a["test"][key], rel=1e-5, abs=1e-7)
    assert len(a["history"]) == len(b["history"])
    for x, y in zip(a["history"], b["history"]):
        assert_entries_close(y, x)


@pytest.mark.slow
def test_finished_run_is_not_trained_again(toy_data_dir, tmp_path):
    first = train(_config(toy_data_dir, tmp_path / "run", epochs=2), export=False, verbose=0)
    again = train(_config(toy_data_dir, tmp_path / "run", epochs=2), export=False, verbose=0)
    assert again == json.loads(json.dumps(first))


@pytest.mark.slow
def test_a_copied_finished_run_folder_is_returned_not_retrained(toy_data_dir, tmp_path):
    import shutil
    first = train(_config(toy_data_dir, tmp_path / "run", epochs=2), export=False, verbose=0)
    shutil.copytree(tmp_path / "run", tmp_path / "moved")
    shutil.rmtree(tmp_path / "run")
    again = train(_config(toy_data_dir, tmp_path / "moved", epochs=2), export=False, verbose=0)
    assert again["history"] == json.loads(json.dumps(first["history"]))
    assert not (tmp_path / "run").exists()


@pytest.mark.slow
def test_other_settings_in_the_same_output_dir_are_refused_until_overwrite(toy_data_dir, tmp_path):
    train(_config(toy_data_dir, tmp_path / "run", epochs=2), export=False, verbose=0)
    with pytest.raises(RunConflictError, match=r"other settings \(alpha\).*--overwrite"):
        train(_config(toy_data_dir, tmp_path / "run", epochs=2, alpha=0.5), export=False,
              verbose=0)
    result = train(_config(toy_data_dir, tmp_path / "run", epochs=2, alpha=0.5), export=False,
                   verbose=0, overwrite=True)
    assert result["config"]["alpha"] == 0.5


@pytest.mark.slow
def test_nan_loss_stops_with_epoch_and_step_and_keeps_the_last_good_checkpoint(toy_data_dir,
                                                                             tmp_path):
    class Poison(tf.keras.callbacks.Callback):
        """Corrupts the weights during epoch 3, as a numeric blow-up would."""

        def on_train_batch_begin(self, batch, logs=None):
            if self.params and getattr(self, "epoch", 0) == 2 and batch >= 2:
                for w in self.model.trainable_weights:
                    w.assign(tf.fill(w.shape, np.nan))

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

    with pytest.raises(NonFiniteLossError,
                       match=r"non-finite loss \(nan\) at epoch 3, step \d+.*epoch \(2\) is kept"):
        train(_config(toy_data_dir, tmp_path / "run", steps_per_execution=1), export=False,
              verbose=0, callbacks=[Poison()])
    progress = json.loads((tmp_path / "run" / "progress.json").read_text())
    assert progress["epoch"] == 2 and not progress.get("finished")
    assert not (tmp_path / "run" / "metrics.json").exists()
    assert sorted(os.listdir(tmp_path / "run" / "checkpoints"))[0].startswith("checkpoint")


def _write(folder, train_text, test_text=None):
    folder.mkdir(parents=True)
    (folder / "train.txt").write_text(train_text)
    if test_text is not None:
        (folder / "test.txt").write_text(test_text)


@pytest.mark.parametrize("train_text, test_text, kwargs, error, message", [
    ("0 1\n", None, {}, FileNotFoundError, r"test.txt not found: dataset 'bad' needs"),
    ("", "0 1\n", {}, DataFormatError, r"train.txt: file is empty"),
    ("0 1\n1 2\n", "0 12\n", {"num_items": 10}, DataFormatError,
     r"test.txt:1: item id is beyond the declared --num-items 10 .*\(got '12'\)"),
    ("0 1\n7 2\n", "0 3\n", {"num_users": 5}, DataFormatError,
     r"train.txt:2: user id is beyond the declared --num-users 5"),
    ("0 1 2\n1 -3\n", "0 3\n", {}, DataFormatError, r"train.txt:2: negative item id \(got '-3'\)"),
])
def test_bad_input_names_the_problem_and_writes_nothing(tmp_path, train_text, test_text, kwargs,
                                                        error, message):
    _write(tmp_path / "data" / "bad", train_text, test_text)
    config = TrainConfig(dataset="bad", data_dir=str(tmp_path / "data"), epochs=1,
                         output_dir=str(tmp_path / "run"), export_dir=str(tmp_path / "exp"),
                         ks=(1,), select_metric="recall@1", **kwargs)
    with pytest.raises(error, match=message):
        train(config, verbose=0)
    assert not (tmp_path / "run").exists() and not (tmp_path / "exp").exists()


def test_duplicates_are_dropped_counted_and_cold_start_is_reported(tmp_path, capsys):
    from ahns_tf.data import load_dataset
    _write(tmp_path / "d" / "dup", "0 1 1 2\n1 0\n", "0 3\n2 1\n")
    data = load_dataset("dup", str(tmp_path / "d"), validation_fraction=None)
    assert "1 duplicate (user, item) pairs" in capsys.readouterr().out
    stats = data.stats()
    assert (stats["test_cold_users"], stats["test_cold_items"]) == (1, 1)  # user 2, item 3


@pytest.mark.slow
def test_kill_during_export_leaves_no_version_folder(tmp_path):
    script = textwrap.dedent(f"""
        import time, numpy as np, ahns_tf, tensorflow as tf
        from ahns_tf.export import RetrievalServingModule, export_retrieval_model
        real = tf.saved_model.save
        def slow(obj, path, signatures=None):
            real(obj, path, signatures=signatures)
            open({str(tmp_path / 'saved')!r}, 'w').close()
            time.sleep(60)
        tf.saved_model.save = slow
        module = RetrievalServingModule(np.ones((2, 2)), np.ones((3, 2)), ([0], [1]), k=2)
        export_retrieval_model(module, {str(tmp_path / 'm')!r})
    """)
    env = dict(os.environ, PYTHONPATH=REPO, TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.Popen([sys.executable, "-c", script], env=env)
    deadline = time.time() + 120
    while not (tmp_path / "saved").exists():
        assert proc.poll() is None and time.time() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    left = os.listdir(tmp_path / "m")
    assert not [name for name in left if name.isdigit()], left  # TF Serving sees no version
    assert all(name.startswith(".tmp-export-") for name in left)


def test_run_saved_before_a_setting_existed_still_resumes(tmp_path):
    from ahns_tf.runs.checkpoint import ResumableRun
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    old = {"dataset": "tools", "alpha": 1.0}                 # saved before "optimizer" existed
    (run_dir / "progress.json").write_text(json.dumps({"config": old, "epoch": 3}))
    defaults = {"dataset": "tools", "alpha": None, "optimizer": "adam"}
    now = dict(old, optimizer="adam")
    assert ResumableRun(str(run_dir), now, None, defaults=defaults).load_progress()["epoch"] == 3
    with pytest.raises(RunConflictError, match=r"other settings \(optimizer\)"):
        ResumableRun(str(run_dir), dict(old, optimizer="lazy_adam"), None,
                     defaults=defaults).load_progress()
    with pytest.raises(RunConflictError, match=r"other settings \(optimizer\)"):
        ResumableRun(str(run_dir), now, None).load_progress()  # no defaults: a real difference


@pytest.mark.slow
def test_a_run_saved_with_what_auto_resolves_to_is_the_same_run_under_auto(toy_data_dir,
                                                                           tmp_path):
    # toy: 40 users + 30 items = 70 table rows <= AUTO_SPARSE_ROWS (100,000), so --optimizer
    # auto means dense adam here; a folder saved with "adam" (before auto was the default)
    # is the same run, in both directions; "lazy_adam" is not, in both directions.
    for saved, now in (("adam", "auto"), ("auto", "adam")):
        first = train(_config(toy_data_dir, tmp_path / saved, epochs=2, optimizer=saved),
                      export=False, verbose=0)
        again = train(_config(toy_data_dir, tmp_path / saved, epochs=2, optimizer=now),
                      export=False, verbose=0)
        assert again["history"] == json.loads(json.dumps(first["history"]))  # not retrained
    for saved, now in (("lazy_adam", "auto"), ("auto", "lazy_adam")):
        train(_config(toy_data_dir, tmp_path / f"{saved}-{now}", epochs=2, optimizer=saved),
              export=False, verbose=0)
        with pytest.raises(RunConflictError, match=r"other settings \(optimizer\)"):
            train(_config(toy_data_dir, tmp_path / f"{saved}-{now}", epochs=2, optimizer=now),
                  export=False, verbose=0)


def test_auto_is_compared_by_what_it_resolves_to_for_the_run_s_table_rows():
    from functools import partial
    from ahns_tf.models.optimizers import resolve_optimizer_setting
    from ahns_tf.runs.progress import changed_settings
    big = partial(resolve_optimizer_setting, num_rows=2_000_000)   # > 100,000: lazy_adam
    small = partial(resolve_optimizer_setting, num_rows=100_000)   # == 100,000: still adam
    assert changed_settings({"optimizer": "lazy_adam"}, {"optimizer": "auto"}, resolve=big) == []
    assert changed_settings({"optimizer": "adam"}, {"optimizer": "auto"},
                            resolve=big) == ["optimizer"]
    assert changed_settings({"optimizer": "auto"}, {"optimizer": "adam"}, resolve=small) == []
    assert changed_settings({"optimizer": "auto"}, {"optimizer": "lazy_adam"},
                            resolve=small) == ["optimizer"]
    # A config saved before "optimizer" existed takes the default (auto) before resolving.
    assert changed_settings({}, {"optimizer": "adam"}, defaults={"optimizer": "auto"},
                            resolve=small) == []
