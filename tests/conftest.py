"""Shared fixtures: tiny synthetic datasets and the path of the shared benchmark data."""

import json
import os
import signal
import time

import numpy as np
import pytest

import ahns_tf  # noqa: F401  selects Keras 2 before TensorFlow is imported anywhere

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_DATA = os.environ.get("AHNS_DATA_DIR") or os.path.join(
    os.path.dirname(REPO), "shared", "data", "ahns")


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


@pytest.fixture
def toy_data_dir(tmp_path):
    """A 40-user, 30-item dataset named 'toy' under tmp_path."""
    train = random_lines(40, 30, 6, seed=1)
    test = [f"{u} " + " ".join(map(str, sorted(set(range(30)) - set(map(int, line.split()[1:])))[:2]))
            for u, line in enumerate(train)]
    return write_dataset(tmp_path / "data", "toy", train, test)


@pytest.fixture
def shared_data():
    if not os.path.isdir(os.path.join(SHARED_DATA, "tools")):
        pytest.skip(f"benchmark data not found at {SHARED_DATA}")
    return SHARED_DATA


def kill_after_epoch(proc, progress_path, epoch: int, timeout: float = 240) -> int:
    """SIGKILLs `proc` just after its run's progress.json reaches `epoch`.

    Returns:
        The last completed epoch recorded when the process died.
    """
    deadline = time.time() + timeout
    while time.time() < deadline:
        if progress_path.exists() and json.loads(progress_path.read_text())["epoch"] >= epoch:
            break
        assert proc.poll() is None, "training ended before it could be killed"
        time.sleep(0.05)
    time.sleep(0.1)  # into the next epoch
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return json.loads(progress_path.read_text())["epoch"]
