"""Checks of a loaded dataset against the run's settings, before anything is allocated.

Three things that the files alone do not reveal but that would otherwise end in
a traceback (or an out-of-memory kill) once training starts:

* the embedding tables the id range needs exceed the memory budget (an id of
  2,000,000,000 asks for 2e9 rows);
* a metric cut-off K in ``--ks`` is larger than the catalogue (Recall@50 of a
  30-item catalogue is meaningless): exit 2 naming ``--ks``, rather than a
  silent cap that would rename the metrics;
* a user interacted with every item, so no negative can be sampled for them.

Each error names the file and line to fix, or the flag to change. For a log
with raw ids (``--data-file``, ``tfds:NAME``), whose rows are dense indices the
user never sees, it names the raw id and the line of its first interaction.
"""

import numpy as np
import pyarrow.compute as pc

from ahns_tf.data.interactions import DataFormatError, DataSettingsError
from ahns_tf.data.read_table import data_position

#: Default of ``--memory-budget-gb``: the embedding tables and Adam slots may use this much.
DEFAULT_MEMORY_BUDGET_GB = 16.0
#: Float32 copies of each table: the weights and Adam's two slots (m and v).
_TABLE_COPIES = 1 + 2


def table_bytes(num_users: int, num_items: int, dim: int) -> int:
    """Bytes of the user and item tables with their Adam slots.

    ``(num_users + num_items) * dim * 4 bytes * (1 weight + 2 Adam slots)``.

    Example:

    >>> table_bytes(6040, 3706, 64)  # ML-1M: 7.5 MB
    7483392
    """
    return (int(num_users) + int(num_items)) * int(dim) * 4 * _TABLE_COPIES


def _line_of(path: str, kind: str, value: int):
    """1-based number of the first line of `path` that holds `value` as a `kind` id."""
    with open(path, "rb") as f:
        for line_no, raw in enumerate(f, start=1):
            tokens = raw.split()
            ids = tokens[:1] if kind == "user" else tokens[1:]
            if str(value).encode() in ids:
                return line_no
    return None


def _where(dataset, kind: str, value: int) -> str:
    """``file:line`` of the first occurrence of an id, or the file if it is not found."""
    for split in (dataset.train, dataset.valid, dataset.test):
        if split is None:
            continue
        path = split.path.split("#")[0]  # a held-out split names its source file
        line = _line_of(path, kind, value) if path else None
        if line is not None:
            return f"{path}:{line}"
    return dataset.train.path.split("#")[0]


def raw_id_at(dataset, kind: str, row: int) -> tuple:
    """The raw id of dense `row` of a log dataset and where it first occurs in the log.

    Args:
        dataset: a `RecDataset` with a vocabulary (``--data-file``, ``tfds:NAME``).
        kind: ``"user"`` or ``"item"``.
        row: the dense index (embedding row).

    Returns:
        ``(raw_id, source, position)``: the position is the line (CSV/TSV),
        row (Parquet) or example (TFDS) of the id's first kept interaction.

    Example:

    ```python
    raw_id_at(load_data(config), "user", 1)  # ('zed', 'log.csv', 2)
    ```
    """
    ids = dataset.vocabulary.users if kind == "user" else dataset.vocabulary.items
    raw = str(ids[row])
    table = dataset.assignments
    rows = pc.filter(table.column("row"), pc.equal(table.column(f"{kind}_id"), raw))
    first = pc.min(rows).as_py()
    source = dataset.train.path.split("#")[0]
    return raw, source, None if first is None else data_position(source, first)


def _log_budget_error(dataset, kind: str, size: int, dim: int, need: int,
                      budget_gb: float) -> "DataSettingsError":
    """The memory-budget error of a log with raw ids: distinct ids, not an id range."""
    raw, source, position = raw_id_at(dataset, kind, size - 1)
    where = source if position is None else f"{source}:{position}"
    return DataSettingsError(
        f"{where}: {size:,} distinct {kind} ids (the last in text order is {raw!r}, first "
        f"seen here) need embedding tables with their Adam slots ({dataset.num_users:,} users "
        f"+ {dataset.num_items:,} items) x {dim} dims x 4 bytes x 3 = {need / 1e9:.2f} GB, over "
        f"--memory-budget-gb {budget_gb:g}. Keep fewer ids (--min-user-interactions, "
        f"--min-item-interactions, --min-rating), lower --dim, or raise --memory-budget-gb")


def check_memory_budget(dataset, dim: int, budget_gb: float, declared=None) -> None:
    """Raises `DataSettingsError` if the id range's tables exceed `budget_gb`.

    Args:
        dataset: a `RecDataset`.
        dim: embedding dimension.
        budget_gb: the budget in GB (1e9 bytes).
        declared: ``{"user": --num-users, "item": --num-items}`` as given (or None).
    """
    need = table_bytes(dataset.num_users, dataset.num_items, dim)
    if need <= budget_gb * 1e9:
        return
    kind = "item" if dataset.num_items >= dataset.num_users else "user"
    size = dataset.num_items if kind == "item" else dataset.num_users
    if dataset.vocabulary is not None:  # raw ids: the rows are dense, name the ids
        raise _log_budget_error(dataset, kind, size, dim, need, budget_gb)
    if (declared or {}).get(kind):
        where = f"--num-{kind}s {size}"
    else:
        where = f"{_where(dataset, kind, size - 1)}: {kind} id {size - 1}"
    raise DataSettingsError(
        f"{where} makes a {kind} id range of {size:,}: the embedding tables with their Adam "
        f"slots ({dataset.num_users:,} users + {dataset.num_items:,} items) x {dim} dims x 4 "
        f"bytes x 3 need {need / 1e9:.2f} GB, over --memory-budget-gb {budget_gb:g}. Ids "
        f"index the tables directly: remap the ids to 0..n-1, fix the stray id, or, if the "
        f"range is real, raise --memory-budget-gb (declare --num-users/--num-items to catch "
        f"stray ids as errors)")


def check_cut_offs(ks, num_items: int) -> None:
    """Raises `DataSettingsError` if a cut-off K exceeds the number of items."""
    too_big = [k for k in ks if k > num_items]
    if too_big:
        raise DataSettingsError(
            f"--ks {' '.join(map(str, ks))}: cut-off {max(too_big)} exceeds the catalogue's "
            f"{num_items} items; pass --ks with cut-offs <= {num_items} (and a --select-metric "
            f"among them), e.g. --ks {max(1, num_items // 4)} --select-metric "
            f"recall@{max(1, num_items // 4)}")


def check_top_k(top_k: int, num_items: int) -> None:
    """Raises `DataSettingsError` if the served K exceeds the number of items."""
    if top_k > num_items:
        raise DataSettingsError(
            f"--top-k {top_k} exceeds the catalogue's {num_items} items: the exported model "
            f"cannot return more; pass --top-k {num_items} or less")


def check_no_full_users(dataset) -> None:
    """Raises `DataFormatError` naming a user who interacted with every training item."""
    counts = np.bincount(dataset.train.users, minlength=dataset.num_users)
    full = np.flatnonzero(counts >= dataset.num_items)
    if full.size:
        user = int(full[0])
        others = f" ({full.size - 1} more such users)" if full.size > 1 else ""
        what = (f"interacted with all {dataset.num_items} items, so no negative can be "
                f"sampled for them{others}; remove the user or add items")
        if dataset.vocabulary is not None:  # a log with raw ids: name the id the user knows
            raw, source, position = raw_id_at(dataset, "user", user)
            raise DataFormatError(source, position, f"user {raw!r} {what}")
        path = dataset.train.path.split("#")[0]
        line = _line_of(path, "user", user) if path else None
        raise DataFormatError(path, line, f"user {user} {what}")


def check_dataset(dataset, ks, dim: int, memory_budget_gb: float, declared=None,
                  top_k: int = None) -> None:
    """Every check above, cheapest first.

    Example:

    ```python
    check_dataset(load_dataset("tools"), ks=(20, 50), dim=64, memory_budget_gb=16.0)
    ```
    """
    check_memory_budget(dataset, dim, memory_budget_gb, declared)
    check_cut_offs(ks, dataset.num_items)
    check_no_full_users(dataset)
    if top_k is not None:
        check_top_k(top_k, dataset.num_items)
