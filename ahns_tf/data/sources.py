"""Stage 1 of the data path: read a source into a `Log`.

Three sources, registered in `ahns_tf.registry.SOURCES` (each entry's
``claims`` says which config it reads):

* ``text``: a folder in the paper's format (``--dataset NAME --data-dir DIR``:
  ``DIR/NAME/train.txt``, ``test.txt``, optionally ``valid.txt``), integer ids
  that are the embedding rows, and the files' own split (``--split given``);
* ``file``: a CSV/TSV/Parquet log with raw ids (``--data-file``);
* ``tfds``: a prepared TensorFlow Datasets dataset (``--dataset tfds:NAME``).

A new source is a function ``config -> Log`` and one registry line.
"""

import os

import numpy as np

from ahns_tf.data.log import Log
from ahns_tf.data.paper_files import locate
from ahns_tf.data.read_table import read_log
from ahns_tf.data.read_text import read_pairs
from ahns_tf.data.split import TEST, TRAIN, VALID

#: The text format's files, in reading order (earlier rows win a duplicate).
TEXT_PARTS = (("train", TRAIN), ("valid", VALID), ("test", TEST))


def read_text(name: str, data_dir=None, download: bool = True, num_users: int = None,
              num_items: int = None) -> Log:
    """Reads ``<data_dir>/<name>/{train,valid,test}.txt`` into one `Log` with its parts.

    Args:
        name: a benchmark name or your own folder's (see `ahns_tf.data.paper_files.locate`).
        data_dir: the data folder.
        download: fetch missing benchmark files.
        num_users: declared user count; a larger id is an error naming its line.
        num_items: declared item count; a larger id is an error naming its line.

    Returns:
        A `Log` of integer ids with ``parts`` and ``id_range`` (largest listed
        id + 1, including users listed without items, unless declared).

    Example:

    >>> read_text("tools", "../shared/data/ahns").id_range  # doctest: +SKIP
    (16638, 10217)
    """
    paths = locate(name, data_dir, download=download)
    users, items, listed, parts, part_paths = [], [], [], [], {}
    for key, code in TEXT_PARTS:
        if key not in paths:
            continue
        u, i, seen = read_pairs(paths[key], num_users, num_items)
        users.append(u), items.append(i), listed.append(seen)
        parts.append(np.full(u.shape, code, np.int8))
        part_paths[code] = paths[key]
    users, items, listed = (np.concatenate(a) for a in (users, items, listed))
    id_range = (num_users or 1 + int(max(listed.max(initial=-1), users.max(initial=-1))),
                num_items or 1 + int(items.max(initial=-1)))
    return Log(os.path.dirname(paths["train"]), users, items, parts=np.concatenate(parts),
               id_range=id_range, part_paths=part_paths)


def text_source(config) -> Log:
    """The ``text`` source of a `TrainConfig`."""
    return read_text(config.dataset, config.data_dir, num_users=config.num_users,
                     num_items=config.num_items)


def file_source(config) -> Log:
    """The ``file`` source of a `TrainConfig`: ``--data-file`` with its column flags."""
    path = os.fspath(config.data_file)
    return Log.from_table(path, read_log(path, config.user_col, config.item_col,
                                         config.time_col, config.rating_col))


def tfds_source(config) -> Log:
    """The ``tfds`` source of a `TrainConfig`: ``--dataset tfds:NAME`` (read offline)."""
    from ahns_tf.data.read_tfds import read_tfds  # pylint: disable=g-import-not-at-top
    name = config.dataset[len("tfds:"):]
    return Log.from_table(config.dataset, read_tfds(name, config.tfds_data_dir, config.user_col,
                                                    config.item_col, config.time_col,
                                                    config.rating_col))


def valid_file(config):
    """The validation file a ``--split given`` text dataset comes with, or None."""
    if config.split != "given":
        return None
    return locate(config.dataset, config.data_dir, download=False).get("valid")
