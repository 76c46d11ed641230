"""GPU-readiness, proven on the CPU: the training step is pure TensorFlow ops with GPU kernels."""

import dataclasses

import numpy as np
import pytest
import tensorflow as tf
from tensorflow.python.framework import kernels

from ahns_tf.config import TrainConfig
from ahns_tf.data import Interactions, build_dataset
from ahns_tf.data.features import FeatureMatrix
from ahns_tf.registry import SAMPLERS
from ahns_tf.training import build_model


def _train_step_nodes(sampler, optimizer="adam", backbone="mf", features=None):
    rng = np.random.default_rng(0)
    data = build_dataset("toy", Interactions.from_pairs(rng.integers(0, 20, 200), rng.integers(0, 30, 200)),
                         Interactions.from_pairs([0, 1], [3, 4]), validation_fraction=None)
    if features:
        data = dataclasses.replace(data, features=features)
    config = TrainConfig(dataset="toy", sampler=sampler, ks=(5,), select_metric="recall@5",
                         select_on="test", num_candidates=None if sampler == "ssm" else 4,
                         top_n=2, optimizer=optimizer, backbone=backbone, layers=2).resolved()
    model = build_model(config, data)
    batches = iter(tf.data.Dataset.from_tensors(
        (tf.constant([0, 1], tf.int64), tf.constant([1, 2], tf.int64))).repeat())
    graph = model.make_train_function().get_concrete_function(batches).graph.as_graph_def()
    functions = {f.signature.name for f in graph.library.function}
    nodes = list(graph.node) + [n for f in graph.library.function for n in f.node_def]
    return [n for n in nodes if n.op not in functions]


def _satisfies(node, kernel) -> bool:
    """Whether `node`'s attributes are among those `kernel` was registered for."""
    for constraint in kernel.constraint:
        allowed = constraint.allowed_values.list
        attr = node.attr.get(constraint.name)
        if attr is None:
            continue  # an attribute the graph left at its default
        if allowed.type:
            types = list(attr.list.type) if attr.HasField("list") else [attr.type]
            if not set(types) <= set(allowed.type):
                return False
        elif allowed.s and attr.s not in allowed.s:
            return False
    return True


def _without_gpu_kernel(nodes) -> list:
    """Ops (with a node name) that no GPU or device-independent kernel takes with their types."""
    return sorted({f"{n.op} ({n.name})" for n in nodes if not any(
        k.device_type in ("GPU", "DEFAULT") and _satisfies(n, k)
        for k in kernels.get_registered_kernels_for_op(n.op).kernel) and not _host_only(n)})


def _host_only(node) -> bool:
    """String constants (the messages of Keras' own assertions) are host data by design."""
    return node.op == "Const" and node.attr["dtype"].type == tf.string.as_datatype_enum


@pytest.mark.slow
@pytest.mark.parametrize("optimizer", ["adam", "lazy_adam"])
@pytest.mark.parametrize("sampler", sorted(SAMPLERS.names()))
def test_train_step_has_no_python_and_every_op_has_a_gpu_kernel_for_its_types(sampler,
                                                                              optimizer):
    nodes = _train_step_nodes(sampler, optimizer)
    ops = {n.op for n in nodes}
    expected = {"UpperBound", "StatelessRandomUniformFullIntV2"}
    expected |= {"ResourceApplyAdam"} if optimizer == "adam" else {"ResourceScatterUpdate"}
    assert expected <= ops
    assert not ops & {"PyFunc", "EagerPyFunc", "PyFuncStateless"}
    # Each node needs a GPU (or device-independent) kernel registered for its dtypes,
    # not merely some GPU kernel of its op: e.g. an int64 op whose GPU kernel only takes
    # int32 would be placed on the CPU.
    assert _without_gpu_kernel(nodes) == []


def test_the_type_check_rejects_a_dtype_without_a_gpu_kernel():
    # Unique has GPU kernels, but none for strings: the check must see the dtype, not just
    # the op name.
    @tf.function
    def step(x):
        return tf.unique(x).y

    graph = step.get_concrete_function(tf.TensorSpec([None], tf.string)).graph.as_graph_def()
    node = next(n for n in graph.node if n.op == "Unique")
    gpu = [k for k in kernels.get_registered_kernels_for_op("Unique").kernel
           if k.device_type == "GPU"]
    assert gpu and not any(_satisfies(node, k) for k in gpu)


def test_lightgcn_step_has_a_gpu_kernel_for_every_op():
    nodes = _train_step_nodes("ahns", "adam", backbone="lightgcn")
    assert "SparseMatrixMatMul" in {n.op for n in nodes}
    assert _without_gpu_kernel(nodes) == []


@pytest.mark.parametrize("sampler", ["ahns", "dns"])
def test_feature_tower_step_has_a_gpu_kernel_for_every_op(sampler):
    # Hand-built token ids (what encode_features makes): 30 items with 2 of 7 tokens each,
    # 20 users with 1; the step reads integer tensors only, never a string.
    rng = np.random.default_rng(1)
    items = FeatureMatrix(rng.integers(0, 7, (30, 2)).astype(np.int32),
                          np.full((30, 2), 0.5, np.float32), np.ones(30, bool), 7)
    users = FeatureMatrix(rng.integers(0, 4, (20, 1)).astype(np.int32),
                          np.ones((20, 1), np.float32), np.ones(20, bool), 4)
    nodes = _train_step_nodes(sampler, "adam", backbone="towers",
                              features={"item": (None, items), "user": (None, users)})
    ops = {n.op for n in nodes}
    assert {"Einsum", "ResourceApplyAdam"} <= ops     # the pooled feature embeddings, trained
    assert not {n for n in nodes if any(a.type == tf.string.as_datatype_enum
                                        for a in n.attr.values()) and not _host_only(n)}
    assert _without_gpu_kernel(nodes) == []


@pytest.mark.slow
def test_mirrored_step_has_no_python_and_every_op_has_a_gpu_kernel():
    # Two logical CPUs must exist before TensorFlow starts: a fresh process. The strategy
    # is the one --strategy mirrored --cpu-devices 2 builds (replicated step, gradients
    # summed on one device). (TF's CPU collective ops, which this avoids, add Pad ops
    # without a GPU kernel for their types to the gather of the embedding gradients.)
    from test_distributed import last_json, run_python
    out = run_python("""
        import json, sys
        sys.path.insert(0, "tests")
        import ahns_tf
        from ahns_tf.training.strategy import make_strategy
        strategy = make_strategy("mirrored", cpu_devices=2)
        import test_gpu_ready
        with strategy.scope():
            nodes = test_gpu_ready._train_step_nodes("ahns")
        print(json.dumps({"missing": test_gpu_ready._without_gpu_kernel(nodes),
                          "ops": sorted({n.op for n in nodes}),
                          "devices": sorted({n.device for n in nodes if n.device})}))
    """)
    got = last_json(out)
    ops = set(got["ops"])
    assert {"UpperBound", "StatelessRandomUniformFullIntV2", "ResourceApplyAdam"} <= ops
    assert not ops & {"PyFunc", "EagerPyFunc", "PyFuncStateless"}
    assert any("CPU:1" in d for d in got["devices"])  # the step is replicated on both devices
    assert got["missing"] == []
