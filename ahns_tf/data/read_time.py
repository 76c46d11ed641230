"""The time column of a log: numbers (e.g. Unix seconds) or points in time, checked.

Part of reading a log with raw ids (`ahns_tf.data.read_columns`). Times order
a user's interactions (``--split leave_one_out``, ``temporal``, the earliest of
duplicates), so a time must be a finite number or a point in time that
nanoseconds since 1970 hold (`ahns_tf.data.log.time_values`): a time of day or
a duration is refused, as are NaN, infinity and years outside 1677-2262. Text
is one kind per column: numbers, ISO 8601 date/times without a zone, or with
one (``Z``, ``+02:00``; read as UTC).
"""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ahns_tf.data.interactions import DataFormatError
from ahns_tf.data.read_values import (CAST_ERRORS, as_type, check_finite, first_failure,
                                      first_true, position)

#: The kinds of time text, as messages name them, each with the type it is read as.
NUMBER = "a number"
NAIVE = "an ISO 8601 date/time without a zone"
ZONED = "an ISO 8601 date/time with a zone"
_TYPES = {NUMBER: pa.float64(), NAIVE: pa.timestamp("ns"), ZONED: pa.timestamp("ns", "UTC")}
_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(?i:inf|infinity|nan)$"
_ISO = r"^\d{4}-\d{2}-\d{2}"
_ZONE = r"^\d{4}-\d{2}-\d{2}[T ].*(Z|[+-]\d{2}(:?\d{2})?)$"
#: Nanoseconds per unit of pyarrow's temporal types.
_NS = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1, "date32": 86400 * 10**9, "date64": 10**6}
_RANGE = "1677-09-21 to 2262-04-11, the range of times in nanoseconds"


def _kinds(values: pa.Array) -> np.ndarray:
    """int8 [n]: the kind of each text value, 0 (none), 1 `NUMBER`, 2 `NAIVE`, 3 `ZONED`."""
    match = (lambda pattern: pc.match_substring_regex(values, pattern)  # noqa: E731
             .to_numpy(zero_copy_only=False))
    return np.select([match(_NUMBER), match(_ZONE), match(_ISO)], [1, 3, 2], 0).astype(np.int8)


def _check_range(path, kind, name, values: pa.Array) -> None:
    """Raises naming the first timestamp or date outside what int64 nanoseconds hold."""
    unit = values.type.unit if pa.types.is_timestamp(values.type) else str(values.type)[:6]
    if _NS[unit] == 1:
        return
    limit = (2**63 - 1) // _NS[unit]
    raw = pc.cast(values, pa.int32() if unit == "date32" else pa.int64())
    outside = pc.or_(pc.greater(raw, limit), pc.less(raw, -limit))
    if pc.any(outside).as_py():
        index = first_true(outside)
        try:
            shown = str(values[index].as_py())
        except (OverflowError, ValueError):  # beyond Python's datetime (year 9999)
            shown = (f"{raw[index].as_py()} {dict(date32='days', date64='ms').get(unit, unit)}"
                     f" since 1970-01-01")
        raise DataFormatError(path, position(kind, index), f"time column '{name}' is outside "
                              f"{_RANGE}", shown)


def _parse_text(path, kind, name, values: pa.Array) -> pa.Array:
    """Text times as float64 or timestamp[ns] (UTC if zoned), or an error saying what is wrong."""
    for target in _TYPES.values():
        try:
            return pc.cast(values, target)
        except CAST_ERRORS:
            pass
    # Every reading failed: find out why (only now, on the error path).
    kinds = _kinds(values)
    names = (None, NUMBER, NAIVE, ZONED)
    if not kinds.all():
        index = int(np.flatnonzero(kinds == 0)[0])
        raise DataFormatError(path, position(kind, index), f"time column '{name}' is not a "
                              f"number or a date/time (ISO 8601)", values[index].as_py())
    counts = np.bincount(kinds, minlength=4)
    if np.count_nonzero(counts) > 1:
        top = np.flatnonzero(counts == counts.max())  # the most common kind is the one expected
        expected = int(kinds[0]) if kinds[0] in top else int(top[0])  # a tie: the first row's
        index = int(np.flatnonzero(kinds != expected)[0])
        found = ", ".join(f"{names[k]} in {counts[k]:,} row{'s' if counts[k] > 1 else ''}"
                          for k in range(1, 4) if counts[k])
        raise DataFormatError(path, position(kind, index), f"time column '{name}' mixes kinds "
                              f"of time ({found}); expected {names[expected]}, the kind most "
                              f"rows hold, but this row holds {names[kinds[index]]}",
                              values[index].as_py())
    what = names[kinds[0]]
    index = first_failure(values, _TYPES[what])
    value = values[index]
    problem = "is not a valid number" if what == NUMBER else "is not a valid ISO 8601 date/time"
    if what != NUMBER:
        try:  # microseconds hold any year: if it reads so, the year is out of range
            pc.cast(pa.array([value.as_py()]), pa.timestamp("us", _TYPES[what].tz))
            problem = f"is outside {_RANGE}"
        except CAST_ERRORS:
            pass
    raise DataFormatError(path, position(kind, index), f"time column '{name}' {problem}",
                          value.as_py())


def as_time(path, kind: str, name: str, values: pa.Array) -> pa.Array:
    """The time column, checked: numbers as they are, points in time, or text read as either.

    Args:
        path: the file (or ``tfds:NAME``) that messages name.
        kind: ``csv``, ``tsv``, ``parquet`` or ``tfds`` (how rows are named).
        name: the column's name.
        values: [num_rows] the column, with no missing value (`check_present`).

    Returns:
        [num_rows] integers or float64, or a timestamp or date type.

    Raises:
        DataFormatError: a time of day or a duration (naming the type), a NaN or
            infinite number, a year outside 1677-2262, text that mixes kinds
            (naming the first row of a kind other than most rows'), or text
            that is no time at all.

    Example:

    >>> as_time("log.csv", "csv", "when", pa.array(["2024-01-01T10:00Z"])).type
    TimestampType(timestamp[ns, tz=UTC])
    """
    value_type = values.type
    if pa.types.is_time(value_type) or pa.types.is_duration(value_type) or \
            pa.types.is_interval(value_type):
        what = "a time of day" if pa.types.is_time(value_type) else "a duration"
        raise DataFormatError(path, None, f"time column '{name}' is of type {value_type}, "
                              f"{what}, not a point in time; store timestamps, dates or "
                              f"numbers (e.g. Unix seconds)", str(value_type))
    if pa.types.is_timestamp(value_type) or pa.types.is_date(value_type):
        _check_range(path, kind, name, values)
        return values
    if pa.types.is_string(value_type) or pa.types.is_large_string(value_type):
        values = _parse_text(path, kind, name, values)
    elif not pa.types.is_integer(value_type):
        values = as_type(path, kind, name, "time", values, pa.float64())
    check_finite(path, kind, name, "time", values)
    return values
