"""SavedModel exports, checked the way TF Serving loads them (TensorFlow-only processes)."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from ahns_tf.export import (RetrievalServingModule, existing_versions, export_retrieval_model,
                            write_model_config)
from test_end_to_end import run_tf_only

NUM_USERS, NUM_ITEMS, DIM, K = 7, 25, 4, 5


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    rng = np.random.default_rng(0)
    users = rng.normal(size=(NUM_USERS, DIM)).astype(np.float32)
    items = rng.normal(size=(NUM_ITEMS, DIM)).astype(np.float32)
    # user 3 has seen at least 21 of 25 items (fewer unseen than K); user 6 has seen nothing
    # (a cold user: served like an unknown id)
    train = [(u, i) for u in range(6) for i in rng.choice(NUM_ITEMS, 4, replace=False)]
    train += [(3, i) for i in range(21)]
    train = sorted(set(train))
    exclude = (np.array([u for u, _ in train]), np.array([i for _, i in train]))
    root = tmp_path_factory.mktemp("models")
    module = RetrievalServingModule(users, items, exclude, k=K)
    path = export_retrieval_model(module, str(root / "toy"))
    return path, users, items, train


def test_layout_version_and_models_config(exported):
    path, *_ = exported
    base = os.path.dirname(path)
    assert os.path.basename(path) == "1" and existing_versions(base) == [1]
    with open(os.path.join(os.path.dirname(base), "models.config")) as f:
        config = f.read()
    assert "name: 'toy'" in config and "base_path: '/models/toy'" in config
    assert config.startswith("model_config_list {")


@pytest.mark.slow
def test_top_k_equals_numpy_brute_force_and_never_returns_training_items(exported):
    path, users, items, train = exported
    out = run_tf_only("""
        import json, sys
        import tensorflow as tf
        fn = tf.saved_model.load(sys.argv[1]).signatures["serving_default"]
        res = fn(user_id=tf.range(7, dtype=tf.int64))
        print(json.dumps([res["item_ids"].numpy().tolist(), res["scores"].numpy().tolist()]))
    """, path)
    got_ids, got_scores = json.loads(out)
    for u in range(NUM_USERS - 1):  # user 6 is cold: test_cold_and_unknown_users_...
        seen = [i for uu, i in train if uu == u]
        scores = users[u] @ items.T
        scores[seen] = -np.inf
        expected = np.argsort(-scores, kind="stable")[:K]
        expected[np.isinf(scores[expected])] = -1  # documented padding: fewer than K unseen
        assert got_ids[u] == expected.tolist()
        assert not set(got_ids[u]) & set(seen)
        np.testing.assert_allclose(got_scores[u], scores[np.argsort(-scores, kind="stable")[:K]],
                                   rtol=1e-5)
    assert got_ids[3][-1] == -1 and got_scores[3][-1] == -np.inf


@pytest.mark.slow
def test_score_and_embedding_signatures(exported):
    path, users, items, _ = exported
    out = run_tf_only("""
        import json, sys
        import tensorflow as tf
        m = tf.saved_model.load(sys.argv[1])
        s = m.signatures["score"](user_id=tf.constant([1, 99], tf.int64),
                                  item_ids=tf.constant([[0, 3], [0, 1]], tf.int64))["scores"]
        e = m.signatures["user_embedding"](user_id=tf.constant([2, -5], tf.int64))
        i = m.signatures["item_embedding"](item_id=tf.constant([4], tf.int64))
        print(json.dumps([s.numpy().tolist(), e["embedding"].numpy().tolist(),
                          e["known_user"].numpy().tolist(), i["embedding"].numpy().tolist()]))
    """, path)
    scores, user_emb, known, item_emb = json.loads(out.replace("NaN", "null"))
    np.testing.assert_allclose(scores[0], [users[1] @ items[0], users[1] @ items[3]], rtol=1e-5)
    assert scores[1] == [None, None]  # unknown user -> NaN
    np.testing.assert_allclose(user_emb[0], users[2], rtol=1e-6)
    assert user_emb[1] == [0.0] * DIM and known == [True, False]
    np.testing.assert_allclose(item_emb[0], items[4], rtol=1e-6)


# TensorFlow's own tool, from the interpreter's environment even when it is not activated.
SAVED_MODEL_CLI = (shutil.which("saved_model_cli", path=os.path.dirname(sys.executable))
                   or shutil.which("saved_model_cli"))


def _cli(*args):
    env = {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    out = subprocess.run([SAVED_MODEL_CLI, *args], capture_output=True, text=True, env=env,
                         timeout=300, cwd="/")
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


@pytest.mark.slow
@pytest.mark.skipif(SAVED_MODEL_CLI is None, reason="saved_model_cli not found")
def test_saved_model_cli_show_lists_the_documented_signatures(exported):
    text = _cli("show", "--dir", exported[0], "--all")
    for name in ("serving_default", "score", "user_embedding", "item_embedding"):
        assert f"signature_def['{name}']" in text
    default = text.split("signature_def['serving_default']")[1].split("signature_def[")[0]
    assert "inputs['user_id'] tensor_info:\n        dtype: DT_INT64\n        shape: (-1)" in default
    assert "outputs['item_ids'] tensor_info:\n        dtype: DT_INT64\n        shape: (-1, 5)" in default
    assert "outputs['scores'] tensor_info:\n        dtype: DT_FLOAT\n        shape: (-1, 5)" in default
    assert "outputs['known_user'] tensor_info:\n        dtype: DT_BOOL\n        shape: (-1)" in default


@pytest.mark.slow
@pytest.mark.skipif(SAVED_MODEL_CLI is None, reason="saved_model_cli not found")
def test_saved_model_cli_run_answers_a_request(exported):
    path, users, items, train = exported
    text = _cli("run", "--dir", path, "--tag_set", "serve", "--signature_def", "serving_default",
                "--input_exprs", "user_id=[0]")
    scores = users[0] @ items.T
    scores[[i for u, i in train if u == 0]] = -np.inf
    expected = np.argsort(-scores, kind="stable")[:K]
    assert "Result for output key item_ids:" in text
    got = text.split("Result for output key item_ids:")[1].split("Result")[0]
    assert [int(x) for x in got.replace("[", " ").replace("]", " ").split()] == expected.tolist()


@pytest.mark.slow
def test_predict_request_proto_matches_the_signature_and_is_answered(exported):
    path, users, items, train = exported
    out = run_tf_only("""
        import json, sys
        import tensorflow as tf
        from tensorflow_serving.apis import predict_pb2
        from tensorflow.python.tools import saved_model_utils
        signature = saved_model_utils.get_meta_graph_def(sys.argv[1], "serve") \\
            .signature_def["serving_default"]
        request = predict_pb2.PredictRequest()
        request.model_spec.name = "toy"
        request.model_spec.signature_name = "serving_default"
        request.inputs["user_id"].CopyFrom(tf.make_tensor_proto([0, 6], dtype=tf.int64))
        request = predict_pb2.PredictRequest.FromString(request.SerializeToString())
        assert set(request.inputs) == set(signature.inputs), (request.inputs, signature.inputs)
        for key, proto in request.inputs.items():
            assert proto.dtype == signature.inputs[key].dtype
        # Serve it as TF Serving would: protos in, the signature's named outputs out.
        fn = tf.saved_model.load(sys.argv[1]).signatures[request.model_spec.signature_name]
        outputs = fn(**{k: tf.constant(tf.make_ndarray(v)) for k, v in request.inputs.items()})
        assert set(outputs) == set(signature.outputs)
        print(json.dumps(outputs["item_ids"].numpy().tolist()))
    """, path)
    got = json.loads(out)
    scores = users[0] @ items.T
    scores[[i for u, i in train if u == 0]] = -np.inf
    assert got[0] == np.argsort(-scores, kind="stable")[:K].tolist()
    assert got[1] == _most_popular(train, K)  # user 6 is cold


def _most_popular(train, k):
    """Independent popularity ranking: count, then break ties by the smaller id."""
    counts = {}
    for _, i in train:
        counts[i] = counts.get(i, 0) + 1
    return sorted(counts, key=lambda i: (-counts[i], i))[:k]


@pytest.mark.slow
def test_cold_and_unknown_users_get_the_popularity_fallback_everywhere(exported):
    path, users, items, train = exported
    out = run_tf_only("""
        import json, sys
        import tensorflow as tf
        m = tf.saved_model.load(sys.argv[1])
        ids = tf.constant([6, 0, 7, -1], tf.int64)   # cold, known, out of range, negative
        top = m.signatures["serving_default"](user_id=ids)
        s = m.signatures["score"](user_id=ids, item_ids=tf.constant([[1, 2]] * 4, tf.int64))
        e = m.signatures["user_embedding"](user_id=ids)
        print(json.dumps([top["item_ids"].numpy().tolist(), top["scores"].numpy().tolist(),
                          top["known_user"].numpy().tolist(), s["scores"].numpy().tolist(),
                          e["embedding"].numpy().tolist(), e["known_user"].numpy().tolist()]))
    """, path)
    ids, scores, known, score, emb, emb_known = json.loads(out.replace("NaN", "null"))
    popular = _most_popular(train, K)
    share = [sum(1 for _, i in train if i == p) / len(train) for p in popular]
    assert known == emb_known == [False, True, False, False]
    for row in (0, 2, 3):
        assert ids[row] == popular
        np.testing.assert_allclose(scores[row], share, rtol=1e-6)
        assert score[row] == [None, None] and emb[row] == [0.0] * DIM
    np.testing.assert_allclose(score[1], [users[0] @ items[1], users[0] @ items[2]], rtol=1e-5)


def test_interrupted_export_leaves_no_version_folder(tmp_path, monkeypatch):
    module = RetrievalServingModule(np.ones((2, 2)), np.ones((3, 2)), ([0], [1]), k=2)
    real_save = tf.saved_model.save

    def crash(obj, export_dir, signatures=None):
        real_save(obj, export_dir, signatures=signatures)  # files are written...
        raise KeyboardInterrupt("killed before the rename")  # ...then the process dies

    monkeypatch.setattr(tf.saved_model, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        export_retrieval_model(module, str(tmp_path / "m"))
    assert os.listdir(tmp_path / "m") == []


def test_export_versions_increase_and_existing_version_is_refused(tmp_path):
    module = RetrievalServingModule(np.ones((2, 2)), np.ones((3, 2)), ([0], [1]), k=2)
    assert export_retrieval_model(module, str(tmp_path / "m")).endswith(os.sep + "1")
    assert export_retrieval_model(module, str(tmp_path / "m")).endswith(os.sep + "2")
    with pytest.raises(FileExistsError, match="already exists"):
        export_retrieval_model(module, str(tmp_path / "m"), version=2)
    with pytest.raises(ValueError, match=r"k must be in \[1, 3\]"):
        RetrievalServingModule(np.ones((2, 2)), np.ones((3, 2)), ([0], [1]), k=4)
    write_model_config(str(tmp_path))
    assert "name: 'm'" in (tmp_path / "models.config").read_text()


@pytest.mark.slow
def test_a_user_only_in_the_validation_file_is_cold_when_served(tmp_path):
    from ahns_tf.config import TrainConfig
    from ahns_tf.data import Interactions, build_dataset
    from ahns_tf.training import export_run
    data = build_dataset("v", Interactions.from_pairs([0, 0, 1], [0, 1, 2]),
                         Interactions.from_pairs([3], [3]),
                         valid=Interactions.from_pairs([2], [4]))   # user 2: validation only
    rng = np.random.default_rng(3)
    users = rng.normal(size=(data.num_users, 2)).astype(np.float32)
    items = rng.normal(size=(data.num_items, 2)).astype(np.float32)
    config = TrainConfig(dataset="v", top_k=2, ks=(1,), select_metric="recall@1").resolved()
    path = export_run(config, data, users, items, export_dir=str(tmp_path / "v"))
    out = run_tf_only("""
        import json, sys
        import tensorflow as tf
        m = tf.saved_model.load(sys.argv[1])
        res = m.signatures["serving_default"](user_id=tf.constant([0, 1, 2, 3], tf.int64))
        print(json.dumps(res["known_user"].numpy().tolist()))
    """, path)
    assert json.loads(out) == [True, True, False, False]   # only users 0 and 1 were trained


@pytest.mark.parametrize("chunk", [5, 7, 24])
def test_serving_in_item_chunks_equals_the_dense_answer(exported, tmp_path, chunk):
    path, users, items, train = exported
    exclude = (np.array([u for u, _ in train]), np.array([i for _, i in train]))
    module = RetrievalServingModule(users, items, exclude, k=K, item_chunk=chunk)
    got = module.top_k(tf.range(NUM_USERS, dtype=tf.int64))
    for u in range(NUM_USERS - 1):
        scores = users[u] @ items.T
        scores[[i for uu, i in train if uu == u]] = -np.inf
        expected = np.argsort(-scores, kind="stable")[:K]
        expected[np.isinf(scores[expected])] = -1
        assert got["item_ids"].numpy()[u].tolist() == expected.tolist()
    with pytest.raises(ValueError, match="item_chunk must be >= k"):
        RetrievalServingModule(users, items, exclude, k=K, item_chunk=K - 1)


@pytest.mark.parametrize("budget", [2**26, 3 * K])
def test_default_chunk_follows_each_requests_batch_and_equals_the_dense_answer(
        exported, monkeypatch, budget):
    # The default chunk is SCORE_BUDGET // batch (at least K): with a budget of 3K, a request
    # of all users scores K items at a time and a single user 3K; both equal dense ranking.
    from ahns_tf.export import serving
    monkeypatch.setattr(serving, "SCORE_BUDGET", budget)
    path, users, items, train = exported
    exclude = (np.array([u for u, _ in train]), np.array([i for _, i in train]))
    module = RetrievalServingModule(users, items, exclude, k=K)
    assert module.item_chunk is None
    together = module.top_k(tf.range(NUM_USERS, dtype=tf.int64))["item_ids"].numpy()
    for u in range(NUM_USERS - 1):
        scores = users[u] @ items.T
        scores[[i for uu, i in train if uu == u]] = -np.inf
        expected = np.argsort(-scores, kind="stable")[:K]
        expected[np.isinf(scores[expected])] = -1
        alone = module.top_k(tf.constant([u], tf.int64))["item_ids"].numpy()[0]
        assert together[u].tolist() == expected.tolist() == alone.tolist()
