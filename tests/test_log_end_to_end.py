"""A CSV and a Parquet log with string ids train end to end; the SavedModel speaks raw ids.

The SavedModel is checked in TensorFlow-only processes (as TF Serving loads it)
against a numpy brute force over the run's embeddings, with the rows, the
split and the popularity worked out here from the log itself.
"""

import json
import os

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ahns_tf.config import TrainConfig
from ahns_tf.training import train
from test_end_to_end import run_tf_only
from test_export import SAVED_MODEL_CLI, _cli

K = 5


def _log(seed=0, num_users=24, num_items=30, per_user=7):
    """Rows (user, item, time): users 'u-00'.., items 'item/7' (text with odd characters)."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(num_users):
        for t, i in enumerate(rng.choice(num_items, per_user, replace=False)):
            rows.append((f"u-{u:02d}", f"item/{i}", int(rng.integers(0, 1000)) * 10 + t))
    return rows


def _config(tmp, name, data_file, **kw):
    settings = dict(dataset=name, data_file=data_file, epochs=2, eval_every=1, ks=(5,),
                    select_metric="recall@5", batch_size=32, num_candidates=4, top_k=K,
                    output_dir=str(tmp / "run"), export_dir=str(tmp / "models" / name),
                    steps_per_execution=2)
    return TrainConfig(**dict(settings, **kw))


@pytest.fixture(scope="module")
def csv_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("csv")
    rows = _log()
    path = tmp / "log.csv"
    path.write_text("user_id,item_id,timestamp\n" +
                    "".join(f'{u},"{i}",{t}\n' for u, i, t in rows))
    result = train(_config(tmp, "mylog", str(path), split="leave_one_out"), verbose=0)
    return result, tmp, rows


def _expected_leave_one_out(rows):
    """Part per row: each user's latest (time, then row) is test, the one before valid."""
    parts = ["train"] * len(rows)
    for user in {u for u, _, _ in rows}:
        mine = sorted((t, r) for r, (u, _, t) in enumerate(rows) if u == user)
        parts[mine[-1][1]], parts[mine[-2][1]] = "test", "valid"
    return parts


@pytest.mark.slow
def test_split_saved_with_the_run_is_leave_one_out(csv_run):
    _, tmp, rows = csv_run
    split = pq.read_table(tmp / "run" / "split.parquet").to_pydict()
    assert split["row"] == list(range(len(rows)))  # every interaction once, in file order
    assert split["user_id"] == [u for u, _, _ in rows]
    assert split["item_id"] == [i for _, i, _ in rows]
    assert split["part"] == _expected_leave_one_out(rows)
    vocab = json.loads((tmp / "run" / "vocabulary.json").read_text())
    assert vocab["user_ids"] == sorted({u for u, _, _ in rows})
    assert vocab["item_ids"] == sorted({i for _, i, _ in rows})


def _brute_force(tmp, rows, user, extra=()):
    """Expected raw item ids and scores for `user`, from embeddings.npz and the log."""
    tables = np.load(tmp / "run" / "embeddings.npz")
    users, items = sorted({u for u, _, _ in rows}), sorted({i for _, i, _ in rows})
    parts = _expected_leave_one_out(rows)
    seen = {i for (u, i, _), p in zip(rows, parts) if u == user and p != "test"}
    scores = tables["user_embeddings"][users.index(user)] @ tables["item_embeddings"].T
    for j, item in enumerate(items):
        if item in seen or item in extra:
            scores[j] = -np.inf
    top = np.argsort(-scores, kind="stable")[:K]
    return [items[j] for j in top], scores[top].tolist(), seen


def _popular(rows, extra=()):
    """Most popular items over train + valid interactions, ties by row (text order)."""
    parts = _expected_leave_one_out(rows)
    items = sorted({i for _, i, _ in rows})
    counts = np.array([sum(1 for (_, i, _), p in zip(rows, parts) if i == item and p != "test")
                       for item in items], np.float64)
    share = counts / counts.sum()
    share[[j for j, item in enumerate(items) if item in extra]] = -np.inf
    top = np.argsort(-share, kind="stable")[:K]
    return [items[j] for j in top], share[top].tolist()


_QUERY = """
    import json, sys
    import tensorflow as tf
    m = tf.saved_model.load(sys.argv[1])
    users = json.loads(sys.argv[2])
    out = m.signatures["serving_default"](user_id=tf.constant(users))
    exclude = json.loads(sys.argv[3])
    ex = m.signatures["top_k_excluding"](user_id=tf.constant(users), exclude=tf.constant(exclude))
    score = m.signatures["score"](user_id=tf.constant(users[:1]),
                                  item_ids=tf.constant([["item/3", "no such item"]]))
    res = lambda r: [[[b.decode() for b in row] for row in r["item_ids"].numpy()],
                     r["scores"].numpy().tolist(), r["known_user"].numpy().tolist()]
    print(json.dumps([res(out), res(ex), score["scores"].numpy().tolist()]).replace("NaN", "null"))
"""


@pytest.mark.slow
def test_saved_model_maps_raw_ids_and_honours_exclude_in_a_tf_only_process(csv_run):
    result, tmp, rows = csv_run
    users = ["u-03", "u-17", "nobody"]
    # row 0: exclude the two best unseen items, a training item (no effect) and padding;
    # row 1: padding only; row 2 (unknown user): the most popular item and an unknown id.
    best, _, seen = _brute_force(tmp, rows, "u-03")
    popular, _ = _popular(rows)
    exclude = [[best[0], best[1], sorted(seen)[0]], ["", "", ""], [popular[0], "zzz", ""]]
    out = json.loads(run_tf_only(_QUERY, result["export_path"], json.dumps(users),
                                 json.dumps(exclude)))
    (ids, scores, known), (ex_ids, ex_scores, ex_known), score = out
    assert known == [True, True, False] and ex_known == known
    for row, user in enumerate(users[:2]):
        want_ids, want_scores, seen = _brute_force(tmp, rows, user)
        assert ids[row] == want_ids and not set(ids[row]) & seen
        np.testing.assert_allclose(scores[row], want_scores, rtol=1e-5)
    assert ex_ids[0] == _brute_force(tmp, rows, "u-03", exclude[0])[0]
    assert not set(ex_ids[0]) & (set(exclude[0]) | seen)
    assert ex_ids[1] == ids[1]
    want_ids, want_share = _popular(rows)
    assert ids[2] == want_ids and np.allclose(scores[2], want_share)
    assert ex_ids[2] == _popular(rows, {popular[0]})[0]
    tables = np.load(tmp / "run" / "embeddings.npz")
    u, i = sorted({u for u, _, _ in rows}).index("u-03"), sorted({i for _, i, _ in rows}).index(
        "item/3")
    assert score[0][0] == pytest.approx(float(tables["user_embeddings"][u] @
                                              tables["item_embeddings"][i]), rel=1e-5)
    assert score[0][1] is None  # unknown item -> NaN


@pytest.mark.slow
@pytest.mark.skipif(SAVED_MODEL_CLI is None, reason="saved_model_cli not found")
def test_saved_model_cli_shows_string_signatures(csv_run):
    text = _cli("show", "--dir", csv_run[0]["export_path"], "--all")
    for name in ("serving_default", "top_k_excluding", "score", "user_embedding",
                 "item_embedding"):
        assert f"signature_def['{name}']" in text
    default = text.split("signature_def['serving_default']")[1].split("signature_def[")[0]
    assert "inputs['user_id'] tensor_info:\n        dtype: DT_STRING\n        shape: (-1)" in default
    assert f"outputs['item_ids'] tensor_info:\n        dtype: DT_STRING\n        shape: (-1, {K})" \
        in default
    excluding = text.split("signature_def['top_k_excluding']")[1].split("signature_def[")[0]
    assert "inputs['exclude'] tensor_info:\n        dtype: DT_STRING\n        shape: (-1, -1)" \
        in excluding


@pytest.mark.slow
def test_predict_request_with_string_ids_is_answered(csv_run):
    out = run_tf_only("""
        import sys
        import tensorflow as tf
        from tensorflow_serving.apis import predict_pb2
        request = predict_pb2.PredictRequest()
        request.model_spec.signature_name = "serving_default"
        request.inputs["user_id"].CopyFrom(tf.make_tensor_proto(["u-05"], dtype=tf.string))
        request = predict_pb2.PredictRequest.FromString(request.SerializeToString())
        fn = tf.saved_model.load(sys.argv[1]).signatures["serving_default"]
        out = fn(**{k: tf.constant(tf.make_ndarray(v)) for k, v in request.inputs.items()})
        print(out["item_ids"].numpy()[0][0].decode(), bool(out["known_user"].numpy()[0]))
    """, csv_run[0]["export_path"])
    assert out.split()[1] == "True" and out.split()[0].startswith("item/")


@pytest.mark.slow
def test_parquet_log_with_integer_ids_trains_and_serves_them_as_text(tmp_path):
    rows = _log(seed=1, num_users=12, num_items=15, per_user=5)
    path = tmp_path / "log.parquet"
    pq.write_table(pa.table({"uid": [int(u[2:]) * 7 for u, _, _ in rows],
                             "item": [int(i[5:]) + 100 for _, i, _ in rows]}), path)
    config = _config(tmp_path, "pq", str(path), user_col="uid", item_col="item", epochs=1)
    result = train(config, verbose=0)
    assert result["dataset"]["num_users"] == 12 and result["dataset"]["num_items"] == 15
    out = run_tf_only("""
        import sys
        import tensorflow as tf
        fn = tf.saved_model.load(sys.argv[1]).signatures["serving_default"]
        print(" ".join(b.decode() for b in fn(user_id=tf.constant(["7"]))["item_ids"].numpy()[0]))
    """, result["export_path"])
    history = {str(i + 100) for u, i, _ in
               ((int(u[2:]) * 7, int(i[5:]), t) for u, i, t in rows) if u == 7}
    returned = out.split()
    assert len(returned) == K and set(returned) <= {str(int(i[5:]) + 100) for _, i, _ in rows}
    split = pq.read_table(tmp_path / "run" / "split.parquet").to_pydict()
    train_items = {i for u, i, p in zip(split["user_id"], split["item_id"], split["part"])
                   if u == "7" and p != "test"}
    assert train_items <= history and not set(returned) & train_items


@pytest.mark.slow
def test_export_again_needs_only_the_run_folder(csv_run):
    from pipelines.export import main as export_main  # pylint: disable=import-outside-toplevel
    result, tmp, _ = csv_run
    hidden = tmp / "log.csv.moved"
    os.rename(tmp / "log.csv", hidden)  # the log is gone: vocabulary and split come from the run
    try:
        assert export_main(["--run-dir", str(tmp / "run")]) == 0
    finally:
        os.rename(hidden, tmp / "log.csv")
    query = """
        import sys
        import tensorflow as tf
        fn = tf.saved_model.load(sys.argv[1]).signatures["serving_default"]
        print(fn(user_id=tf.constant(["u-01", "u-20"]))["item_ids"].numpy().tolist())
    """
    again = os.path.join(os.path.dirname(result["export_path"]), "2")
    assert run_tf_only(query, again) == run_tf_only(query, result["export_path"])


@pytest.mark.slow
def test_resuming_after_the_log_changed_is_refused(tmp_path):
    from ahns_tf.runs import RunConflictError  # pylint: disable=import-outside-toplevel
    from conftest import InterruptBefore, Interrupted  # pylint: disable=import-outside-toplevel
    rows = _log(seed=2, num_users=10, num_items=12, per_user=4)
    path = tmp_path / "log.csv"
    path.write_text("user_id,item_id,timestamp\n" + "".join(f"{u},{i},{t}\n" for u, i, t in rows))
    config = _config(tmp_path, "grow", str(path), epochs=3)
    with pytest.raises(Interrupted):
        train(config, export=False, verbose=0, callbacks=[InterruptBefore(1)])
    with open(path, "a") as f:
        f.write("u-new,item/1,5\n")
    with pytest.raises(RunConflictError, match="no longer gives the vocabulary and split"):
        train(config, export=False, verbose=0)


@pytest.mark.slow
def test_the_readme_command_trains_on_a_log_in_the_readme_format(tmp_path, monkeypatch):
    from pipelines.train import main  # pylint: disable=import-outside-toplevel
    readme = open(os.path.join(os.path.dirname(os.path.dirname(__file__)), "README.md")).read()
    command = next(line for line in readme.split("## Your own data")[1].splitlines()
                   if line.startswith("python -m pipelines.train"))
    assert command == ("python -m pipelines.train --dataset mylog --data-file mylog.csv "
                       "--split leave_one_out")
    rng = np.random.default_rng(4)
    lines = ["user_id,item_id,timestamp,rating"]
    for u in range(20):
        for d, i in enumerate(rng.choice(60, 6, replace=False)):
            lines.append(f"user-{u},B{i:06d},2024-03-{d + 1:02d} 10:0{u % 10}:00,{d % 5 + 1}")
    (tmp_path / "mylog.csv").write_text("\n".join(lines) + "\n")
    monkeypatch.chdir(tmp_path)
    # the README's flags, plus one epoch to keep the test short
    assert main(command.split()[3:] + ["--epochs", "1", "--eval-every", "1"]) == 0
    assert (tmp_path / "runs" / "mylog-ahns" / "split.parquet").exists()
    assert (tmp_path / "saved_models" / "mylog" / "1" / "saved_model.pb").exists()
