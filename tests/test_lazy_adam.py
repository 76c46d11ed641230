"""LazyAdam against a numpy sparse Adam: raw, through --optimizer lazy_adam, across a resume."""

import json

import numpy as np
import pytest
import tensorflow as tf

from ahns_tf.models import LazyAdam
from ahns_tf.training import build_model, train
from pipelines.train import config_from_args
from conftest import InterruptBefore, Interrupted, assert_entries_close
from conftest import toy_train_config as _config

LR, B1, B2, EPS = 0.05, 0.9, 0.999, 1e-8


class NumpySparseAdam:
    """torch.optim.SparseAdam's update, written out: moments and rows move only where touched."""

    def __init__(self, shape):
        self.m, self.v, self.t = np.zeros(shape), np.zeros(shape), 0

    def step(self, var, indices, values):
        self.t += 1
        grad = np.zeros_like(var)
        np.add.at(grad, indices, values)           # repeated rows are summed
        rows = np.unique(indices)
        self.m[rows] = B1 * self.m[rows] + (1 - B1) * grad[rows]
        self.v[rows] = B2 * self.v[rows] + (1 - B2) * grad[rows] ** 2
        m_hat = self.m[rows] / (1 - B1 ** self.t)
        v_hat = self.v[rows] / (1 - B2 ** self.t)
        var[rows] -= LR * m_hat / (np.sqrt(v_hat) + EPS)   # epsilon on sqrt(v_hat), as torch
        return var


def test_lazy_adam_equals_numpy_sparse_adam_over_several_steps():
    rng = np.random.default_rng(0)
    start = rng.normal(size=(8, 3))
    var = tf.Variable(start.astype(np.float32))
    optimizer, reference, expected = LazyAdam(LR), NumpySparseAdam(start.shape), start.copy()
    # Different rows each step, a repeated row, and rows that come back after a pause:
    # a dense Adam would keep moving rows 0 and 5 by their momentum while they are absent.
    for indices in ([0, 5, 5], [1, 2], [0, 7], [3, 3, 3], [5, 1, 6], [2]):
        values = rng.normal(size=(len(indices), 3))
        optimizer.apply_gradients([(tf.IndexedSlices(
            tf.constant(values, tf.float32), tf.constant(indices), tf.constant(start.shape)), var)])
        expected = reference.step(expected, indices, values)
        np.testing.assert_allclose(var.numpy(), expected, rtol=2e-5, atol=2e-6)
    assert int(optimizer.iterations) == 6


def test_optimizer_flag_trains_the_model_with_lazy_adam_step_by_step(toy_data_dir):
    from ahns_tf.training import load_for
    config, _ = config_from_args(["--dataset", "toy", "--data-dir", toy_data_dir,
                                  "--optimizer", "lazy_adam", "--lr", str(LR), "--dim", "4",
                                  "--num-candidates", "4", "--batch-size", "16", "--ks", "5",
                                  "--select-metric", "recall@5"])
    config = config.resolved()
    dataset = load_for(config)
    model = build_model(config, dataset)
    assert isinstance(model.optimizer, LazyAdam)
    tables = [model.backbone.user_embeddings, model.backbone.item_embeddings]
    expected = [t.numpy().astype(np.float64) for t in tables]
    references = [NumpySparseAdam(e.shape) for e in expected]
    rng = np.random.default_rng(1)
    for _ in range(4):
        pick = rng.choice(len(dataset.train), 16, replace=False)
        batch = (tf.constant(dataset.train.users[pick]), tf.constant(dataset.train.items[pick]))
        with tf.GradientTape() as tape:  # the same candidates: same seed, same step counter
            loss = model.compute_loss(batch, training=True)
        for table, want, ref, grad in zip(tables, expected, references,
                                          tape.gradient(loss, tables)):
            ref.step(want, grad.indices.numpy(), grad.values.numpy())
        model.train_step(batch)
        for table, want in zip(tables, expected):
            np.testing.assert_allclose(table.numpy(), want, rtol=1e-4, atol=1e-6)


@pytest.mark.slow
def test_lazy_adam_run_interrupted_and_resumed_equals_the_uninterrupted_run(toy_data_dir,
                                                                           tmp_path):
    kw = dict(optimizer="lazy_adam", epochs=6, lr=0.02)
    straight = train(_config(toy_data_dir, tmp_path / "a", **kw), export=False, verbose=0)
    with pytest.raises(Interrupted):
        train(_config(toy_data_dir, tmp_path / "b", **kw), export=False, verbose=0,
              callbacks=[InterruptBefore(3)])
    assert json.loads((tmp_path / "b" / "progress.json").read_text())["epoch"] == 3
    resumed = train(_config(toy_data_dir, tmp_path / "b", **kw), export=False, verbose=0)
    assert resumed["best_epoch"] == straight["best_epoch"]
    assert_entries_close(resumed["test"], straight["test"], rel=1e-5, abs=1e-7)
    with np.load(tmp_path / "a" / "embeddings.npz") as a, \
            np.load(tmp_path / "b" / "embeddings.npz") as b:
        for key in a.files:
            np.testing.assert_allclose(b[key], a[key], rtol=1e-5, atol=1e-7)


def test_shardable_adam_makes_fused_adams_torch_style_update_on_dense_and_sparse_gradients():
    from ahns_tf.models.optimizers import FusedAdam
    from ahns_tf.models.shardable_adam import ShardableAdam
    for sparse in (False, True):
        a = tf.Variable(np.arange(12, dtype=np.float32).reshape(6, 2) / 10)
        b = tf.Variable(a.numpy())
        legacy, fused = ShardableAdam(0.1), FusedAdam(0.1)
        for step in range(4):
            # tiny gradients, where torch's and Keras' epsilon placements differ most
            values = tf.constant([[0.5, -1.0], [2.0, 0.3]]) * 1e-7 * (step + 1)
            grad = (tf.IndexedSlices(values, tf.constant([1, 4]), tf.constant([6, 2])) if sparse
                    else tf.scatter_nd([[1], [4]], values, [6, 2]))
            legacy.apply_gradients([(grad, a)])
            fused.apply_gradients([(grad, b)])
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)
        assert np.abs(a.numpy() - np.arange(12).reshape(6, 2) / 10).max() > 0.05  # it moved


def test_auto_optimizer_is_dense_adam_on_small_tables_and_lazy_adam_on_large_ones(toy_data_dir):
    from ahns_tf.config import TrainConfig
    from ahns_tf.models.optimizers import AUTO_SPARSE_ROWS, FusedAdam, choose_optimizer
    from ahns_tf.training import load_for
    assert TrainConfig().optimizer == "auto"
    assert choose_optimizer("auto", AUTO_SPARSE_ROWS) == "adam"          # the bound is dense
    assert choose_optimizer("auto", AUTO_SPARSE_ROWS + 1) == "lazy_adam"
    assert choose_optimizer("lazy_adam", 10) == "lazy_adam"
    assert choose_optimizer("adam", 10**7) == "adam"
    small = TrainConfig(dataset="toy", data_dir=toy_data_dir, dim=4).resolved()
    model = build_model(small, load_for(small))
    assert type(model.optimizer) is FusedAdam                             # not its LazyAdam subclass
    # The same toy interactions in a declared catalogue above the bound: LazyAdam.
    large = TrainConfig(dataset="toy", data_dir=toy_data_dir, dim=4,
                        num_items=AUTO_SPARSE_ROWS + 10).resolved()
    assert isinstance(build_model(large, load_for(large)).optimizer, LazyAdam)


def test_shardable_lazy_adam_makes_lazy_adams_update_with_repeated_rows():
    from ahns_tf.models.shardable_adam import ShardableLazyAdam
    a = tf.Variable(np.arange(12, dtype=np.float32).reshape(6, 2) / 10)
    b = tf.Variable(a.numpy())
    legacy, lazy = ShardableLazyAdam(0.1), LazyAdam(0.1)
    for step in range(4):
        values = tf.constant([[0.5, -1.0], [2.0, 0.3], [1.0, 1.0]]) * (step + 1)
        rows = tf.constant([1, 4, 1] if step % 2 else [2, 2, 5])  # repeated rows are summed
        grad = tf.IndexedSlices(values, rows, tf.constant([6, 2]))
        legacy.apply_gradients([(grad, a)])
        lazy.apply_gradients([(grad, b)])
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(a.numpy()[[0, 3]], np.array([[0.0, 0.1], [0.6, 0.7]],
                                                              np.float32))  # untouched rows


def test_shardable_adam_on_sparse_gradients_equals_fused_adam():
    # ShardableAdam (the optimizer of tables sharded over parameter servers) applies one fused
    # update per table, as FusedAdam does: the same numbers for the same row-sparse gradients.
    from ahns_tf.models.optimizers import FusedAdam
    from ahns_tf.models.shardable_adam import ShardableAdam
    rng = np.random.default_rng(3)
    start = rng.normal(size=(6, 3)).astype(np.float32)
    tables = [tf.Variable(start), tf.Variable(start)]
    optimizers = [FusedAdam(0.01), ShardableAdam(0.01)]
    for step in range(4):
        rows = tf.constant(rng.choice(6, 3, replace=False), tf.int64)
        grad = tf.IndexedSlices(tf.constant(rng.normal(size=(3, 3)), tf.float32), rows, [6, 3])
        for optimizer, table in zip(optimizers, tables):
            optimizer.apply_gradients([(grad, table)])
    np.testing.assert_allclose(tables[0].numpy(), tables[1].numpy(), rtol=1e-6, atol=1e-7)


def test_a_shard_of_a_table_draws_from_the_whole_tables_range():
    # Under ParameterServerStrategy a table is initialised shard by shard; the range must be
    # the whole table's, sqrt(6 / (rows + dim)), not each shard's (wider by sqrt(#shards)).
    from ahns_tf.models.backbones import WholeTableGlorotUniform
    init = WholeTableGlorotUniform(seed=1)
    shard = init([20000, 64], partition_shape=(5000, 64), partition_offset=(5000, 0)).numpy()
    limit = (6 / (20000 + 64)) ** 0.5
    assert shard.shape == (5000, 64) and np.abs(shard).max() <= limit
    assert np.abs(shard).max() > 0.99 * limit                     # the whole range is used
    whole = init([300, 8]).numpy()                                # one device: Glorot as is
    np.testing.assert_array_equal(whole, tf.keras.initializers.GlorotUniform(seed=1)([300, 8]))
