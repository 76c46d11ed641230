"""Adam for tables sharded over parameter servers (``--strategy parameter_server``).

tf-keras' current optimizers do not support a ``ShardedVariable``; its legacy
ones do (keras#18624, #18668). `ShardableAdam` and `ShardableLazyAdam` are the
updates of `ahns_tf.models.optimizers.FusedAdam` and `LazyAdam` on that
legacy optimizer.
"""

import tensorflow as tf


@tf.keras.utils.register_keras_serializable(package="ahns_tf")
class ShardableAdam(tf.keras.optimizers.legacy.Adam):
    """`FusedAdam`'s update on tf-keras' legacy optimizer, for tables sharded over PS.

    Under `tf.distribute.ParameterServerStrategy` a sharded table is a
    ``ShardedVariable``; `FusedAdam` needs a variable's ``handle``, which it
    lacks, and tf-keras' current optimizers are not supported there (the
    legacy ones are; keras#18624, #18668). The legacy Adam applies
    ``ResourceApplyAdam`` to each shard on its parameter server; only the
    epsilon differs from `FusedAdam`, so it is rescaled here to torch's
    placement (``epsilon`` added to the bias-corrected ``sqrt(v_hat)``):
    ``epsilon * sqrt(1 - beta_2^t)`` added to ``sqrt(v)`` is the same update.

    Args:
        learning_rate: step size. Defaults to 1e-3.
        epsilon: torch's epsilon. Defaults to 1e-8.
        **kwargs: passed to `tf.keras.optimizers.legacy.Adam`.

    Example:

    ```python
    with strategy.scope():  # a ParameterServerStrategy
        model.compile(optimizer=ShardableAdam(1e-3))
    ```
    """

    def __init__(self, learning_rate=1e-3, epsilon=1e-8, **kwargs):
        if kwargs.get("amsgrad"):
            raise ValueError("ShardableAdam does not support amsgrad=True")
        kwargs.setdefault("name", "ShardableAdam")
        super().__init__(learning_rate=learning_rate, epsilon=epsilon, **kwargs)

    def _prepare_local(self, var_device, var_dtype, apply_state):
        super()._prepare_local(var_device, var_dtype, apply_state)
        coefficients = apply_state[(var_device, var_dtype)]
        coefficients["epsilon"] = coefficients["epsilon"] * tf.sqrt(
            1.0 - coefficients["beta_2_power"])

    def _resource_apply_sparse(self, grad, var, indices, apply_state=None):
        # One fused, locked ResourceApplyAdam per shard, as FusedAdam does on one device: the
        # legacy sparse path is five ops over the whole shard, which the updates of workers
        # running at once interleave. The dense gradient is built beside the shard (on its PS).
        with tf.device(var.device):
            dense = tf.math.unsorted_segment_sum(grad, indices, tf.shape(var)[0])
        return self._resource_apply_dense(dense, var, apply_state)


@tf.keras.utils.register_keras_serializable(package="ahns_tf")
class ShardableLazyAdam(ShardableAdam):
    """`LazyAdam`'s row-sparse update on tf-keras' legacy optimizer, for sharded tables.

    For sparse gradients only the rows present in the batch move, and only their
    first and second moments are updated, as `LazyAdam` does (the legacy
    optimizer has already summed repeated rows); under
    `tf.distribute.ParameterServerStrategy` each shard is updated on its
    parameter server, so a step costs O(batch) there instead of O(table).
    Dense gradients take `ShardableAdam`'s path.

    Example:

    ```python
    with strategy.scope():  # a ParameterServerStrategy
        model.compile(optimizer=ShardableLazyAdam(1e-3))
    ```
    """

    def __init__(self, learning_rate=1e-3, **kwargs):
        kwargs.setdefault("name", "ShardableLazyAdam")
        super().__init__(learning_rate=learning_rate, **kwargs)

    def _resource_apply_sparse(self, grad, var, indices, apply_state=None):
        coefficients = (apply_state or {}).get((var.device, var.dtype.base_dtype)) or \
            self._fallback_apply_state(var.device, var.dtype.base_dtype)
        m, v = self.get_slot(var, "m"), self.get_slot(var, "v")
        m_rows = (coefficients["beta_1_t"] * tf.gather(m, indices)
                  + coefficients["one_minus_beta_1_t"] * grad)                  # [R, D]
        v_rows = (coefficients["beta_2_t"] * tf.gather(v, indices)
                  + coefficients["one_minus_beta_2_t"] * tf.square(grad))       # [R, D]
        step = coefficients["lr"] * m_rows / (tf.sqrt(v_rows) + coefficients["epsilon"])
        return tf.group(m.scatter_update(tf.IndexedSlices(m_rows, indices)),
                        v.scatter_update(tf.IndexedSlices(v_rows, indices)),
                        var.scatter_sub(tf.IndexedSlices(step, indices)))
