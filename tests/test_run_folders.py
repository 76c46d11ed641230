"""A run folder holds what the run wrote, and only that: the data it trained on is never
rewritten, and nothing it did not write is ever deleted."""

import os

import pyarrow.parquet as pq
import pytest

from ahns_tf.config import TrainConfig
from ahns_tf.runs import RunConflictError
from ahns_tf.training import train
from conftest import InterruptBefore, Interrupted


def _log_file(path, rows):
    path.write_text("user_id,item_id,timestamp\n" + "".join(f"{u},{i},{t}\n" for u, i, t in rows))


def _rows():
    return [(f"u{u}", f"i{(u * 3 + k) % 9}", 10 * u + k) for u in range(8) for k in range(4)]


def _config(tmp_path, **kw):
    return TrainConfig(**dict(dict(
        dataset="log", data_file=str(tmp_path / "log.csv"), epochs=3, eval_every=1, ks=(3,),
        select_metric="recall@3", batch_size=16, num_candidates=2, top_k=3,
        output_dir=str(tmp_path / "run"), export_dir=str(tmp_path / "models" / "log")), **kw))


def _interrupted_run(tmp_path, rows):
    _log_file(tmp_path / "log.csv", rows)
    with pytest.raises(Interrupted):
        train(_config(tmp_path), export=False, verbose=0, callbacks=[InterruptBefore(1)])
    return pq.read_table(tmp_path / "run" / "split.parquet")


def test_a_log_whose_rows_changed_but_not_its_ids_is_refused_naming_what_changed(tmp_path):
    rows = _rows()
    saved = _interrupted_run(tmp_path, rows)
    # Swap the items of two rows of different users: the same ids, rows and parts, another log.
    rows[0], rows[5] = (rows[0][0], rows[5][1], rows[0][2]), (rows[5][0], rows[0][1], rows[5][2])
    _log_file(tmp_path / "log.csv", rows)
    with pytest.raises(RunConflictError, match=r"item_id of data row 0 .* was 'i0', is now 'i4'"):
        train(_config(tmp_path), export=False, verbose=0)
    # The record of what the first epoch trained on is kept as it was.
    assert pq.read_table(tmp_path / "run" / "split.parquet").equals(saved)


def test_a_changed_time_is_a_changed_log(tmp_path):
    rows = _rows()
    _interrupted_run(tmp_path, rows)
    rows[3] = (rows[3][0], rows[3][1], 999)
    _log_file(tmp_path / "log.csv", rows)
    with pytest.raises(RunConflictError, match=r"timestamp of data row 3"):
        train(_config(tmp_path), export=False, verbose=0)


def test_a_resumed_run_does_not_rewrite_its_split(tmp_path):
    _interrupted_run(tmp_path, _rows())
    split = tmp_path / "run" / "split.parquet"
    before = os.stat(split).st_mtime_ns
    train(_config(tmp_path), export=False, verbose=0)
    assert os.stat(split).st_mtime_ns == before
