"""Checks of a log's columns, whatever their role: present, UTF-8 text, of a type, finite.

Part of reading a log with raw ids (`ahns_tf.data.read_table`,
`ahns_tf.data.read_tfds`). Each check runs over a whole column at once
(pyarrow compute); only when one fails is the first failing row looked for, to
name it in the `DataFormatError`.
"""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ahns_tf.data.interactions import DataFormatError

#: Errors pyarrow raises when a cast fails.
CAST_ERRORS = (pa.ArrowInvalid, pa.ArrowNotImplementedError)


def position(kind: str, index: int):
    """Where 0-based data row `index` is: CSV/TSV line (header = line 1), Parquet row, TFDS example.

    Example:

    >>> position("csv", 0), position("parquet", 0), position("tfds", 0)
    (2, 'row 1', 'example 1')
    """
    if kind == "parquet":
        return f"row {index + 1}"
    return f"example {index + 1}" if kind == "tfds" else index + 2


def first_true(mask: pa.Array) -> int:
    """Index of the first True of a boolean array (the caller knows there is one)."""
    return int(np.flatnonzero(mask.to_numpy(zero_copy_only=False))[0])


def first_failure(values: pa.Array, target) -> int:
    """Index of the first value that cannot be cast to `target`, by bisection.

    pyarrow's cast names the value but not its position; halving the range with
    casts finds it in O(n) work (the casts of each half total n).

    Example:

    >>> first_failure(pa.array(["1", "2", "x", "y"]), pa.float64())
    2
    """
    lo, hi = 0, len(values)                                   # a failure lies in [lo, hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        try:
            pc.cast(values.slice(lo, mid - lo), target)
            lo = mid
        except CAST_ERRORS:
            hi = mid
    return lo


def check_present(path, kind, name, role, values: pa.Array) -> None:
    """Raises naming the first row whose `role` value is missing (null or empty)."""
    missing = pc.is_null(values)
    if pa.types.is_string(values.type):
        missing = pc.or_(missing, pc.equal(values, ""))
    if pc.any(missing).as_py():
        raise DataFormatError(path, position(kind, first_true(missing)),
                              f"{role} column '{name}' has no value", "")


def as_text(path, kind, name, role, values: pa.Array) -> pa.Array:
    """Binary values as UTF-8 strings; other types unchanged.

    A CSV column with bytes that are not UTF-8 (e.g. a Latin-1 file) arrives
    as binary; the error names its first such row.
    """
    if not (pa.types.is_binary(values.type) or pa.types.is_large_binary(values.type)):
        return values
    try:
        return pc.cast(values, pa.string())
    except CAST_ERRORS:
        index = first_failure(values, pa.string())
        must = "; the file must be UTF-8" if kind in ("csv", "tsv") else ""
        raise DataFormatError(path, position(kind, index), f"{role} column '{name}' is not "
                              f"UTF-8 text{must}", values[index].as_py()) from None


def as_type(path, kind, name, role, values: pa.Array, target) -> pa.Array:
    """`values` cast to `target` (integers stay integers for float64), or an error naming the row.

    Example:

    >>> as_type("log.csv", "csv", "stars", "rating", pa.array(["4", "2.5"]),
    ...         pa.float64()).to_pylist()
    [4.0, 2.5]
    """
    if values.type == target or (target == pa.float64() and pa.types.is_integer(values.type)):
        return values
    try:
        return pc.cast(values, target)
    except CAST_ERRORS:
        index = first_failure(values, target)
    what = "a number" if target == pa.float64() else f"of type {target}"
    raise DataFormatError(path, position(kind, index), f"{role} column '{name}' is not {what}",
                          values[index].as_py())


def check_finite(path, kind, name, role, values: pa.Array) -> None:
    """Raises naming the first NaN or infinite value of a floating-point column.

    Example:

    >>> try:
    ...     check_finite("log.csv", "csv", "r", "rating", pa.array([1.0, float("inf")]))
    ... except DataFormatError as e:
    ...     print(e)
    log.csv:3: rating column 'r' is not a finite number (got inf)
    """
    if not pa.types.is_floating(values.type):
        return
    finite = pc.is_finite(values)
    if not pc.all(finite).as_py():
        index = first_true(pc.invert(finite))
        raise DataFormatError(path, position(kind, index), f"{role} column '{name}' is not a "
                              f"finite number", values[index].as_py())
