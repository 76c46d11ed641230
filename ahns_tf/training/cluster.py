"""The cluster of a distributed run: ``TF_CONFIG`` read and checked, or started in-process.

A real cluster is described by each process's ``TF_CONFIG`` (TensorFlow's
convention); `read_tf_config` checks it and names what is wrong, since
TensorFlow's own errors (a ``JSONDecodeError``, an index error deep in a
resolver) do not. `local_cluster` starts a whole parameter-server cluster in
this process for trials and tests (``--local-cluster W,P``).
"""

import json
import os
import socket

import tensorflow as tf

_LOCAL_SERVERS = []  # the in-process cluster's servers, kept alive for the process's life
#: The jobs each strategy's cluster needs (one of them at least, for multi_worker).
_NEEDS = {"multi_worker": ("worker", "chief"), "parameter_server": ("ps",)}


class ClusterConfigError(ValueError):
    """``TF_CONFIG`` is missing or does not describe this process's cluster; names it."""


class ClusterUnavailableError(RuntimeError):
    """A parameter server or worker stopped answering during training; says how to resume."""


def read_tf_config(strategy: str) -> dict:
    """This process's ``TF_CONFIG``, checked for `strategy` (``multi_worker``/``parameter_server``).

    Returns:
        The parsed ``{"cluster": {...}, "task": {"type", "index"}}``.

    Raises:
        ClusterConfigError: not set, not JSON, or its task not in its cluster.

    Example:

    ```python
    os.environ["TF_CONFIG"] = tf_config({"worker": ["host1:2222"]}, "worker", 0)
    read_tf_config("multi_worker")["task"]  # {'type': 'worker', 'index': 0}
    ```
    """
    text = os.environ.get("TF_CONFIG")
    if not text:
        raise ClusterConfigError(
            f"--strategy {strategy} reads the cluster from the TF_CONFIG environment variable, "
            f"which is not set; see docs/distributed.md" + (
                " (or use --local-cluster W,P)" if strategy == "parameter_server" else ""))
    try:
        config = json.loads(text)
        cluster, task = config["cluster"], config["task"]
        kind, index = task["type"], int(task["index"])
        hosts = cluster.get(kind)
    except json.JSONDecodeError as e:
        raise ClusterConfigError(f"TF_CONFIG is not valid JSON ({e}): {text[:80]!r}") from None
    except (KeyError, TypeError, ValueError, AttributeError):
        raise ClusterConfigError(
            f"TF_CONFIG must be {{\"cluster\": {{job: [host:port, ...]}}, \"task\": {{\"type\": "
            f"job, \"index\": i}}}}, got {text[:120]!r}") from None
    if not isinstance(hosts, list) or not 0 <= index < len(hosts):
        raise ClusterConfigError(f"TF_CONFIG: task {kind} {index} is not in its cluster "
                                 f"{json.dumps(cluster)}")
    if not any(job in cluster for job in _NEEDS[strategy]):
        raise ClusterConfigError(f"TF_CONFIG: --strategy {strategy} needs a "
                                 f"{' or '.join(_NEEDS[strategy])} job in the cluster, got "
                                 f"{sorted(cluster)}")
    return config


def free_port() -> int:
    """An unused TCP port on 127.0.0.1 (bound and released at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def local_cluster(num_workers: int, num_ps: int):
    """Starts an in-process cluster of workers and parameter servers on 127.0.0.1.

    TensorFlow's own recipe for trying parameter-server training on one
    machine (`tf.distribute.Server` per task, `SimpleClusterResolver`); this
    process is the coordinator. Real clusters use ``TF_CONFIG`` instead.

    Args:
        num_workers: W >= 1.
        num_ps: P >= 1.

    Returns:
        A `tf.distribute.cluster_resolver.SimpleClusterResolver`.

    Example:

    ```python
    strategy = tf.distribute.ParameterServerStrategy(local_cluster(2, 2))
    ```
    """
    spec = tf.train.ClusterSpec({
        "worker": [f"127.0.0.1:{free_port()}" for _ in range(num_workers)],
        "ps": [f"127.0.0.1:{free_port()}" for _ in range(num_ps)]})
    config = tf.compat.v1.ConfigProto()
    # A worker needs a thread per concurrent step and one to receive: with fewer
    # cores than workers + 1, TensorFlow's tutorial raises the inter-op pool.
    config.inter_op_parallelism_threads = num_workers + 1
    for job, count in (("worker", num_workers), ("ps", num_ps)):
        for index in range(count):
            _LOCAL_SERVERS.append(tf.distribute.Server(
                spec, job_name=job, task_index=index, protocol="grpc",
                config=config if job == "worker" else None, start=True))
    return tf.distribute.cluster_resolver.SimpleClusterResolver(spec, rpc_layer="grpc")


def parse_local_cluster(value: str):
    """``"W,P"`` -> ``(W, P)``, both >= 1.

    Raises:
        ValueError: naming ``--local-cluster`` and the value.
    """
    try:
        workers, ps = (int(v) for v in str(value).split(","))
    except ValueError:
        raise ValueError(f"--local-cluster must be 'W,P' (workers, parameter servers), "
                         f"e.g. 2,2; got {value!r}") from None
    if workers < 1 or ps < 1:
        raise ValueError(f"--local-cluster needs at least 1 worker and 1 parameter server, "
                         f"got {value!r}")
    return workers, ps


def tf_config(cluster: dict, task_type: str, task_id: int) -> str:
    """The ``TF_CONFIG`` JSON of one task.

    Example:

    >>> tf_config({"worker": ["127.0.0.1:2222"]}, "worker", 0)
    '{"cluster": {"worker": ["127.0.0.1:2222"]}, "task": {"type": "worker", "index": 0}}'
    """
    return json.dumps({"cluster": cluster, "task": {"type": task_type, "index": task_id}})
