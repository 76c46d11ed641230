"""Issue 13, case 1: one process per run directory (an exclusive lock on <output-dir>/.lock)."""

import fcntl
import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.slow
def test_a_second_process_on_a_locked_output_dir_exits_2_naming_the_pid_and_writes_nothing(
        toy_data_dir, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    # Hold the lock the way a running `pipelines.train` does: flock on <output-dir>/.lock
    # with the holder's pid inside.
    with open(run / ".lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.write(f"{os.getpid()}\n")
        held.flush()
        env = dict(os.environ, PYTHONPATH=REPO, TF_CPP_MIN_LOG_LEVEL="3")
        out = subprocess.run(
            [sys.executable, "-m", "pipelines.train", "--dataset", "toy", "--data-dir",
             toy_data_dir, "--epochs", "1", "--ks", "5", "--select-metric", "recall@5",
             "--output-dir", str(run), "--export-dir", str(tmp_path / "exp")],
            capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 2, out.stderr[-2000:]
    assert f"pid {os.getpid()}" in out.stderr and str(run) in out.stderr
    assert "Traceback" not in out.stderr
    assert sorted(os.listdir(run)) == [".lock"]
    assert not (tmp_path / "exp").exists()


def test_the_lock_is_exclusive_and_released_on_exit(tmp_path):
    from ahns_tf.runs import RunLock, RunLockedError
    with RunLock(str(tmp_path / "run")):
        assert (tmp_path / "run" / ".lock").read_text().strip() == str(os.getpid())
        with pytest.raises(RunLockedError, match=rf"pid {os.getpid()}.*--output-dir"):
            with RunLock(str(tmp_path / "run")):
                pass
    with RunLock(str(tmp_path / "run")):  # free again
        pass
