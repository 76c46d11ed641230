"""Benchmark scripts write their result files atomically: a failed write keeps the old file."""

import builtins
import errno
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from ahns_tf.export import RetrievalServingModule, export_retrieval_model
from benchmarks import serving


def _disk_full_from(monkeypatch, folder, nth: int):
    """From the `nth` file opened for writing inside `folder` on, writes fail half-way
    with ENOSPC, as on a full disk (the first bytes do reach the file)."""
    real_open, opened = builtins.open, []

    def failing_open(file, mode="r", *args, **kwargs):
        f = real_open(file, mode, *args, **kwargs)
        inside = os.path.abspath(str(file)).startswith(str(folder) + os.sep)
        if inside and ("w" in mode or "a" in mode):
            opened.append(file)
            if len(opened) >= nth:
                write = f.write

                def half_then_fail(data):
                    write(data[:max(1, len(data) // 2)])
                    raise OSError(errno.ENOSPC, "No space left on device")
                f.write = half_then_fail
        return f
    monkeypatch.setattr(builtins, "open", failing_open)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("served") / "toy"
    module = RetrievalServingModule(np.ones((4, 2)), np.ones((3, 2)), ([0], [1]), k=2)
    export_retrieval_model(module, str(folder), update_config=False)
    return str(folder)


def _run_serving(model_dir, output):
    assert serving.main(["--model-dir", model_dir, "--batch-sizes", "1", "--requests", "2",
                         "--warmup", "1", "--output", str(output)]) == 0


@pytest.mark.parametrize("nth, replaced", [(1, set()), (2, {"serving.json"})])
def test_serving_benchmark_keeps_its_old_results_when_a_write_fails(monkeypatch, tmp_path,
                                                                    model_dir, nth, replaced):
    out = tmp_path / "results"
    _run_serving(model_dir, out)
    old = {name: (out / name).read_text() for name in ("serving.json", "serving.md")}
    _disk_full_from(monkeypatch, out, nth)      # nth=1: serving.json's write; 2: serving.md's
    with pytest.raises(OSError, match="No space left"):
        _run_serving(model_dir, out)
    monkeypatch.undo()
    assert sorted(os.listdir(out)) == ["serving.json", "serving.md"]   # no temporary left
    for name, text in old.items():
        if name in replaced:                    # completed before the failure: the new file
            assert json.loads((out / name).read_text())["results"][0]["batch_size"] == 1
        else:
            assert (out / name).read_text() == text, name


@pytest.mark.slow
def test_the_serving_benchmark_loads_no_model_code():
    """It loads the export as TF Serving would: ahns_tf's records and writes, nothing else."""
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    probe = ("import sys, benchmarks.serving; print(sorted(m for m in sys.modules "
             "if m.startswith(('ahns_tf', 'tensorflow_recommenders'))))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         cwd=repo, timeout=300, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split("\n")[-2] == str(
        ["ahns_tf", "ahns_tf._keras_setup", "ahns_tf.atomic", "ahns_tf.provenance"])
