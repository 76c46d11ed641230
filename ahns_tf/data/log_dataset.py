"""A `RecDataset` from a log with raw ids: read, filter, index, split, and save with the run.

``--data-file PATH`` (CSV/TSV/Parquet) or ``--dataset tfds:NAME`` -> `read_log` /
`read_tfds` -> `implicit_positives` (min rating, duplicates, k-core) ->
`Vocabulary` (raw id -> dense index) -> `split_parts` -> `RecDataset` carrying
the vocabulary and the assignments. The run directory gets ``vocabulary.json``
and ``split.parquet`` (every kept interaction: its 0-based data row in the
source, raw ids, time, and part), from which `load_run_dataset` rebuilds the
exact dataset (e.g. to export again) without the source.
"""

import os

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ahns_tf.atomic import atomic_file
from ahns_tf.data.checks import DataSettingsError
from ahns_tf.data.dataset import RecDataset
from ahns_tf.data.log_filters import implicit_positives, time_values
from ahns_tf.data.logs import read_log
from ahns_tf.data.reader import DataFormatError, Interactions
from ahns_tf.data.split_log import PART_NAMES, TEST, TRAIN, VALID, split_parts
from ahns_tf.data.vocabulary import Vocabulary

SPLIT_FILE = "split.parquet"
TFDS_PREFIX = "tfds:"


def is_log_source(config) -> bool:
    """Whether a config reads a log with raw ids (``--data-file`` or ``tfds:NAME``)."""
    return bool(config.data_file) or config.dataset.startswith(TFDS_PREFIX)


def _dataset(name: str, source: str, table: pa.Table, parts: np.ndarray,
             vocabulary: Vocabulary) -> RecDataset:
    """The `RecDataset` of an indexed, split table (one interaction a row)."""
    users = vocabulary.user_index(table.column("user_id"))           # [n]
    items = vocabulary.item_index(table.column("item_id"))           # [n]
    if (users < 0).any() or (items < 0).any():
        raise DataFormatError(source, None, "an id is missing from the run's vocabulary.json")

    def part(code):
        mask = parts == code
        return Interactions.from_pairs(users[mask], items[mask],
                                       path=f"{source}#{PART_NAMES[code]}")

    train, valid, test = part(TRAIN), part(VALID), part(TEST)
    if len(train) == 0 or len(test) == 0:
        raise DataFormatError(source, None, f"the split leaves {len(train)} training and "
                              f"{len(test)} test interactions; use more data, another --split "
                              f"or other ratios")
    assignments = table.append_column("part", pa.array(np.asarray(PART_NAMES)[parts]))
    return RecDataset(name, len(vocabulary.users), len(vocabulary.items), train,
                      valid if (parts == VALID).any() else None, test, vocabulary, assignments)


def load_log_dataset(config) -> RecDataset:
    """Reads, filters, indexes and splits the log a (resolved) `TrainConfig` names.

    The validation part is made only under ``--select-on valid``.

    Raises:
        DataFormatError: a bad file, or nothing left after filtering/splitting.
        ValueError: bad split settings (naming the flag).

    Example:

    ```python
    config = TrainConfig(dataset="mylog", data_file="mylog.csv", split="leave_one_out")
    dataset = load_log_dataset(config.resolved())
    dataset.vocabulary.users[:3]
    ```
    """
    if config.data_file:
        source = os.fspath(config.data_file)
        table = read_log(source, config.user_col, config.item_col, config.time_col,
                         config.rating_col)
    else:
        from ahns_tf.data.tfds_source import read_tfds  # pylint: disable=g-import-not-at-top
        source = config.dataset
        table = read_tfds(config.dataset[len(TFDS_PREFIX):], config.tfds_data_dir,
                          config.user_col, config.item_col, config.time_col, config.rating_col)
    try:  # a setting the log cannot satisfy (--min-rating without ratings, ...)
        table, counts = implicit_positives(table, config.min_rating,
                                           config.min_user_interactions,
                                           config.min_item_interactions)
    except ValueError as e:
        raise DataSettingsError(f"{source}: {e}") from None
    print(counts.describe(source))
    if table.num_rows == 0:
        raise DataFormatError(source, None, "no interactions left after --min-rating and the "
                              "k-core filter (--min-user-interactions, --min-item-interactions)")
    vocabulary = Vocabulary.from_ids(table.column("user_id"), table.column("item_id"))
    valid_ratio = config.valid_ratio if config.select_on == "valid" else 0.0
    try:
        parts = split_parts(vocabulary.user_index(table.column("user_id")), time_values(table),
                            config.split, config.test_ratio, valid_ratio, config.seed)
    except ValueError as e:
        raise DataSettingsError(f"{source}: {e}") from None
    return _dataset(config.dataset, source, table, parts, vocabulary)


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
        FileNotFoundError: the run has no saved split (not a log run).
    """
    path = os.path.join(run_dir, SPLIT_FILE)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path} not found: {run_dir} is not the --output-dir of a "
                                f"--data-file or tfds: run")
    table = pq.read_table(path)
    names = table.column("part").to_numpy(zero_copy_only=False)      # [n] part names
    parts = np.full(names.shape, TRAIN, np.int8)
    parts[names == PART_NAMES[VALID]], parts[names == PART_NAMES[TEST]] = VALID, TEST
    return _dataset(name, path, table.drop_columns(["part"]), parts, Vocabulary.load(run_dir))
