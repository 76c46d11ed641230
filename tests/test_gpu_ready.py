"""GPU-readiness, proven on the CPU: the training step is pure TensorFlow ops with GPU kernels."""

import numpy as np
import pytest
import tensorflow as tf
from tensorflow.python.framework import kernels

from ahns_tf.config import TrainConfig
from ahns_tf.data import Interactions, build_dataset
from ahns_tf.samplers import METHODS
from ahns_tf.training import build_model


def _train_step_ops(sampler):
    rng = np.random.default_rng(0)
    data = build_dataset("toy", Interactions.from_pairs(rng.integers(0, 20, 200), rng.integers(0, 30, 200)),
                         Interactions.from_pairs([0, 1], [3, 4]), validation_fraction=None)
    config = TrainConfig(dataset="toy", sampler=sampler, ks=(5,), select_metric="recall@5",
                         select_on="test", num_candidates=None if sampler == "ssm" else 4,
                         top_n=2).resolved()
    model = build_model(config, data)
    batches = iter(tf.data.Dataset.from_tensors(
        (tf.constant([0, 1], tf.int64), tf.constant([1, 2], tf.int64))).repeat())
    graph = model.make_train_function().get_concrete_function(batches).graph.as_graph_def()
    functions = {f.signature.name for f in graph.library.function}
    ops = {n.op for n in graph.node} | {n.op for f in graph.library.function for n in f.node_def}
    return ops - functions


@pytest.mark.parametrize("sampler", sorted(METHODS))
def test_train_step_has_no_python_and_every_op_has_a_gpu_kernel(sampler):
    ops = _train_step_ops(sampler)
    assert {"ResourceApplyAdam", "UpperBound", "StatelessRandomUniformFullIntV2"} <= ops
    assert not ops & {"PyFunc", "EagerPyFunc", "PyFuncStateless"}
    no_gpu = sorted(op for op in ops if not any(
        k.device_type in ("GPU", "DEFAULT") for k in kernels.get_registered_kernels_for_op(op).kernel))
    assert no_gpu == []
