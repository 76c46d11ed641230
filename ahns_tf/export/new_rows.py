"""New items (and users) the day they arrive: appended to an export from their features alone.

``python -m pipelines.export --run-dir RUN --item-features new_items.csv`` reads
the file with the run's own feature kinds and vocabularies (``features.json``),
embeds every id the run's vocabulary lacks with the trained towers
(``backbone.npz``; `ahns_tf.models.towers.embed_new_rows`: no id part, as a
cold item in training), and appends those rows to the catalogue, so the new
SavedModel version serves, scores and embeds them; the same for users with
``--user-features`` (answered from their features, ``from_features = true``).
Ids the run already knows keep their trained embeddings.

Example:

```python
dataset, users, items, state = add_new_rows(run_dir, dataset, users, items, state,
                                            item_file="new_items.csv")
export_run(config, dataset, users, items, backbone_state=state)
```
"""

import dataclasses

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ahns_tf.data.features import encode_features, load_specs, read_feature_file
from ahns_tf.data.vocabulary import Vocabulary
from ahns_tf.models.towers import embed_new_rows


def _new_ids(table: pa.Table, key: str, known: np.ndarray) -> np.ndarray:
    """The file's ids that `known` lacks, in file order (object [n])."""
    ids = table.column(key)
    fresh = pc.invert(pc.is_in(ids, value_set=pa.array(known.tolist(), pa.string())))
    return np.asarray(pc.filter(ids, fresh).to_pylist(), object)


def add_new_rows(run_dir: str, dataset, user_table, item_table, state: dict,
                 item_file: str = None, user_file: str = None):
    """Appends the ids of `item_file` / `user_file` that the run does not know.

    Args:
        run_dir: the run's folder (its ``features.json``).
        dataset: the run's `RecDataset` (with its vocabulary).
        user_table, item_table: the trained embeddings [rows, dim].
        state: the towers' `export_state` (``backbone.npz``).
        item_file, user_file: feature files of the new rows (None: none).

    Returns:
        ``(dataset, user_table, item_table, state)`` with the new rows appended
        (the vocabulary, the tables and ``<side>_has_features``).

    Raises:
        ValueError: the run has no feature towers for that side (named).
    """
    specs = load_specs(run_dir)
    tables = {"user": np.asarray(user_table), "item": np.asarray(item_table)}
    ids = {"user": dataset.vocabulary.users, "item": dataset.vocabulary.items}
    state = dict(state)
    for side, path in (("item", item_file), ("user", user_file)):
        if not path:
            continue
        if side not in specs or f"{side}_feature_embeddings" not in state:
            raise ValueError(f"--{side}-features: {run_dir} was not trained with {side} feature "
                             f"towers (--backbone towers --{side}-features FILE), so it cannot "
                             f"embed {side}s from their features")
        spec = specs[side]
        table = read_feature_file(path, spec.key, f"--{side}-features")
        fresh = _new_ids(table, spec.key, ids[side])
        matrix = encode_features(spec, table, fresh)
        tables[side] = np.concatenate([tables[side], embed_new_rows(state, side, matrix)])
        ids[side] = np.concatenate([ids[side], fresh])
        state[f"{side}_has_features"] = np.concatenate(
            [state[f"{side}_has_features"], np.ones(len(fresh), bool)])
        print(f"{path}: {len(fresh):,} new {side}s added from their features; "
              f"{len(table) - len(fresh):,} already known keep their trained embeddings")
    dataset = dataclasses.replace(dataset, num_users=len(ids["user"]),
                                  num_items=len(ids["item"]),
                                  vocabulary=Vocabulary(ids["user"], ids["item"]))
    return dataset, tables["user"], tables["item"], state
