"""`tf.distribute` strategies for training: one device, mirrored, multi-worker, parameter servers.

`make_strategy` maps ``--strategy`` (with ``--cpu-devices`` and ``--local-cluster``)
to TensorFlow's own strategy; nothing here reimplements distribution. The
training step (`NegativeSamplingRetrievalModel`) is written to give the same
expected update under each of them (see `ahns_tf.models.task.BPRTask` and
`ahns_tf.samplers.mining.replica_draw`).
"""

import tensorflow as tf

from ahns_tf.config import STRATEGIES
from ahns_tf.training.cluster import local_cluster, parse_local_cluster, read_tf_config
#: Smallest shard of a table sharded over parameter servers (TF's tutorial value):
#: a table is split into min(#PS, bytes // MIN_SHARD_BYTES) shards, at least 1.
MIN_SHARD_BYTES = 256 << 10



def split_cpu(num_devices: int) -> list:
    """Splits the CPU into `num_devices` logical devices (``--cpu-devices``).

    Must run before TensorFlow initialises its devices (before any op runs).

    Args:
        num_devices: N >= 1.

    Returns:
        The logical device names, e.g. ``["/device:CPU:0", "/device:CPU:1"]``.

    Raises:
        RuntimeError: TensorFlow's devices are already initialised.

    Example:

    ```python
    strategy = tf.distribute.MirroredStrategy(split_cpu(2))
    ```
    """
    cpu = tf.config.list_physical_devices("CPU")[0]
    wanted = [tf.config.LogicalDeviceConfiguration()] * int(num_devices)
    current = tf.config.get_logical_device_configuration(cpu)
    if current is None or len(current) != len(wanted):
        try:
            tf.config.set_logical_device_configuration(cpu, wanted)
        except RuntimeError as e:
            raise RuntimeError(
                f"--cpu-devices {num_devices}: TensorFlow's devices are already initialised "
                f"({e}); split the CPU at the start of the process, before any TensorFlow "
                f"op runs") from None
    return [d.name for d in tf.config.list_logical_devices("CPU")]


def make_strategy(name: str = "none", cpu_devices: int = None, local_cluster_spec: str = None,
                  min_shard_bytes: int = None) -> tf.distribute.Strategy:
    """The `tf.distribute.Strategy` for ``--strategy``.

    * ``none``: the default strategy (one device).
    * ``mirrored``: `MirroredStrategy` over all GPUs; with ``cpu_devices=N``
      over N logical CPU devices instead.
    * ``multi_worker``: `MultiWorkerMirroredStrategy`, configured by
      ``TF_CONFIG``.
    * ``parameter_server``: `ParameterServerStrategy` configured by
      ``TF_CONFIG`` (a ``worker`` or ``ps`` task starts its server here and
      serves until killed; the ``chief`` trains) or by
      ``local_cluster_spec`` ``"W,P"`` (an in-process cluster); every table
      of at least ``2 * min_shard_bytes`` is sharded over the parameter
      servers (`MinSizePartitioner`).

    Args:
        name: one of `STRATEGIES`.
        cpu_devices: mirrored only: split the CPU into this many devices.
        local_cluster_spec: parameter_server only: ``"W,P"``.
        min_shard_bytes: parameter_server only: smallest shard. Defaults to
            `MIN_SHARD_BYTES`.

    Returns:
        The strategy.

    Raises:
        ValueError: an unknown name, or a flag that does not go with it.
        ClusterConfigError: ``TF_CONFIG`` is missing or malformed (named).

    Example:

    ```python
    strategy = make_strategy("mirrored", cpu_devices=2)
    with strategy.scope():
        model = build_model(config, dataset)
    ```
    """
    if name not in STRATEGIES:
        raise ValueError(f"--strategy must be one of {', '.join(STRATEGIES)}, got {name!r}")
    if cpu_devices is not None and name != "mirrored":
        raise ValueError(f"--cpu-devices {cpu_devices} goes with --strategy mirrored, "
                         f"not {name!r}")
    if local_cluster_spec is not None and name != "parameter_server":
        raise ValueError(f"--local-cluster {local_cluster_spec} goes with --strategy "
                         f"parameter_server, not {name!r}")
    if name == "none":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        if not cpu_devices:
            return tf.distribute.MirroredStrategy()  # every GPU, TF's default all-reduce
        # On logical CPUs TF picks collective ops, whose gather of the embeddings'
        # IndexedSlices fails ("Shape mismatch in the collective instance") when an
        # epoch's last, smaller batch runs inside a steps_per_execution loop; summing
        # on one device is what a single CPU does anyway.
        return tf.distribute.MirroredStrategy(
            split_cpu(cpu_devices), cross_device_ops=tf.distribute.ReductionToOneDevice())
    if name == "multi_worker":
        read_tf_config(name)  # checked: TensorFlow's own errors would not name it
        return tf.distribute.MultiWorkerMirroredStrategy()
    if local_cluster_spec is not None:
        resolver = local_cluster(*parse_local_cluster(local_cluster_spec))
    else:
        read_tf_config(name)
        resolver = tf.distribute.cluster_resolver.TFConfigClusterResolver()
        if resolver.task_type in ("worker", "ps"):
            # TensorFlow's recipe: workers and parameter servers only serve; the chief
            # (the coordinator) runs the training loop. Never returns.
            tf.distribute.Server(resolver.cluster_spec(), job_name=resolver.task_type,
                                 task_index=resolver.task_id,
                                 protocol=resolver.rpc_layer or "grpc", start=True).join()
    num_ps = resolver.cluster_spec().num_tasks("ps")
    partitioner = tf.distribute.experimental.partitioners.MinSizePartitioner(
        min_shard_bytes=min_shard_bytes or MIN_SHARD_BYTES, max_shards=num_ps)
    return tf.distribute.ParameterServerStrategy(resolver, variable_partitioner=partitioner)


def is_chief(strategy: tf.distribute.Strategy) -> bool:
    """Whether this process writes the run's outputs (metrics.json, TensorBoard, export).

    True except for the non-chief workers of a `MultiWorkerMirroredStrategy`
    (the chief is task ``chief``, else ``worker`` 0). A parameter-server
    run's outputs are written by its coordinator, the only process running
    this code.
    """
    resolver = getattr(strategy, "cluster_resolver", None)
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) or resolver is None:
        return True
    task_type, task_id = resolver.task_type, resolver.task_id
    if task_type is None or task_type == "chief":
        return True
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    return task_type == "worker" and task_id == 0 and not has_chief


def task_name(strategy: tf.distribute.Strategy) -> str:
    """``"<task_type>-<task_id>"`` of this process in a multi-worker cluster, else ``""``."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or resolver.task_type is None:
        return ""
    return f"{resolver.task_type}-{resolver.task_id}"


def agreed_epoch(strategy: tf.distribute.Strategy, epoch: int) -> int:
    """The smallest `epoch` over the workers of a multi-worker run (else `epoch` itself).

    Each worker of a `MultiWorkerMirroredStrategy` resumes from its own
    checkpoints; a worker killed between two workers' checkpoints of one epoch
    leaves them one epoch apart, so they agree on the earliest (an all-gather:
    the strategy reduces by sum and mean only).

    Example:

    ```python
    first_epoch = agreed_epoch(model.distribute_strategy, run.restore(model))
    ```
    """
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return epoch
    mine = strategy.run(lambda: tf.constant([epoch], tf.int64))
    return int(tf.reduce_min(strategy.gather(mine, axis=0)))

