"""A backbone and a sampler registered from this file alone train, tune and export.

The contract of `ahns_tf.registry`: a new component is its class, one registration and its
test; the flags, the config checks, the tuner and the export pick it up from there.
"""

import os

import keras_tuner
import numpy as np
import pytest
import tensorflow as tf

from ahns_tf.config import TrainConfig
from ahns_tf.models.backbones import Backbone
from ahns_tf.registry import BACKBONES, SAMPLERS
from ahns_tf.samplers.selector import NegativeSelector
from ahns_tf.training import train


class OneTableBackbone(Backbone):
    """Users and items as the two halves of one [users + items, dim] variable (unlike MF's two)."""

    def __init__(self, num_users, num_items, dim=8, **kwargs):
        super().__init__(**kwargs)
        self.num_users, self.num_items = num_users, num_items
        self.table = self.add_weight(name="table", shape=[num_users + num_items, dim],
                                     initializer="glorot_uniform")

    def tables(self, training=False):
        return self.table[:self.num_users], self.table[self.num_users:]


class LowestOfCandidates(NegativeSelector):
    """Picks the lowest-scoring candidate: the easiest negative, the opposite of DNS."""

    candidate_input = "scores"

    def select(self, user_emb, pos_emb, cand_emb, epoch):
        return {"indices": tf.argmin(self.scores_of(user_emb, cand_emb), axis=1)[:, None]}


@pytest.fixture
def registered():
    BACKBONES.register("one_table", OneTableBackbone, params=("dim",))
    SAMPLERS.register("lowest", LowestOfCandidates, defaults={"num_candidates": 3},
                      info={"search": {"num_candidates": ("choice", (2, 3))}})
    yield
    BACKBONES.unregister("one_table")
    SAMPLERS.unregister("lowest")


def _config(data_dir, out, **kw):
    return TrainConfig(dataset="toy", data_dir=data_dir, sampler="lowest", backbone="one_table",
                       dim=8, epochs=2, eval_every=1, ks=(5, 10), select_metric="ndcg@5",
                       batch_size=64, output_dir=str(out / "run"),
                       export_dir=str(out / "models" / "toy"), **kw)


def test_the_selector_gets_only_its_own_settings_and_picks_the_easiest(registered):
    config = _config("d", __import__("pathlib").Path("o")).resolved()
    assert config.num_candidates == 3                     # the sampler's own default
    selector = SAMPLERS["lowest"].load()(**SAMPLERS["lowest"].arguments(config))
    user = tf.constant([[1.0, 0.0]])
    cands = tf.constant([[[0.5, 0.0], [-2.0, 0.0], [1.0, 0.0]]])  # scores 0.5, -2, 1
    assert selector(user, user, cands)["indices"].numpy().tolist() == [[1]]


def test_a_registered_backbone_and_sampler_train_and_export(registered, toy_data_dir, tmp_path):
    result = train(_config(toy_data_dir, tmp_path), verbose=0)
    assert result["config"]["backbone"] == "one_table" and result["best_epoch"] in (1, 2)
    assert 0 <= result["test"]["recall@5"] <= 1
    with np.load(tmp_path / "run" / "embeddings.npz") as saved:
        users, items = saved["user_embeddings"], saved["item_embeddings"]
    assert users.shape == (40, 8) and items.shape == (30, 8)
    model = tf.saved_model.load(result["export_path"])
    out = model.signatures["serving_default"](user_id=tf.constant([0], tf.int64))
    # User 0's served items: the best inner products among the items it has not trained on.
    with open(os.path.join(toy_data_dir, "toy", "train.txt")) as f:
        seen = {int(i) for i in f.readline().split()[1:]}
    scores = items @ users[0]
    served = out["item_ids"].numpy()[0].tolist()                   # K = 20 of 30 items
    expected = [i for i in np.argsort(-scores, kind="stable") if i not in seen][:len(served)]
    assert sorted(served) == sorted(expected) and not seen & set(served)


def test_the_flags_and_checks_know_the_registered_names(registered):
    from pipelines.train import build_parser
    args = build_parser().parse_args(["--sampler", "lowest", "--backbone", "one_table"])
    assert (args.sampler, args.backbone) == ("lowest", "one_table")
    with pytest.raises(ValueError, match="--sampler 'nope' is unknown; choose one of .*lowest"):
        TrainConfig(sampler="nope").resolved()


def test_the_tuner_searches_the_space_the_sampler_declares(registered, toy_data_dir, tmp_path):
    from ahns_tf.tuner import AHNSHyperModel, AHNSTuner, make_oracle
    base = _config(toy_data_dir, tmp_path).resolved()
    hypermodel = AHNSHyperModel(base)
    assert list(hypermodel.declare(keras_tuner.HyperParameters())) == ["num_candidates"]
    tuner = AHNSTuner(hypermodel, make_oracle("random", "ndcg@5", max_trials=1, seed=0),
                      directory=str(tmp_path / "search"), project_name="toy")
    tuner.search(verbose=0)
    (trial,) = tuner.oracle.trials.values()
    assert trial.status == "COMPLETED"
    assert trial.hyperparameters.values["num_candidates"] in (2, 3)
