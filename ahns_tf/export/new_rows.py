"""New items (and users) the day they arrive: added to an export from their features alone.

``python -m pipelines.export --run-dir RUN --item-features new_items.csv`` reads
the file with the run's own feature kinds and vocabularies (``features.json``)
and embeds with the trained towers (``backbone.npz``;
`ahns_tf.models.towers.embed_new_rows`: no id part, as a cold item in training)
every id the run's vocabulary lacks (appended to the catalogue) and every id it
knows but neither trained nor had features for (embedded in place), so the new
SavedModel version serves, scores and embeds them; the same for users with
``--user-features`` (answered from their features, ``from_features = true``).
Ids the run trained or embedded from features keep their embeddings.

Example:

```python
dataset, users, items, state = add_new_rows(run_dir, dataset, users, items, state,
                                            item_file="new_items.csv")
export_run(config, dataset, users, items, backbone_state=state)
```
"""

import dataclasses

import numpy as np

from ahns_tf.data.features import encode_features, load_specs
from ahns_tf.data.read_features import read_for_spec
from ahns_tf.data.vocabulary import Vocabulary, index_of
from ahns_tf.export.from_run import served_rows
from ahns_tf.models.towers import embed_new_rows


def add_new_rows(run_dir: str, dataset, user_table, item_table, state: dict,
                 item_file: str = None, user_file: str = None):
    """Adds the ids of `item_file` / `user_file` that the run cannot serve from their features.

    An id the run does not know is appended; an id it knows but never trained and had no
    features for (only in the validation or test part) is embedded in place. Ids the run
    trained, or embedded from features, keep their embeddings.

    Args:
        run_dir: the run's folder (its ``features.json``).
        dataset: the run's `RecDataset` (with its vocabulary and training split).
        user_table, item_table: the trained embeddings [rows, dim].
        state: the towers' `export_state` (``backbone.npz``).
        item_file, user_file: feature files of the new rows (None: none).

    Returns:
        ``(dataset, user_table, item_table, state)`` with the new rows in place
        (the vocabulary, the tables and ``<side>_has_features``).

    Raises:
        ValueError: the run has no feature towers for that side (named).
        DataFormatError: the file lacks a column of the run, or has a bad value.
    """
    specs = load_specs(run_dir)
    tables = {"user": np.array(user_table), "item": np.array(item_table)}
    ids = {"user": dataset.vocabulary.users, "item": dataset.vocabulary.items}
    trained = {"user": dataset.train.users, "item": dataset.train.items}
    state = dict(state)
    for side, path in (("item", item_file), ("user", user_file)):
        if not path:
            continue
        if side not in specs or f"{side}_feature_embeddings" not in state:
            raise ValueError(f"--{side}-features: {run_dir} was not trained with {side} feature "
                             f"towers (--backbone towers --{side}-features FILE), so it cannot "
                             f"embed {side}s from their features")
        spec = specs[side]
        table = read_for_spec(path, spec, f"--{side}-features")
        featured = np.array(state[f"{side}_has_features"], bool)
        served = served_rows(len(featured), trained[side], featured)    # [rows]
        file_ids = np.asarray(table.column(spec.key).to_pylist(), object)
        rows = index_of(ids[side], file_ids)                            # -1: new
        stale = rows[(rows >= 0)]
        stale = stale[~served[stale]]                  # known, never trained, no features
        fresh = file_ids[rows < 0]
        added = None
        for where, which in ((stale, ids[side][stale]), (None, fresh)):
            matrix = encode_features(spec, table, which, say_ignored=False)
            emb = embed_new_rows(state, side, matrix)
            if where is None:
                tables[side] = np.concatenate([tables[side], emb])
                added = matrix.has_features      # a line of empty cells is no features
            else:
                tables[side][where] = emb
                featured[where] = matrix.has_features
        ids[side] = np.concatenate([ids[side], fresh])
        state[f"{side}_has_features"] = np.concatenate([featured, added])
        print(f"{path}: {len(fresh):,} new {side}s added from their features, {len(stale):,} "
              f"known but never trained embedded from them; {len(table) - len(fresh) - len(stale):,} "
              f"already served keep their embeddings")
    dataset = dataclasses.replace(dataset, num_users=len(ids["user"]),
                                  num_items=len(ids["item"]),
                                  vocabulary=Vocabulary(ids["user"], ids["item"]))
    return dataset, tables["user"], tables["item"], state
