"""Exports a run's embeddings as a versioned SavedModel that never serves a training item."""

import numpy as np

from ahns_tf.data.checks import check_top_k
from ahns_tf.export.raw_ids import RawIdServingModule
from ahns_tf.export.saved_model import export_retrieval_model
from ahns_tf.export.serving import RetrievalServingModule


def served_rows(count: int, trained, featured=None) -> np.ndarray:
    """bool [count]: the rows that may be served, those with a training interaction (`trained`:
    their ids) or with features (`featured`: bool over the first rows, or None)."""
    served = np.zeros(count, bool)
    served[trained] = True
    if featured is not None:
        served[:len(featured)] |= np.asarray(featured, bool)
    return served


def export_run(config, dataset, user_table, item_table, export_dir: str = None,
               top_k: int = None, version: int = None, backbone_state: dict = None) -> str:
    """Exports embeddings as a versioned SavedModel excluding all training-file items.

    Everything in ``train.txt`` (including the validation hold-out) is excluded
    from recommendations; a log with raw ids is served by those ids. An item
    is served only if it has a training interaction or features; a user never
    trained is answered from its embedding only if it has features.

    Args:
        config: the run's resolved `TrainConfig` (``export_dir``, ``top_k``).
        dataset: the `RecDataset` the run trained on (with new rows appended,
            `ahns_tf.export.new_rows`).
        user_table: float [num_users, dim] user embeddings.
        item_table: float [num_items, dim] item embeddings.
        export_dir: the model's base path (default: ``config.export_dir``).
        top_k: K of ``serving_default`` (default: ``config.top_k``); at most the
            number of items (`DataSettingsError` otherwise).
        version: the version number (default: the highest + 1).
        backbone_state: the backbone's `export_state` (feature towers: which rows
            have features, ``<side>_has_features``), or None.

    Returns:
        The new version folder.

    Example:

    ```python
    export_run(config, dataset, users, items)  # saved_models/tools/1
    ```
    """
    k = config.top_k if top_k is None else top_k  # 0 is an error, never "the run's K"
    check_top_k(k, dataset.num_items)
    state = backbone_state or {}
    servable = served_rows(dataset.num_items, dataset.train.items,
                           state.get("item_has_features"))
    module = RetrievalServingModule(user_table, item_table, dataset.known_interactions(),
                                    k=k, trained_users=dataset.train.users,
                                    feature_users=state.get("user_has_features"),
                                    servable_items=servable)
    if dataset.vocabulary is not None:  # --data-file / tfds: serve the log's own ids
        module = RawIdServingModule(module, dataset.vocabulary)
    return export_retrieval_model(module, export_dir or config.export_dir, version)
