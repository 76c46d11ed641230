"""Feature towers: feature files read and checked, towers trained with every sampler, and new
items served from their features without retraining."""

import json
import os

import numpy as np
import pytest

from ahns_tf.config import TrainConfig
from ahns_tf.data.features import encode_features, fit_features
from ahns_tf.data.interactions import DataFormatError
from ahns_tf.registry import SAMPLERS
from ahns_tf.training import train


def _write(path, text):
    path.write_text(text)
    return str(path)


@pytest.fixture
def genres(tmp_path):
    """20 rock and 20 jazz items; users 0-19 listen to 15 rock items each, 20-39 to jazz."""
    rng = np.random.default_rng(0)
    rows, t = ["user_id,item_id,timestamp"], 0
    for u in range(40):
        genre = "rock" if u < 20 else "jazz"
        for i in rng.choice(20, 15, replace=False):
            t += 1
            rows.append(f"u{u},{genre}-{i},{t}")
    log = _write(tmp_path / "log.csv", "\n".join(rows) + "\n")
    items = _write(tmp_path / "items.csv", "item_id,genre\n" + "".join(
        f"{g}-{i},{g}\n" for g in ("rock", "jazz") for i in range(20)))
    return tmp_path, log, items


def _config(tmp_path, log, **kw):
    return TrainConfig(**dict(dict(
        dataset="tw", data_file=log, backbone="towers", epochs=30, eval_every=10, ks=(5,),
        select_metric="recall@5", top_k=10, batch_size=64, lr=0.01, dim=16, num_candidates=4,
        select_on="test", output_dir=str(tmp_path / "run"),
        export_dir=str(tmp_path / "models" / "tw")), **kw))


def test_numbers_read_as_text_are_numbers_and_mixed_codes_are_categories(tmp_path):
    # ML-100K's items.csv has empty years, so the column is read as text; its zip codes mix
    # digits and letters.
    path = _write(tmp_path / "items.csv", "item_id,year,zip\na,1995,85711\nb,,T8H1N\nc,1990,"
                  "02139\n")
    spec, _ = fit_features(path, "item_id", "item", train_ids=["a", "b", "c"])
    assert {c.name: c.kind for c in spec.columns} == {"year": "number", "zip": "category"}


def test_kinds_are_inferred_and_printed_and_vocabularies_come_from_training_ids(tmp_path,
                                                                             capsys):
    path = _write(tmp_path / "items.csv", "item_id,genres,year,title\n"
                  "a,Comedy|Drama,1995,The big day\nb,Horror,2001,A night\n"
                  "c,Western,1990,Only in test\n")
    spec, table = fit_features(path, "item_id", "item", train_ids=["a", "b"])
    assert "genres: multi (|)" in capsys.readouterr().out
    kinds = {c.name: c.kind for c in spec.columns}
    assert kinds == {"genres": "multi", "year": "number", "title": "text"}
    genres = next(c for c in spec.columns if c.name == "genres")
    assert genres.vocabulary == ("Comedy", "Drama", "Horror")      # no test-only "Western"
    matrix = encode_features(spec, table, ["a", "c", "z"])          # z: no row in the file
    assert matrix.has_features.tolist() == [True, True, False]
    offset = spec.offsets[0]
    c_genre = [t for t, w in zip(matrix.tokens[1], matrix.weights[1]) if w][0]
    assert c_genre == offset + 1                                    # "Western": unknown token


@pytest.mark.parametrize("text, message", [
    ("id,genre\na,rock\n", r"no id column 'item_id'"),
    ("item_id,genre\na,rock\na,jazz\n", r"items.csv:3: id 'a' has a second row"),
    ("item_id,year\na,1995\nb,V\n", r"items.csv:3: column 'year' holds numbers"),
])
def test_a_bad_feature_file_names_the_file_line_and_value(tmp_path, text, message):
    path = _write(tmp_path / "items.csv", text)
    with pytest.raises(DataFormatError, match=message):
        fit_features(path, "item_id", "item", train_ids=["a"],
                     kinds="year=number" if "year" in text else None)


def test_feature_flags_need_towers_and_a_log_with_raw_ids():
    with pytest.raises(ValueError, match="--item-features goes with --backbone towers"):
        TrainConfig(data_file="log.csv", item_features="items.csv").resolved()
    with pytest.raises(ValueError, match="and the text format"):
        TrainConfig(backbone="towers", item_features="items.csv").resolved()
    with pytest.raises(ValueError, match="--user-feature-kinds declares the columns"):
        TrainConfig(data_file="log.csv", backbone="towers", user_feature_kinds="age=number")\
            .resolved()


def test_towers_without_feature_files_train_what_mf_trains_to_the_bit(genres):
    tmp_path, log, _ = genres
    results = [train(_config(tmp_path / name, log, backbone=name, epochs=4, eval_every=2),
                     export=False, verbose=0) for name in ("mf", "towers")]
    assert results[0]["test"] == results[1]["test"]
    tables = [np.load(tmp_path / name / "run" / "embeddings.npz") for name in ("mf", "towers")]
    np.testing.assert_array_equal(tables[0]["item_embeddings"], tables[1]["item_embeddings"])


@pytest.mark.slow
@pytest.mark.parametrize("sampler", sorted(SAMPLERS.names()))
def test_every_sampler_trains_on_towers(genres, sampler):
    tmp_path, log, items = genres
    result = train(_config(tmp_path, log, sampler=sampler, item_features=items, epochs=2,
                           eval_every=2, num_candidates=None if sampler == "ssm" else 4),
                   export=False, verbose=0)
    assert 0 <= result["test"]["recall@5"] <= 1 and np.isfinite(result["history"][-1]["loss"])


@pytest.mark.slow
def test_a_new_item_is_served_to_the_users_its_features_match(genres):
    from test_end_to_end import run_tf_only
    from pipelines.export import main as export
    tmp_path, log, items = genres
    # "ghost": u0's last item, so only in the test part, and without features: never served.
    with open(log, "a") as f:
        f.write("u0,ghost,99999\n")
    result = train(_config(tmp_path, log, item_features=items, split="leave_one_out"),
                   verbose=0)
    new = _write(tmp_path / "new.csv", "item_id,genre\nnew-rock,rock\nnew-jazz,jazz\n")
    assert export(["--run-dir", str(tmp_path / "run"), "--item-features", new]) == 0
    version = os.path.join(os.path.dirname(result["export_path"]), "2")
    served = json.loads(run_tf_only("""
        import json, sys
        import tensorflow as tf
        model = tf.saved_model.load(sys.argv[1])
        users = [f"u{u}" for u in range(40)]
        out = model.signatures["serving_default"](user_id=tf.constant(users))
        emb = model.signatures["item_embedding"](item_id=tf.constant(["new-rock", "zzz",
                                                                      "ghost", "rock-1"]))
        print(json.dumps({"items": [[i.decode() for i in row] for row in out["item_ids"].numpy()],
                          "known": emb["known_item"].numpy().tolist()}))
    """, version))
    import pyarrow.parquet as pq
    trained = {}
    for row in pq.read_table(tmp_path / "run" / "split.parquet").to_pylist():
        if row["part"] != "test":                                  # the training interactions
            trained.setdefault(row["user_id"], set()).add(row["item_id"])
    for u, row in enumerate(served["items"]):
        assert not trained[f"u{u}"] & set(row)                     # never a training item
        mine, other = ("new-rock", "new-jazz") if u < 20 else ("new-jazz", "new-rock")
        assert mine in row                                         # the matching new item,
        assert other not in row or row.index(mine) < row.index(other)   # above the other one
        assert "ghost" not in row
    assert served["known"] == [True, False, False, True]


@pytest.mark.slow
def test_a_user_with_features_but_no_history_is_answered_from_the_user_tower(genres):
    from test_end_to_end import run_tf_only
    from pipelines.export import main as export
    tmp_path, log, items = genres
    users = _write(tmp_path / "users.csv", "user_id,taste\n" + "".join(
        f"u{u},{'rock' if u < 20 else 'jazz'}\n" for u in range(40)))
    train(_config(tmp_path, log, item_features=items, user_features=users), verbose=0)
    new = _write(tmp_path / "new_users.csv", "user_id,taste\nfan,rock\n")
    assert export(["--run-dir", str(tmp_path / "run"), "--user-features", new]) == 0
    served = json.loads(run_tf_only("""
        import json, sys
        import tensorflow as tf
        model = tf.saved_model.load(sys.argv[1])
        out = model.signatures["serving_default"](user_id=tf.constant(["fan", "u0", "nobody"]))
        print(json.dumps({"items": [[i.decode() for i in row] for row in out["item_ids"].numpy()],
                          "known": out["known_user"].numpy().tolist(),
                          "features": out["from_features"].numpy().tolist()}))
    """, os.path.join(str(tmp_path / "models" / "tw"), "2")))
    assert served["known"] == [False, True, False]
    assert served["features"] == [True, False, False]             # the new fan: from features
    assert sum(i.startswith("rock") for i in served["items"][0]) >= 8   # rock, as its taste


def test_the_tuner_searches_towers_from_a_config_file_of_the_log_and_its_features(genres,
                                                                                  capsys):
    from tuning.search import main
    tmp_path, log, items = genres
    base = _write(tmp_path / "base.json", json.dumps(
        {"data_file": log, "item_features": items, "split": "random", "lr": 0.01, "dim": 8}))
    directory = str(tmp_path / "search")
    args = ["--dataset", "tw", "--config", base, "--backbone", "towers", "--tuner", "random",
            "--max-trials", "1", "--epochs-per-trial", "1", "--eval-every", "1", "--ks", "5",
            "--objective", "ndcg@5", "--batch-size", "64", "--directory", directory]
    assert main(args) == 0
    best = json.loads(open(os.path.join(directory, "tw", "best.json")).read())
    assert (best["data_file"], best["item_features"], best["lr"]) == (log, items, 0.01)
    runs = [os.path.join(d, "run", "metrics.json") for d, _, files in os.walk(directory)
            if "trial.json" in files]
    config = json.loads(open(runs[0]).read())["config"]
    assert (config["backbone"], config["item_features"], config["lr"]) == ("towers", items, 0.01)
    # The file's content is a setting: an edited file does not resume the search.
    _write(tmp_path / "base.json", json.dumps({"data_file": log, "item_features": items,
                                               "split": "random", "lr": 0.02, "dim": 8}))
    capsys.readouterr()
    assert main(args) == 2 and "--config" in capsys.readouterr().err


@pytest.mark.slow
def test_the_documented_new_item_flow_on_movielens_100k(ml100k, tmp_path, monkeypatch):
    # docs/features.md, shortened to 3 epochs: train towers on the log and both feature files,
    # export a CSV of new items, and ask the new version about them in a TensorFlow-only process.
    from test_end_to_end import run_tf_only
    from pipelines.export import main as export
    from pipelines.train import main as train_cli
    monkeypatch.chdir(tmp_path)
    assert train_cli(["--dataset", "ml100k", "--data-file", f"{ml100k}/ratings.csv",
                      "--item-features", f"{ml100k}/items.csv", "--user-features",
                      f"{ml100k}/users.csv", "--backbone", "towers", "--split", "random",
                      "--lr", "0.005", "--epochs", "3", "--eval-every", "3"]) == 0
    _write(tmp_path / "new_items.csv", "item_id,title,year,genres\n"
           "new-1,Night of the Star Crawlers,1998,Horror|Sci-Fi\n"
           "new-2,A Summer Wedding,1998,Comedy|Romance\n")
    assert export(["--run-dir", "runs/ml100k-ahns", "--item-features", "new_items.csv"]) == 0
    got = json.loads(run_tf_only("""
        import json, sys
        import tensorflow as tf
        model = tf.saved_model.load(sys.argv[1])
        scores = model.signatures["score"](user_id=tf.constant(["366", "366"]),
                                           item_ids=tf.constant([["new-1", "new-2"],
                                                                 ["new-3", "1"]]))["scores"]
        known = model.signatures["item_embedding"](item_id=tf.constant(["new-1", "new-3"]))
        print(json.dumps({"scores": scores.numpy().tolist(),
                          "known": known["known_item"].numpy().tolist()}))
    """, str(tmp_path / "saved_models" / "ml100k" / "2")))
    assert all(np.isfinite(got["scores"][0])) and np.isnan(got["scores"][1][0])  # new-3: none
    assert np.isfinite(got["scores"][1][1]) and got["known"] == [True, False]


def test_vocabularies_come_from_the_training_split_when_the_data_is_loaded(tmp_path):
    # Through load_data, as a run reads its data: "western" is the genre of the one item that
    # only a test interaction has (leave_one_out: each user's last), so no vocabulary has it.
    from ahns_tf.data.load import load_data
    rows = ["user_id,item_id,timestamp"] + [f"u{u},i{i},{10 * u + i}" for u in range(6)
                                            for i in range(4)] + ["u0,w,999"]
    log = _write(tmp_path / "log.csv", "\n".join(rows) + "\n")
    items = _write(tmp_path / "items.csv", "item_id,genre\n" + "".join(
        f"i{i},{'rock' if i % 2 else 'jazz'}\n" for i in range(4)) + "w,western\n")
    dataset = load_data(TrainConfig(dataset="v", data_file=log, item_features=items,
                                    backbone="towers", split="leave_one_out").resolved())
    spec, matrix = dataset.features["item"]
    assert spec.columns[0].vocabulary == ("jazz", "rock")
    w = list(dataset.vocabulary.items).index("w")
    assert [t for t, x in zip(matrix.tokens[w], matrix.weights[w]) if x] == [1]   # unknown


def test_a_feature_file_of_known_items_only_exports_and_bad_export_files_are_named(genres,
                                                                                  capsys):
    from pipelines.export import main as export
    tmp_path, log, items = genres
    train(_config(tmp_path, log, item_features=items, epochs=1, eval_every=1), verbose=0)
    run = str(tmp_path / "run")
    assert export(["--run-dir", run, "--item-features", items]) == 0     # nothing new
    lacking = _write(tmp_path / "lacking.csv", "item_id,colour\nnew-1,red\n")
    capsys.readouterr()
    assert export(["--run-dir", run, "--item-features", lacking]) == 2
    assert "lacking.csv:1: no column 'genre'" in capsys.readouterr().err


def test_a_number_column_of_an_export_file_names_the_line_of_a_bad_value(tmp_path):
    from ahns_tf.data.features import read_for_spec
    path = _write(tmp_path / "items.csv", "item_id,year\na,1990\nb,2000\n")
    spec, _ = fit_features(path, "item_id", "item", train_ids=["a", "b"])
    bad = _write(tmp_path / "new.csv", "item_id,year\nc,1995\nd,soon\n")
    with pytest.raises(DataFormatError, match=r"new.csv:3: column 'year' holds numbers"):
        read_for_spec(bad, spec, "--item-features")


@pytest.mark.slow
def test_an_item_known_but_never_trained_is_served_once_its_features_are_given(genres):
    # "ghost" is only in the test part and has no features: not served; given features at
    # export, it is embedded from them (in place) and served to the users its genre matches.
    from test_end_to_end import run_tf_only
    from pipelines.export import main as export
    tmp_path, log, items = genres
    with open(log, "a") as f:
        f.write("u0,ghost,99999\n")
    train(_config(tmp_path, log, item_features=items, split="leave_one_out"), verbose=0)
    new = _write(tmp_path / "ghost.csv", "item_id,genre\nghost,jazz\n")
    assert export(["--run-dir", str(tmp_path / "run"), "--item-features", new]) == 0
    served = json.loads(run_tf_only("""
        import json, sys
        import tensorflow as tf
        model = tf.saved_model.load(sys.argv[1])
        out = model.signatures["serving_default"](user_id=tf.constant(["u25"]))
        emb = model.signatures["item_embedding"](item_id=tf.constant(["ghost"]))
        score = model.signatures["score"](user_id=tf.constant(["u25", "u5"]),
                                          item_ids=tf.constant([["ghost"], ["ghost"]]))
        print(json.dumps({"items": [i.decode() for i in out["item_ids"].numpy()[0]],
                          "known": emb["known_item"].numpy().tolist(),
                          "scores": score["scores"].numpy()[:, 0].tolist()}))
    """, str(tmp_path / "models" / "tw" / "2")))
    assert served["known"] == [True] and "ghost" in served["items"]
    assert served["scores"][0] > served["scores"][1]        # a jazz fan above a rock fan


def test_resuming_with_an_edited_feature_file_is_refused(genres):
    from ahns_tf.runs import RunConflictError
    from conftest import InterruptBefore, Interrupted
    tmp_path, log, items = genres
    config = _config(tmp_path, log, item_features=items, epochs=3, eval_every=1)
    with pytest.raises(Interrupted):
        train(config, export=False, verbose=0, callbacks=[InterruptBefore(1)])
    text = open(items).read().replace("rock-3,rock", "rock-3,jazz")   # same sizes, other tokens
    _write(tmp_path / "items.csv", text)
    with pytest.raises(RunConflictError, match="its item features differ"):
        train(config, export=False, verbose=0)


def test_an_unservable_item_is_never_among_the_popular_items_of_unknown_users():
    # Item 3 is the most popular (a validation-only item, say) but not servable: the
    # fallback of an unknown user skips it; with fewer servable items than K, -1 and -inf.
    import tensorflow as tf
    from ahns_tf.data.vocabulary import Vocabulary
    from ahns_tf.export.raw_ids import RawIdServingModule
    from ahns_tf.export.serving import RetrievalServingModule
    rng = np.random.default_rng(0)
    module = RetrievalServingModule(rng.random((3, 2)), rng.random((4, 2)),
                                    ([0, 1, 2, 0, 1], [3, 3, 3, 1, 2]), k=4,
                                    servable_items=[False, True, True, False])
    out = module.retrieve(tf.constant([99], tf.int64))
    assert out["item_ids"].numpy().tolist() == [[1, 2, -1, -1]]
    assert np.isneginf(out["scores"].numpy()[0, 2:]).all()
    raw = RawIdServingModule(module, Vocabulary(np.array(["a", "b", "c"], object),
                                                np.array(["w", "x", "y", "z"], object)))
    got = raw.top_k_excluding(tf.constant(["nobody"]), tf.constant([["x"]]))["item_ids"]
    assert [i.decode() for i in got.numpy()[0]] == ["y", "", "", ""]


def test_a_cold_row_in_training_is_what_the_export_embeds_with_a_dense_tower(genres):
    # "ghost" has features but only a test interaction: its trained embedding (embeddings.npz,
    # through the dense layer) must equal the export's embedding of a new item with its features.
    from ahns_tf.data.features import encode_features, load_specs, read_feature_file
    from ahns_tf.models.towers import embed_new_rows
    tmp_path, log, items = genres
    with open(log, "a") as f:
        f.write("u0,ghost,99999\n")
    with open(items, "a") as f:
        f.write("ghost,jazz\n")
    train(_config(tmp_path, log, item_features=items, split="leave_one_out", tower_dense=True,
                  epochs=2, eval_every=2), export=False, verbose=0)
    run = tmp_path / "run"
    state = dict(np.load(run / "backbone.npz"))
    assert state["item_kernel"].shape == (16, 16) and state["item_bias"].any()   # trained
    spec = load_specs(str(run))["item"]
    matrix = encode_features(spec, read_feature_file(items, "item_id", "--item-features"),
                             ["ghost"])
    vocab = json.loads((run / "vocabulary.json").read_text())["item_ids"]
    trained = np.load(run / "embeddings.npz")["item_embeddings"][vocab.index("ghost")]
    np.testing.assert_allclose(embed_new_rows(state, "item", matrix)[0], trained, rtol=1e-5,
                               atol=1e-6)


def test_one_huge_cell_is_cut_to_max_tokens_and_said(tmp_path, capsys):
    from ahns_tf.data.features import MAX_TOKENS
    path = _write(tmp_path / "items.csv", "item_id,tags\na,x\nb," + "|".join(
        f"t{i}" for i in range(5000)) + "\n")
    spec, table = fit_features(path, "item_id", "item", train_ids=["a", "b"])
    matrix = encode_features(spec, table, ["a", "b"])
    assert matrix.tokens.shape == (2, MAX_TOKENS) and MAX_TOKENS == 64
    assert "1 values of column 'tags' have more than 64 tokens" in capsys.readouterr().out


def test_a_value_reads_the_same_in_the_export_file_as_in_training(tmp_path):
    from ahns_tf.data.features import read_for_spec
    path = _write(tmp_path / "users.csv", "user_id,zip\na,01002\nb,K1A0B\n")
    spec, table = fit_features(path, "user_id", "user", train_ids=["a", "b"])
    assert spec.columns[0].vocabulary == ("01002", "K1A0B")
    new = _write(tmp_path / "new.csv", "user_id,zip\nc,01002\n")       # looks like a number
    trained = encode_features(spec, table, ["a"]).tokens[0, 0]
    assert encode_features(spec, read_for_spec(new, spec, "--user-features"),
                           ["c"]).tokens[0, 0] == trained


def test_a_line_of_empty_cells_is_no_features(tmp_path):
    path = _write(tmp_path / "items.csv", "item_id,genre,year\na,rock,1990\nb,,\n")
    spec, table = fit_features(path, "item_id", "item", train_ids=["a", "b"])
    assert encode_features(spec, table, ["a", "b", "c"]).has_features.tolist() == [True, False,
                                                                                   False]


@pytest.mark.parametrize("text,message", [
    ("item_id\na\nb\n", "no column besides the id 'item_id'"),
    ("item_id,genre\n", "it has no rows"),
    ("item_id,genre\na,rock\nb,skip-me\n", "that is not skipped"),
])
def test_a_feature_file_with_nothing_to_learn_is_refused(tmp_path, text, message):
    path = _write(tmp_path / "items.csv", text)
    with pytest.raises(DataFormatError, match=message):
        fit_features(path, "item_id", "item", train_ids=["a"],
                     kinds="genre=skip" if "skip" in text else None)


def test_a_header_only_export_file_adds_nothing_and_a_latin1_cell_names_its_line(tmp_path):
    path = _write(tmp_path / "items.csv", "item_id,title\na,Big day out\nb,Night day\n")
    spec, _ = fit_features(path, "item_id", "item", train_ids=["a", "b"])
    from ahns_tf.data.features import read_for_spec
    empty = read_for_spec(_write(tmp_path / "none.csv", "item_id,title\n"), spec, "--x")
    assert encode_features(spec, empty, ["z"]).has_features.tolist() == [False]
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"item_id,title\nc,Caf\xe9 day\n")
    with pytest.raises(DataFormatError, match=r"latin.csv:2: column 'title' is not UTF-8"):
        read_for_spec(str(latin), spec, "--item-features")
