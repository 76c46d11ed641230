"""Reads interaction logs with raw ids: CSV, TSV or Parquet files, one interaction a row.

A log is a table with a user column, an item column and optionally a time and a
rating column (``user_id,item_id,timestamp,rating``), as RecBole's atomic files,
Merlin's Parquet and the TFRS tutorials' MovieLens have them. Files are read
with pyarrow (multithreaded, columnar); ids of any type are kept as strings.
Every problem is a `DataFormatError` naming the file, the line (CSV, the header
being line 1) or row (Parquet, 1-based), the column and the value.
"""

import os

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ahns_tf.data.interactions import DataFormatError

#: Column name used when ``--time-col`` is not given and the file has it.
DEFAULT_TIME_COL = "timestamp"


def column_roles(available, user_col: str, item_col: str, time_col, rating_col):
    """The time column to use and each role's ``(role, column, flag)``, for files and TFDS.

    ``time_col`` None becomes `DEFAULT_TIME_COL` when `available` has it.

    Example:

    >>> column_roles(["u", "i", "timestamp"], "u", "i", None, None)[0]
    'timestamp'
    """
    if time_col is None and DEFAULT_TIME_COL in available:
        time_col = DEFAULT_TIME_COL
    return time_col, [("user", user_col, "--user-col"), ("item", item_col, "--item-col"),
                      ("time", time_col, "--time-col"), ("rating", rating_col, "--rating-col")]
_DELIMITERS = {".csv": ",", ".tsv": "\t", ".tab": "\t"}
_PARQUET = (".parquet", ".pq")


def file_kind(path: str) -> str:
    """``csv``, ``tsv`` or ``parquet`` from the file name (a ``.gz`` suffix is allowed).

    Example:

    >>> file_kind("logs/clicks.tsv.gz")
    'tsv'
    """
    stem = path[:-3] if path.endswith(".gz") else path
    ext = os.path.splitext(stem)[1].lower()
    if ext in _PARQUET and not path.endswith(".gz"):
        return "parquet"
    if ext in _DELIMITERS:
        return "tsv" if _DELIMITERS[ext] == "\t" else "csv"
    raise DataFormatError(path, None, "--data-file must end in .csv, .tsv, .tab (optionally "
                          "followed by .gz), .parquet or .pq", os.path.basename(path))


def _where(kind: str, index: int):
    """Where 0-based data row `index` is: CSV line (header = line 1), Parquet row, TFDS example."""
    if kind == "parquet":
        return f"row {index + 1}"
    return f"example {index + 1}" if kind == "tfds" else index + 2


def data_position(source: str, index: int):
    """Where 0-based data row `index` of a log is, as `DataFormatError` names it.

    Args:
        source: the ``--data-file`` path, or ``tfds:NAME``.
        index: the 0-based data row (the ``row`` column of `read_log`'s table).

    Returns:
        The CSV/TSV line number (the header is line 1), ``"row N"`` (Parquet,
        1-based) or ``"example N"`` (TFDS).

    Example:

    >>> data_position("clicks.csv", 0), data_position("clicks.parquet", 0)
    (2, 'row 1')
    """
    return _where("tfds" if source.startswith("tfds:") else file_kind(source), index)


def _read_table(path: str, kind: str, columns: list) -> pa.Table:
    """The named columns of the file; ids are read as strings, the others inferred."""
    if kind == "parquet":
        try:
            return pq.read_table(path, columns=columns)
        except (pa.ArrowInvalid, OSError) as e:
            raise DataFormatError(path, None, f"not a readable Parquet file: {e}") from None
    # pyarrow finds the .gz compression from the file name.
    parse = pacsv.ParseOptions(delimiter=_DELIMITERS["." + kind])
    convert = pacsv.ConvertOptions(include_columns=columns,
                                   column_types={c: pa.string() for c in columns[:2]})
    try:
        return pacsv.read_csv(path, parse_options=parse, convert_options=convert)
    except pa.ArrowInvalid as e:
        # Threaded reading does not know line numbers; re-read serially to name the line.
        bad = []
        serial = pacsv.ParseOptions(delimiter=parse.delimiter,
                                    invalid_row_handler=lambda row: bad.append(row) or "error")
        try:
            pacsv.read_csv(path, read_options=pacsv.ReadOptions(use_threads=False),
                           parse_options=serial, convert_options=convert)
        except pa.ArrowInvalid:
            pass
        if bad:
            row = bad[0]
            raise DataFormatError(path, row.number, f"expected {row.expected_columns} "
                                  f"fields, got {row.actual_columns}", row.text[:80]) from None
        raise DataFormatError(path, None, f"unreadable {kind.upper()} file: {e}") from None


def _header(path: str, kind: str) -> list:
    """Column names, read from the schema (Parquet) or the first block (CSV)."""
    if kind == "parquet":
        try:
            return pq.read_schema(path).names
        except (pa.ArrowInvalid, OSError) as e:
            raise DataFormatError(path, None, f"not a readable Parquet file: {e}") from None
    try:
        # Malformed rows are skipped here (only the header is wanted); the full read names them.
        with pacsv.open_csv(path, parse_options=pacsv.ParseOptions(
                delimiter=_DELIMITERS["." + kind],
                invalid_row_handler=lambda row: "skip")) as stream:
            return stream.schema.names
    except pa.ArrowInvalid as e:
        if "Empty CSV file" in str(e):
            raise DataFormatError(path, None, "file is empty: expected a header line and one "
                                  "line per interaction") from None
        raise DataFormatError(path, None, f"unreadable {kind.upper()} file: {e}") from None


def _first_failure(values: pa.Array, target) -> int:
    """Index of the first value that cannot be cast to `target`, by bisection.

    pyarrow's cast names the value but not its position; halving the range with
    casts finds it in O(n) work (the casts of each half total n).
    """
    lo, hi = 0, len(values)                                   # a failure lies in [lo, hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        try:
            pc.cast(values.slice(lo, mid - lo), target)
            lo = mid
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            hi = mid
    return lo


def check_present(path, kind, name, role, values: pa.Array) -> None:
    """Raises naming the first row whose `role` value is missing (null or empty)."""
    missing = pc.is_null(values)
    if pa.types.is_string(values.type):
        missing = pc.or_(missing, pc.equal(values, ""))
    if pc.any(missing).as_py():
        index = int(np.flatnonzero(missing.to_numpy(zero_copy_only=False))[0])
        raise DataFormatError(path, _where(kind, index),
                              f"{role} column '{name}' has no value", "")


def as_type(path, kind, name, role, values: pa.Array, targets) -> pa.Array:
    """`values` cast to the first of `targets` that fits every row, or an error naming the row."""
    if any(values.type == t or (t == pa.float64() and pa.types.is_integer(values.type))
           or (t == pa.timestamp("ns") and pa.types.is_temporal(values.type)) for t in targets):
        return values
    failures = []
    for target in targets:
        try:
            return pc.cast(values, target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            failures.append(_first_failure(values, target))
    index = max(failures)                                     # the cast that got furthest
    what = "a number" if len(targets) == 1 else "a number or a date/time (ISO 8601)"
    raise DataFormatError(path, _where(kind, index), f"{role} column '{name}' is not {what}",
                          values[index].as_py())


def read_log(path: str, user_col: str = "user_id", item_col: str = "item_id",
             time_col: str = None, rating_col: str = None) -> pa.Table:
    """Reads and validates a log file into a table of strings ids and typed columns.

    Args:
        path: a ``.csv``, ``.tsv`` (``.gz`` allowed) or ``.parquet`` file with a header.
        user_col: user id column (any type; read as text).
        item_col: item id column (any type; read as text).
        time_col: time column (numbers, or ISO 8601 dates/times); None: ``timestamp``
            if the file has it, else no time.
        rating_col: numeric rating column, or None.

    Returns:
        A table with ``user_id`` and ``item_id`` (string), ``row`` (int64, the
        0-based data row), and ``timestamp`` (number or timestamp) and
        ``rating`` (float64) when those columns were given. [num_rows] each.

    Raises:
        FileNotFoundError: no such file.
        DataFormatError: a missing column (the existing ones are listed), an
            empty file, a missing id, an unparsable time or a non-numeric rating.

    Example:

    >>> log = read_log("clicks.csv", time_col="ts")  # doctest: +SKIP
    >>> log.column("user_id")[0]  # doctest: +SKIP
    <pyarrow.StringScalar: 'alice'>
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"--data-file {path}: no such file")
    kind = file_kind(path)
    names = _header(path, kind)
    time_col, roles = column_roles(names, user_col, item_col, time_col, rating_col)
    for role, name, flag in roles:
        if name is not None and name not in names:
            raise DataFormatError(path, 1 if kind != "parquet" else None,
                                  f"no {role} column '{name}' ({flag}); the file's columns "
                                  f"are: {', '.join(names)}", name)
    roles = [(role, name) for role, name, _ in roles if name is not None]
    table = _read_table(path, kind, [name for _, name in roles])
    if table.num_rows == 0:
        raise DataFormatError(path, None, "file has a header but no interactions")
    out = {"row": pa.array(np.arange(table.num_rows, dtype=np.int64))}
    for role, name in roles:
        values = table.column(name).combine_chunks()
        check_present(path, kind, name, role, values)
        if role in ("user", "item"):
            out[f"{role}_id"] = as_type(path, kind, name, role, values, [pa.string()])
        elif role == "time":
            out["timestamp"] = as_type(path, kind, name, role, values,
                                        [pa.float64(), pa.timestamp("ns")])
        else:
            out["rating"] = pc.cast(as_type(path, kind, name, role, values, [pa.float64()]),
                                    pa.float64())
    return pa.table(out)
