"""A raw-id run's data, saved with it: ``vocabulary.json`` and ``split.parquet``.

``split.parquet`` holds every kept interaction (its 0-based data row in the
source, raw ids, time, rating, and part), from which `load_run_dataset`
rebuilds the exact dataset (e.g. to export again) without the source.
"""

import dataclasses
import os

import numpy as np
import pyarrow.parquet as pq

from ahns_tf.atomic import atomic_file
from ahns_tf.data.dataset import RecDataset, make_dataset
from ahns_tf.data.interactions import DataFormatError
from ahns_tf.data.log import Log
from ahns_tf.data.split import PART_NAMES, TEST, TRAIN, VALID
from ahns_tf.data.vocabulary import Vocabulary

SPLIT_FILE = "split.parquet"


def save_run_data(run_dir: str, dataset: RecDataset) -> None:
    """Writes ``vocabulary.json`` and ``split.parquet`` into the run folder (atomically)."""
    dataset.vocabulary.save(run_dir)
    with atomic_file(os.path.join(run_dir, SPLIT_FILE), "wb") as f:
        pq.write_table(dataset.assignments, f)


def same_run_data(run_dir: str, dataset: RecDataset) -> bool:
    """Whether `run_dir`'s saved vocabulary and split (if any) are `dataset`'s.

    A resumed run re-reads its log; if the log changed meanwhile, the rows of
    its checkpoint would belong to other ids.
    """
    path = os.path.join(run_dir, SPLIT_FILE)
    if not os.path.isfile(path):
        return True
    saved = pq.read_table(path, columns=["row", "part"])
    return (Vocabulary.load(run_dir) == dataset.vocabulary and
            saved.column("row").equals(dataset.assignments.column("row")) and
            saved.column("part").equals(dataset.assignments.column("part")))


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
