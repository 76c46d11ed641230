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


def _toy(toy_data_dir, tmp_path, **kw):
    return TrainConfig(**dict(dict(
        dataset="toy", data_dir=toy_data_dir, epochs=2, eval_every=1, ks=(5,),
        select_metric="recall@5", batch_size=64, num_candidates=4,
        output_dir=str(tmp_path / "run")), **kw))


def test_a_refused_run_deletes_nothing_it_did_not_write(toy_data_dir, tmp_path):
    from ahns_tf.runs import CorruptRunError
    run = tmp_path / "run"
    run.mkdir()
    (run / "progress.json").write_text("{not json")
    (run / ".tmp-notes").write_text("mine")
    with pytest.raises(CorruptRunError):
        train(_toy(toy_data_dir, tmp_path), export=False, verbose=0)
    assert (run / ".tmp-notes").read_text() == "mine"


def test_overwrite_refuses_a_folder_holding_files_no_run_wrote(toy_data_dir, tmp_path):
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    mine = {"checkpoints/my_precious.txt": "a", "progress.json": "{}", "best-photo.npz": "b"}
    for name, text in mine.items():
        (run / name).write_text(text)
    with pytest.raises(RunConflictError, match="best-photo.npz, checkpoints/my_precious.txt, "
                                               "progress.json"):
        train(_toy(toy_data_dir, tmp_path), export=False, verbose=0, overwrite=True)
    assert {n: (run / n).read_text() for n in mine} == mine


def test_overwrite_clears_what_the_run_wrote_and_refuses_what_was_added_since(toy_data_dir,
                                                                             tmp_path):
    config = _toy(toy_data_dir, tmp_path)
    train(config, export=False, verbose=0)
    run = tmp_path / "run"
    assert (run / "checkpoints" / "checkpoint").exists()
    train(config, export=False, verbose=0, overwrite=True)      # all of it the run's own
    (run / "checkpoints" / "notes.txt").write_text("mine")
    with pytest.raises(RunConflictError, match="checkpoints/notes.txt"):
        train(config, export=False, verbose=0, overwrite=True)
    assert (run / "checkpoints" / "notes.txt").read_text() == "mine"


def test_a_tmp_folder_in_the_output_dir_is_left_alone(toy_data_dir, tmp_path):
    (tmp_path / "run" / ".tmp-scratch").mkdir(parents=True)
    (tmp_path / "run" / ".tmp-scratch" / "x").write_text("mine")
    result = train(_toy(toy_data_dir, tmp_path), export=False, verbose=0)
    assert result["best_epoch"] and (tmp_path / "run" / ".tmp-scratch" / "x").exists()


@pytest.mark.parametrize("name", ["it's", 'say "hi"', "back\\slash", "ünï cödé"])
def test_models_config_parses_as_tf_serving_reads_it_whatever_the_folder_names(tmp_path, name):
    from google.protobuf import text_format
    from tensorflow_serving.config import model_server_config_pb2
    from ahns_tf.export import write_model_config
    for folder in ("plain", name):
        (tmp_path / folder / "1").mkdir(parents=True)
    path = write_model_config(str(tmp_path))
    config = text_format.Parse(open(path, encoding="utf-8").read(),
                               model_server_config_pb2.ModelServerConfig())
    served = {c.name: c.base_path for c in config.model_config_list.config}
    assert served == {"plain": "/models/plain", name: f"/models/{name}"}


@pytest.mark.parametrize("name", ["../escape", "a/b", "..", ".", "back\\slash", ""])
def test_a_dataset_name_is_a_name_not_a_path(name):
    with pytest.raises(ValueError, match="--dataset .* is a name"):
        TrainConfig(dataset=name).resolved()


def test_a_tfds_name_keeps_its_slash_and_maps_to_one_folder():
    config = TrainConfig(dataset="tfds:movielens/1m-ratings").resolved()
    assert config.output_dir == "runs/movielens-1m-ratings-ahns"


def test_overwrite_works_with_a_relative_output_dir(toy_data_dir, tmp_path, monkeypatch):
    # The default --output-dir (runs/<dataset>-<sampler>) is relative to the current folder.
    monkeypatch.chdir(tmp_path)
    config = _toy(toy_data_dir, tmp_path, output_dir="runs/toy", epochs=4)
    train(config, export=False, verbose=0)
    snapshots = sorted(os.listdir(tmp_path / "runs" / "toy" / "checkpoints"))
    assert [n for n in snapshots if n.startswith("progress-")] == ["progress-3.json",
                                                                    "progress-4.json"]
    train(config, export=False, verbose=0, overwrite=True)       # all of it the run's own


def test_a_run_folder_of_the_previous_version_resumes_and_can_be_overwritten(toy_data_dir,
                                                                             tmp_path):
    # Written by 749a9d7: no run-files.json, and a text run's config says split "random" (that
    # version's word for the files' own split) and has no memory_budget_gb.
    import json
    config = _toy(toy_data_dir, tmp_path)
    first = train(config, export=False, verbose=0)
    run = tmp_path / "run"
    (run / "run-files.json").unlink()
    (run / "data-digest.json").unlink()
    for path in [run / "progress.json", *(run / "checkpoints").glob("progress-*.json")]:
        progress = json.loads(path.read_text())
        progress["config"].pop("memory_budget_gb")
        progress["config"]["split"] = "random"
        path.write_text(json.dumps(progress))
    assert train(config, export=False, verbose=0)["test"] == first["test"]   # the same run
    (run / "notes.txt").write_text("mine")
    with pytest.raises(RunConflictError, match="notes.txt"):
        train(config, export=False, verbose=0, overwrite=True)
    (run / "notes.txt").unlink()
    train(config, export=False, verbose=0, overwrite=True)       # its own files, by their names


def test_a_text_run_does_not_resume_on_changed_files(toy_data_dir, tmp_path):
    import os as _os
    config = _toy(toy_data_dir, tmp_path, epochs=3)
    with pytest.raises(Interrupted):
        train(config, export=False, verbose=0, callbacks=[InterruptBefore(1)])
    train_file = _os.path.join(toy_data_dir, "toy", "train.txt")
    lines = open(train_file).read().splitlines()
    lines[0] = lines[0].split()[0] + " " + " ".join(reversed(lines[0].split()[1:]))  # same
    open(train_file, "w").write("\n".join(lines) + "\n")
    with pytest.raises(Interrupted):                              # same pairs: resumes
        train(config, export=False, verbose=0, callbacks=[InterruptBefore(2)])
    lines[1] = lines[1] + " 29"                                   # one more pair for user 1
    open(train_file, "w").write("\n".join(lines) + "\n")
    with pytest.raises(RunConflictError, match=r"began with: its [a-z ]+ interactions differ"):
        train(config, export=False, verbose=0)
