"""An optimizer's slot variables on resume: created before the restore, and for tables
sharded over parameter servers, restored by hand (TF would leave them at zero).

A `tf.train.Checkpoint` saves the slots of a sharded table as one whole tensor
under the table (``model/backbone/<table>/.OPTIMIZER_SLOT/optimizer/m``), but
the legacy optimizer that updates sharded tables (`ShardableAdam`) keeps one
slot per shard, which the checkpoint's deferred restoration never matches: a
resumed run would start Adam's moments from zero (measured: a one-worker
cluster, deterministic, ends with other weights when resumed than when not).
`restore_sharded_slots` assigns each shard's slots from the saved whole.
"""

import re

import tensorflow as tf

_SLOT_KEY = re.compile(r"^model/backbone/(\w+)/\.OPTIMIZER_SLOT/optimizer/(\w+)/\.ATTRIBUTES/")


def create_slots(model) -> None:
    """Creates the optimizer's slot variables for the model's weights, before a restore.

    Keras 2's optimizers (`FusedAdam`, `LazyAdam`) create them with ``build``.
    The legacy ones that update tables sharded over parameter servers
    (`ShardableAdam`, ``--strategy parameter_server``) have no ``build``: their
    slots are created by the first update (`restore_sharded_slots` fills them).
    """
    if not isinstance(model.optimizer, tf.keras.optimizers.legacy.Optimizer):
        model.optimizer.build(model.trainable_variables)


def restore_sharded_slots(model, path: str) -> int:
    """Assigns the shards' optimizer slots of `model`'s sharded backbone tables from `path`.

    Args:
        model: the model just restored from the checkpoint at `path`.
        path: the checkpoint's prefix (``.../checkpoints/ckpt-3``).

    Returns:
        How many slot tensors were assigned (0 when no table is sharded).

    Example:

    ```python
    checkpoint.restore(path)
    restore_sharded_slots(model, path)
    ```
    """
    reader = tf.train.load_checkpoint(path)
    assigned = 0
    for key in reader.get_variable_to_shape_map():
        match = _SLOT_KEY.match(key)
        table = match and getattr(model.backbone, match.group(1), None)
        if not hasattr(table, "variables") or not isinstance(getattr(table, "variables"), list):
            continue  # not a ShardedVariable (its shards are `.variables`)
        whole = reader.get_tensor(key)                                   # [rows, dim]
        start = 0
        with model.distribute_strategy.scope():
            for shard in table.variables:
                rows = int(shard.shape[0])
                model.optimizer.add_slot(shard, match.group(2)).assign(whole[start:start + rows])
                start += rows
        assigned += 1
    return assigned
