"""Issue 13, case 11: atomic writes fsync the file before and its directory after the rename."""

import os
import stat

import numpy as np

from ahns_tf.atomic import atomic_write_text
from ahns_tf.training import save_embeddings


def _record(monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append("fsync dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync file")
        real_fsync(fd)

    def replace(src, dst):
        events.append("rename")
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    return events


def test_atomic_write_text_fsyncs_file_then_directory(tmp_path, monkeypatch):
    events = _record(monkeypatch)
    atomic_write_text(str(tmp_path / "x.json"), "{}")
    assert events == ["fsync file", "rename", "fsync dir"]
    assert (tmp_path / "x.json").read_text() == "{}"


def test_npz_writes_are_atomic_with_fsync(tmp_path, monkeypatch):
    events = _record(monkeypatch)
    save_embeddings(str(tmp_path), np.ones((2, 3), np.float32), np.zeros((4, 3), np.float32))
    assert events == ["fsync file", "rename", "fsync dir"]
    with np.load(tmp_path / "embeddings.npz") as saved:
        assert saved["user_embeddings"].shape == (2, 3) and saved["item_embeddings"].shape == (4, 3)
    assert sorted(os.listdir(tmp_path)) == ["embeddings.npz"]
