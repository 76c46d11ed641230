"""Adam with one fused kernel per variable (dense) or per touched row (lazy), and the choice."""

import tensorflow as tf

#: `choose_optimizer`'s threshold: tables of more user + item rows get LazyAdam under
#: ``optimizer="auto"``. Every paper dataset (at most 54,000 rows) stays below it, so
#: their runs keep the reference's dense update. Measured (benchmarks/results/scale.md,
#: AHNS M=32, batch 2048, 2 cores): dense 13.2 / lazy 13.8 ms per step at 2x10^4 rows,
#: 34.5 / 18.9 ms at 2x10^5, 190 / 16.5 ms at 2x10^6.
AUTO_SPARSE_ROWS = 100_000


def choose_optimizer(name: str, num_rows: int) -> str:
    """Resolves ``--optimizer``: ``"auto"`` becomes ``"adam"`` or ``"lazy_adam"`` by table size.

    Dense Adam moves every row of both tables every step, so its step cost
    grows with the catalogue; LazyAdam's grows with the batch only. ``auto``
    keeps the reference's dense update up to `AUTO_SPARSE_ROWS` rows (users +
    items) and switches to LazyAdam above; other names pass through.

    Args:
        name: ``"auto"``, ``"adam"`` or ``"lazy_adam"``.
        num_rows: rows of the embedding tables (num_users + num_items).

    Returns:
        ``"adam"`` or ``"lazy_adam"``.

    Example:

    >>> choose_optimizer("auto", 16_638 + 10_217)
    'adam'
    >>> choose_optimizer("auto", 2_000_000)
    'lazy_adam'
    """
    if name == "auto":
        return "lazy_adam" if int(num_rows) > AUTO_SPARSE_ROWS else "adam"
    if name not in ("adam", "lazy_adam"):
        raise ValueError(f"--optimizer must be one of auto, adam, lazy_adam, got {name!r}")
    return name



def resolve_optimizer_setting(config: dict, num_rows: int) -> dict:
    """A config dict with its ``"optimizer"`` replaced by what it resolves to (`choose_optimizer`).

    Run folders saved before ``--optimizer auto`` became the default store
    ``"adam"`` (or ``"lazy_adam"``); comparing resolved values makes ``auto``
    the same run as the explicit choice it stands for on these tables, and
    still a different run from the other choice.

    Args:
        config: a JSON config (e.g. the one a run folder's progress.json holds).
        num_rows: rows of the run's embedding tables (num_users + num_items).

    Returns:
        A copy of `config`; an absent or unknown optimizer is left as it is
        (so it still counts as a difference).

    Example:

    >>> resolve_optimizer_setting({"optimizer": "auto", "dim": 64}, 70)
    {'optimizer': 'adam', 'dim': 64}
    """
    name = config.get("optimizer")
    if name not in ("auto", "adam", "lazy_adam"):
        return dict(config)
    return dict(config, optimizer=choose_optimizer(name, num_rows))

@tf.keras.utils.register_keras_serializable(package="ahns_tf")
class FusedAdam(tf.keras.optimizers.Adam):
    """Dense Adam applied with TensorFlow's fused ``ResourceApplyAdam`` kernel.

    Same update as `tf.keras.optimizers.Adam` (and as the reference code's
    PyTorch Adam, which updates every embedding row each step because the
    gradient of an indexed parameter is dense): rows absent from the batch
    still move by their decaying momentum. Keras' own Adam performs that dense
    update as about ten separate full-table element-wise ops per step; the
    fused kernel does it in one pass over each table. Sparse gradients are
    densified first. The kernel
    exists for CPU and GPU. `amsgrad` is not supported.

    The defaults follow `torch.optim.Adam`, as the reference code does:
    ``epsilon=1e-8`` added to the bias-corrected ``sqrt(v_hat)``
    (``adaptive_epsilon=True``), not Keras' 1e-7 added to the uncorrected
    ``sqrt(v)``. This matters here: per-row BPR gradients of a 2048-pair
    batch are ~1e-6, the same order as Keras' epsilon.

    Args:
        learning_rate: step size. Defaults to 1e-3.
        epsilon: see above. Defaults to 1e-8.
        adaptive_epsilon: see above. Defaults to True.
        **kwargs: passed to `tf.keras.optimizers.Adam`.

    Example:

    ```python
    model.compile(optimizer=FusedAdam(1e-3))
    ```
    """

    def __init__(self, learning_rate=1e-3, epsilon=1e-8, adaptive_epsilon=True, **kwargs):
        if kwargs.get("amsgrad"):
            raise ValueError("FusedAdam does not support amsgrad=True; use tf.keras.optimizers.Adam")
        kwargs.setdefault("name", "FusedAdam")
        super().__init__(learning_rate=learning_rate, epsilon=epsilon,
                         adaptive_epsilon=adaptive_epsilon, **kwargs)

    def update_step(self, gradient, variable):
        dtype = variable.dtype
        step = tf.cast(self.iterations + 1, dtype)
        beta_1 = tf.cast(self.beta_1, dtype)
        beta_2 = tf.cast(self.beta_2, dtype)
        index = self._index_dict[self._var_key(variable)]
        beta_2_power = tf.pow(beta_2, step)
        epsilon = tf.cast(self.epsilon, dtype)
        if self.adaptive_epsilon:  # epsilon on sqrt(v / (1 - beta_2^t)), as torch does
            epsilon = epsilon * tf.sqrt(1.0 - beta_2_power)
        if isinstance(gradient, tf.IndexedSlices):
            gradient = tf.convert_to_tensor(gradient)  # summed over repeated rows
        tf.raw_ops.ResourceApplyAdam(
            var=variable.handle, m=self._momentums[index].handle,
            v=self._velocities[index].handle,
            beta1_power=tf.pow(beta_1, step), beta2_power=beta_2_power,
            lr=tf.cast(self.learning_rate, dtype), beta1=beta_1, beta2=beta_2,
            epsilon=epsilon, grad=gradient, use_locking=False)


@tf.keras.utils.register_keras_serializable(package="ahns_tf")
class LazyAdam(FusedAdam):
    """Adam that updates only the embedding rows present in the batch.

    For sparse (`tf.IndexedSlices`) gradients, the first and second moments
    and the variable are updated only at the rows the batch touched, like
    `torch.optim.SparseAdam` and TF Addons' ``LazyAdam``; rows absent from the
    batch keep their moments and do not move. The cost per step is
    proportional to the batch, not to the tables. Dense gradients take the
    `FusedAdam` path. This is *not* the reference code's (dense) update, so
    results can differ slightly (measured: docs/results.md).

    Example:

    ```python
    model.compile(optimizer=LazyAdam(1e-3))
    ```
    """

    def __init__(self, learning_rate=1e-3, **kwargs):
        kwargs.setdefault("name", "LazyAdam")
        super().__init__(learning_rate=learning_rate, **kwargs)

    def update_step(self, gradient, variable):
        if not isinstance(gradient, tf.IndexedSlices):
            return super().update_step(gradient, variable)
        dtype = variable.dtype
        step = tf.cast(self.iterations + 1, dtype)
        beta_1 = tf.cast(self.beta_1, dtype)
        beta_2 = tf.cast(self.beta_2, dtype)
        beta_2_power = tf.pow(beta_2, step)
        epsilon = tf.cast(self.epsilon, dtype)
        if self.adaptive_epsilon:
            epsilon = epsilon * tf.sqrt(1.0 - beta_2_power)
        lr = tf.cast(self.learning_rate, dtype) * tf.sqrt(1.0 - beta_2_power) / (
            1.0 - tf.pow(beta_1, step))
        index = self._index_dict[self._var_key(variable)]
        m, v = self._momentums[index], self._velocities[index]
        rows, position = tf.unique(gradient.indices)                     # [R], [n]
        grad = tf.math.unsorted_segment_sum(gradient.values, position, tf.shape(rows)[0])
        m_rows = beta_1 * tf.gather(m, rows) + (1.0 - beta_1) * grad     # [R, D]
        v_rows = beta_2 * tf.gather(v, rows) + (1.0 - beta_2) * tf.square(grad)
        m.scatter_update(tf.IndexedSlices(m_rows, rows))
        v.scatter_update(tf.IndexedSlices(v_rows, rows))
        variable.scatter_sub(tf.IndexedSlices(lr * m_rows / (tf.sqrt(v_rows) + epsilon), rows))
