"""Shared fixtures: tiny synthetic datasets and the path of the shared benchmark data.

Imports no TensorFlow (tests of configs, data and results files run without it);
`InterruptBefore` imports it when called.

Markers: ``slow`` for tests that start processes, train several runs, kill
processes or run clusters and tuners (``pytest -m "not slow"`` skips them while
developing; CI runs everything).
"""

import json
import os
import signal
import time

import numpy as np
import pytest

import ahns_tf  # noqa: F401  selects Keras 2 before TensorFlow is imported anywhere
from ahns_tf.config import TrainConfig  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_DATA = os.environ.get("AHNS_DATA_DIR") or os.path.join(
    os.path.dirname(REPO), "shared", "data", "ahns")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slow: starts processes, trains several runs, kills or clusters (deselect "
                   "with -m 'not slow' while developing; CI runs every test)")


def write_dataset(root, name, train_lines, test_lines):
    """Writes root/name/{train,test}.txt from lists of lines; returns root."""
    folder = os.path.join(root, name)
    os.makedirs(folder, exist_ok=True)
    for split, lines in (("train", train_lines), ("test", test_lines)):
        with open(os.path.join(folder, f"{split}.txt"), "w") as f:
            f.write("\n".join(lines) + "\n")
    return str(root)


def random_lines(num_users, num_items, per_user, seed):
    """Lines 'u i i ...' with distinct random items per user."""
    rng = np.random.default_rng(seed)
    return [" ".join(map(str, [u] + sorted(rng.choice(num_items, per_user, replace=False))))
            for u in range(num_users)]


def report_toy_data(tmp_path) -> str:
    """A 60-user, 80-item 'toy' set, large enough for the reports' @20 and @50 metrics
    (the catalogue must hold 50), with three untrained items per user in test.

    Args:
        tmp_path: the test's folder; the set is written to ``tmp_path/data/toy``.

    Returns:
        The data folder (``tmp_path/data``), to pass as ``--data-dir``.
    """
    train = random_lines(60, 80, 10, seed=1)
    test = [f"{u} " + " ".join(map(str, sorted(set(range(80)) - set(map(int, line.split()[1:])))[:3]))
            for u, line in enumerate(train)]
    return write_dataset(tmp_path / "data", "toy", train, test)


@pytest.fixture
def toy_data_dir(tmp_path):
    """A 40-user, 30-item dataset named 'toy' under tmp_path."""
    train = random_lines(40, 30, 6, seed=1)
    test = [f"{u} " + " ".join(map(str, sorted(set(range(30)) - set(map(int, line.split()[1:])))[:2]))
            for u, line in enumerate(train)]
    return write_dataset(tmp_path / "data", "toy", train, test)


def require_shared_data() -> str:
    """The shared benchmark data folder; fails (in CI, where it must exist) or skips without it.

    CI sets ``CI=true`` and clones the project beside ``shared/``: a missing
    folder there is a broken setup, not a reason to skip the only tests that
    touch real data.
    """
    if os.path.isdir(os.path.join(SHARED_DATA, "tools")):
        return SHARED_DATA
    message = (f"benchmark data not found at {SHARED_DATA}: set AHNS_DATA_DIR, or clone next "
               f"to shared/data/ahns")
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def shared_data():
    return require_shared_data()


@pytest.fixture
def ml100k():
    """The MovieLens 100K folder with feature files (``shared/data/ml-100k``, or
    ``$AHNS_ML100K_DIR``); fails in CI without it, skips elsewhere."""
    folder = os.environ.get("AHNS_ML100K_DIR") or os.path.join(
        os.path.dirname(SHARED_DATA), "ml-100k")
    if os.path.isfile(os.path.join(folder, "items.csv")):
        return folder
    message = f"MovieLens 100K not found at {folder}: set AHNS_ML100K_DIR"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message)
    pytest.skip(message)


def kill_after_epoch(proc, progress_path, epoch: int, timeout: float = 240) -> int:
    """SIGKILLs `proc` just after its run's progress.json reaches `epoch`.

    Returns:
        The last completed epoch recorded when the process died.
    """
    deadline = time.time() + timeout
    while not (progress_path.exists()
               and json.loads(progress_path.read_text())["epoch"] >= epoch):
        assert proc.poll() is None, "training ended before it could be killed"
        assert time.time() < deadline, f"epoch {epoch} not reached within {timeout} s"
        time.sleep(0.05)
    time.sleep(0.1)  # into the next epoch
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return json.loads(progress_path.read_text())["epoch"]


def without_timings_and_paths(result: dict) -> dict:
    """A metrics.json without what differs between two identical runs: timings, file places,
    export path and provenance (the command and time of each process)."""
    result = json.loads(json.dumps(result))
    for key in ("train_seconds", "epoch_seconds", "median_epoch_seconds", "median_eval_seconds",
                "export_path", "provenance", "checkpoint_seconds"):
        result.pop(key, None)
    result["config"].pop("output_dir")
    for entry in result["history"]:
        entry.pop("epoch_seconds"), entry.pop("eval_seconds")
    return result


def assert_entries_close(actual: dict, expected: dict, rel=1e-4, abs=1e-6):
    """Same keys; numbers equal within tolerance, everything else (e.g. "split") exactly.

    (`pytest.approx` on a dict holding strings raises a TypeError from pytest 9 on.)
    """
    assert sorted(actual) == sorted(expected)
    for key, value in expected.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            assert actual[key] == pytest.approx(value, rel=rel, abs=abs), key
        else:
            assert actual[key] == value, key


def toy_train_config(data_dir, out, **kw):
    """A short AHNS run on the 'toy' dataset, evaluated every 2 epochs."""
    base = dict(dataset="toy", data_dir=data_dir, sampler="ahns", epochs=12, eval_every=2,
                ks=(5, 10), select_metric="ndcg@5", top_k=10, batch_size=32, patience=0,
                output_dir=str(out), num_candidates=4, steps_per_execution=2)
    base.update(kw)
    return TrainConfig(**base)


class Interrupted(Exception):
    """Raised by `InterruptBefore`: the process "dies" between two epochs."""


def InterruptBefore(epoch: int):  # noqa: N802  (used like the Keras callback class it builds)
    """A Keras callback interrupting training before `epoch` (0-based) starts, as a kill
    between epochs would."""
    import tensorflow as tf  # pylint: disable=import-outside-toplevel

    class _InterruptBefore(tf.keras.callbacks.Callback):
        def on_epoch_begin(self, e, logs=None):
            if e == epoch:
                raise Interrupted(f"interrupted before epoch {e}")

    return _InterruptBefore()
