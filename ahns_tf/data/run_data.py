"""A run's data, saved with it: a digest of its parts, and for raw ids the vocabulary and split.

``data-digest.json`` (every run) holds the id ranges and a SHA-256 of each
part's (user, item) pairs, so a run never resumes, nor exports, on other data
than it began with, whatever the source. A raw-id run also keeps
``vocabulary.json`` and ``split.parquet``:

``split.parquet`` holds every kept interaction (its 0-based data row in the
source, raw ids, time, rating, and part), from which `load_run_dataset`
rebuilds the exact dataset (e.g. to export again) without the source.
"""

import dataclasses
import hashlib
import json
import os
from typing import Optional

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ahns_tf.atomic import atomic_file, atomic_write_text
from ahns_tf.data.dataset import RecDataset, make_dataset
from ahns_tf.data.interactions import DataFormatError
from ahns_tf.data.log import Log
from ahns_tf.data.read_table import data_position
from ahns_tf.data.split import PART_NAMES, TEST, TRAIN, VALID
from ahns_tf.data.vocabulary import Vocabulary

SPLIT_FILE = "split.parquet"
DIGEST_FILE = "data-digest.json"


def data_digest(dataset: RecDataset) -> dict:
    """``{"num_users", "num_items", "parts": {part: sha256 of its pairs}}`` of `dataset`, and
    ``"features": {side: sha256}`` of its feature files' kinds, vocabularies and token ids.

    Example:

    ```python
    data_digest(load_data(config))["parts"]["train"]  # '3f1c...'
    ```
    """
    parts = {}
    for name in ("train", "valid", "test"):
        part = getattr(dataset, name)
        if part is not None:
            pairs = np.stack([part.users, part.items], 1).astype(np.int64)
            parts[name] = hashlib.sha256(pairs.tobytes()).hexdigest()
    digest = {"num_users": int(dataset.num_users), "num_items": int(dataset.num_items),
              "parts": parts}
    if dataset.features:  # the feature files, as fitted and encoded for every row
        digest["features"] = {side: hashlib.sha256(
            json.dumps(spec.to_json(), sort_keys=True).encode() + matrix.tokens.tobytes()
            + matrix.weights.tobytes()).hexdigest()
            for side, (spec, matrix) in dataset.features.items()}
    return digest


def changed_digest(run_dir: str, dataset: RecDataset) -> Optional[str]:
    """What differs between `run_dir`'s ``data-digest.json`` and `dataset` (None: the same,
    or a run that saved none); feature files are compared when `dataset` has them."""
    path = os.path.join(run_dir, DIGEST_FILE)
    if not os.path.isfile(path):
        return None
    with open(path) as f:
        saved = json.load(f)
    now = data_digest(dataset)
    for key in ("num_users", "num_items"):
        if saved.get(key) != now[key]:
            return f"{key} was {saved.get(key):,}, is now {now[key]:,}"
    changed = sorted(p for p in set(saved["parts"]) | set(now["parts"])
                     if saved["parts"].get(p) != now["parts"].get(p))
    if changed:
        return f"its {' and '.join(changed)} interactions differ"
    if "features" not in now:  # not read (an export reads a log's run folder, not its files)
        return None
    before, after = saved.get("features") or {}, now["features"]
    sides = sorted(s for s in set(before) | set(after) if before.get(s) != after.get(s))
    return (f"its {' and '.join(sides)} features differ (the --{sides[0]}-features file, or "
            f"their kinds)" if sides else None)


def save_digest(run_dir: str, dataset: RecDataset) -> str:
    """Writes ``<run_dir>/data-digest.json`` atomically; returns its path."""
    path = os.path.join(run_dir, DIGEST_FILE)
    atomic_write_text(path, json.dumps(data_digest(dataset), indent=1))
    return path


def save_run_data(run_dir: str, dataset: RecDataset) -> None:
    """Writes ``vocabulary.json`` and ``split.parquet`` into the run folder (atomically)."""
    dataset.vocabulary.save(run_dir)
    with atomic_file(os.path.join(run_dir, SPLIT_FILE), "wb") as f:
        pq.write_table(dataset.assignments, f)


def changed_run_data(run_dir: str, dataset: RecDataset) -> Optional[str]:
    """What differs between `run_dir`'s saved split and vocabulary and `dataset`'s, or None.

    A resumed run re-reads its log; if the log changed meanwhile, the rows of
    its checkpoint would belong to other ids, or it would go on training on
    other interactions than the epochs before. Every column of the saved
    ``split.parquet`` is compared (ids, times, ratings, parts), not only the
    ids and parts.

    Returns:
        None when they agree (or nothing was saved yet); else the first
        difference, e.g. ``"item_id of data row 0 (line 2) was 'i0', is now 'i5'"``.

    Example:

    ```python
    changed_run_data("runs/mylog-ahns", load_data(config))  # None: the same log
    ```
    """
    path = os.path.join(run_dir, SPLIT_FILE)
    if not os.path.isfile(path):
        return None
    saved, now = pq.read_table(path), dataset.assignments
    if saved.column_names != now.column_names:
        return f"its columns were {saved.column_names}, are now {now.column_names}"
    if saved.num_rows != now.num_rows:
        return f"it kept {saved.num_rows:,} interactions, now {now.num_rows:,}"
    for name in now.column_names:
        old, new = saved.column(name).combine_chunks(), now.column(name).combine_chunks()
        if old.type != new.type:
            return f"its {name} column was {old.type}, is now {new.type}"
        if not old.equals(new):
            differs = pc.fill_null(pc.not_equal(old, new), True)
            index = int(np.flatnonzero(differs.to_numpy(zero_copy_only=False))[0])
            row = now.column("row")[index].as_py()
            where = data_position(dataset.train.path.split("#")[0], row)
            place = f"line {where}" if isinstance(where, int) else where
            return (f"{name} of data row {row} ({place}) was {old[index].as_py()!r}, is now "
                    f"{new[index].as_py()!r}")
    if Vocabulary.load(run_dir) != dataset.vocabulary:
        return "its ids are not the run's vocabulary.json"
    return None


def load_run_dataset(run_dir: str, name: str) -> RecDataset:
    """The dataset a run trained on, from its ``vocabulary.json`` and ``split.parquet``.

    Raises:
        FileNotFoundError: the run has no saved split (not a raw-id run).
        DataFormatError: the two files do not agree (named).

    Example:

    ```python
    dataset = load_run_dataset("runs/mylog-ahns", "mylog")
    ```
    """
    path = os.path.join(run_dir, SPLIT_FILE)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path} not found: {run_dir} is not the --output-dir of a "
                                f"--data-file or tfds: run")
    table = pq.read_table(path)
    names = table.column("part").to_numpy(zero_copy_only=False)      # [n] part names
    parts = np.full(names.shape, TRAIN, np.int8)
    parts[names == PART_NAMES[VALID]], parts[names == PART_NAMES[TEST]] = VALID, TEST
    log = dataclasses.replace(Log.from_table(path, table.drop_columns(["part"])), parts=parts)
    dataset = make_dataset(name, log, "given", validation=bool((parts == VALID).any()))
    if dataset.vocabulary != Vocabulary.load(run_dir):
        raise DataFormatError(path, None, "its ids are not the run's vocabulary.json")
    return dataset
