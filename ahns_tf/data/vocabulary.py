"""Raw id <-> dense index vocabularies, built once and saved with the run.

Row ``i`` of the user (item) embedding table belongs to ``users[i]`` (``items[i]``).
The ids are sorted as text, so the same set of ids always gives the same indices
whatever the order of the log. Training, evaluation, the export (which embeds
the vocabulary in the SavedModel as a lookup table) and warm starts all use
the run's ``vocabulary.json``.
"""

import dataclasses
import json
import os

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ahns_tf.atomic import atomic_write_text

FILE_NAME = "vocabulary.json"


def _arrow(values):
    """A pyarrow string array of `values` (a list, numpy array or pyarrow array)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        return values if values.type == pa.string() else pc.cast(values, pa.string())
    return pa.array(np.asarray(values, object).tolist(), pa.string())


def index_of(vocab: np.ndarray, values) -> np.ndarray:
    """int64 [n] positions of `values` in `vocab` (distinct raw ids); -1 where absent.

    Example:

    >>> index_of(np.array(["a", "b"], object), ["b", "c"]).tolist()
    [1, -1]
    """
    found = pc.index_in(_arrow(values), value_set=_arrow(vocab))   # hashing, nulls if absent
    return pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.int64)


@dataclasses.dataclass(frozen=True)
class Vocabulary:
    """The raw ids of the users and items, in embedding-row order.

    Attributes:
        users: str [num_users] raw user ids, sorted, distinct.
        items: str [num_items] raw item ids, sorted, distinct.
    """

    users: np.ndarray
    items: np.ndarray

    @classmethod
    def from_ids(cls, users, items) -> "Vocabulary":
        """The sorted distinct ids of two sequences of raw ids.

        Example:

        >>> Vocabulary.from_ids(["u2", "u1", "u2"], ["b", "a"]).users.tolist()
        ['u1', 'u2']
        """
        def distinct(values):
            values = pc.unique(_arrow(values))
            return np.asarray(values.take(pc.sort_indices(values)).to_pylist(), object)
        return cls(distinct(users), distinct(items))

    def __len__(self):
        return len(self.users) + len(self.items)


    def user_index(self, values) -> np.ndarray:
        """int64 [n] rows of raw user ids; -1 for an id not in the vocabulary.

        Example:

        >>> Vocabulary.from_ids(["a", "b"], ["x"]).user_index(["b", "zz"]).tolist()
        [1, -1]
        """
        return index_of(self.users, values)

    def item_index(self, values) -> np.ndarray:
        """int64 [n] rows of raw item ids; -1 for an id not in the vocabulary."""
        return index_of(self.items, values)

    def save(self, run_dir: str) -> str:
        """Writes ``<run_dir>/vocabulary.json`` atomically; returns its path."""
        path = os.path.join(run_dir, FILE_NAME)
        atomic_write_text(path, json.dumps({"user_ids": self.users.tolist(),
                                            "item_ids": self.items.tolist()}))
        return path

    @classmethod
    def load(cls, run_dir: str) -> "Vocabulary":
        """Reads ``<run_dir>/vocabulary.json``.

        Raises:
            FileNotFoundError: the run has no vocabulary (not a --data-file/tfds run).
            ValueError: the file is damaged (named).
        """
        path = os.path.join(run_dir, FILE_NAME)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{path} not found: {run_dir} is not the --output-dir of "
                                    f"a --data-file or tfds: run")
        try:
            with open(path) as f:
                saved = json.load(f)
            return cls(np.asarray(saved["user_ids"], object), np.asarray(saved["item_ids"], object))
        except (ValueError, KeyError, TypeError) as e:
            raise ValueError(f"{path} is unreadable ({type(e).__name__}: {e})") from None

    def __eq__(self, other):
        return (isinstance(other, Vocabulary) and np.array_equal(self.users, other.users)
                and np.array_equal(self.items, other.items))

    __hash__ = None
