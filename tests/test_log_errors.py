"""Bad log files found by the third reliability round: each refused naming file, place and value.

Each test is named after the input that used to give a traceback, pass silently or
name the wrong thing; the tiny files are written in ``tmp_path``.
"""

import datetime
import gzip

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ahns_tf.config import TrainConfig
from ahns_tf.data import DataFormatError
from ahns_tf.data.checks import DataSettingsError
from ahns_tf.data.log import time_values
from ahns_tf.data.read_table import read_log
from pipelines.train import main


def _csv(tmp_path, text, name="log.csv"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def _parquet(tmp_path, columns, name="log.parquet"):
    path = str(tmp_path / name)
    n = len(next(iter(columns.values())))
    pq.write_table(pa.table({"user_id": [f"u{i}" for i in range(n)],
                             "item_id": [f"i{i}" for i in range(n)], **columns}), path)
    return path


def _gzipped_log(tmp_path, name="log.csv.gz"):
    text = "user_id,item_id,timestamp\n" + "".join(f"u{i},i{i},{i}\n" for i in range(20000))
    return tmp_path / name, gzip.compress(text.encode())


# 1. Damaged .csv.gz files.

def test_truncated_csv_gz_names_the_file(tmp_path):
    path, data = _gzipped_log(tmp_path)
    path.write_bytes(data[:len(data) // 2])           # a download cut halfway
    with pytest.raises(DataFormatError, match="not a readable gzip-compressed CSV") as err:
        read_log(str(path))
    assert str(err.value).startswith(str(path))


@pytest.mark.parametrize("damage", ["not gzip", "flipped byte"])
def test_corrupt_csv_gz_names_the_file(tmp_path, damage):
    path, data = _gzipped_log(tmp_path)
    if damage == "not gzip":
        data = b"user_id,item_id\na,b\n"                # a plain CSV named .gz
    else:
        data = bytearray(data)
        data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(DataFormatError, match="not a readable gzip-compressed CSV") as err:
        read_log(str(path))
    assert str(err.value).startswith(str(path))


# 2. Parquet time columns that hold no point in time.

@pytest.mark.parametrize("values, type_name", [
    (pa.array([datetime.time(1), datetime.time(2)], pa.time64("us")), "time64[us]"),
    (pa.array([datetime.time(1), datetime.time(2)], pa.time32("ms")), "time32[ms]"),
    (pa.array([1, 2], pa.duration("s")), "duration[s]"),
])
def test_parquet_time_of_day_or_duration_time_column_is_refused(tmp_path, values, type_name):
    path = _parquet(tmp_path, {"ts": values})
    with pytest.raises(DataFormatError, match="time column 'ts'") as err:
        read_log(path, time_col="ts")
    message = str(err.value)
    assert message.startswith(path) and type_name in message and "not a point in time" in message


def test_parquet_dates_and_zoned_iso_strings_are_times(tmp_path):
    path = _parquet(tmp_path, {"day": pa.array([1, 2], pa.date32()),
                               "at": ["2024-01-01T00:00:00+02:00", "2024-01-01T00:00:00Z"]})
    # day 1 and day 2 after 1970-01-01, one day apart
    assert (time_values(read_log(path, time_col="day"))[1]
            - time_values(read_log(path, time_col="day"))[0]) == 86400 * 10**9
    # 00:00+02:00 is 22:00Z the day before: two hours before 00:00Z
    times = time_values(read_log(path, time_col="at"))
    assert times[1] - times[0] == 2 * 3600 * 10**9


# 3. One column for two roles.

@pytest.mark.parametrize("kwargs, flags", [
    ({"user_col": "item_id", "item_col": "item_id"}, ("--user-col", "--item-col")),
    ({"time_col": "r", "rating_col": "r"}, ("--time-col", "--rating-col")),
])
def test_same_column_for_two_roles_is_refused_naming_both_flags(tmp_path, kwargs, flags):
    path = _csv(tmp_path, "user_id,item_id,r\na,b,1\n")
    with pytest.raises(DataSettingsError) as err:
        read_log(path, **kwargs)
    assert all(flag in str(err.value) for flag in flags), str(err.value)


def test_same_column_for_two_roles_is_refused_by_the_config_before_reading(tmp_path):
    missing = str(tmp_path / "never_read.csv")
    with pytest.raises(ValueError, match="--user-col.*--item-col.*'item_id'"):
        TrainConfig(dataset="log", data_file=missing, user_col="item_id",
                    item_col="item_id").resolved()


# 4. NaN and infinite times and ratings.

@pytest.mark.parametrize("column, values, where, value", [
    ("ts", [1.0, float("nan"), 3.0], "row 2", "nan"),
    ("ts", [1.0, 2.0, float("inf")], "row 3", "inf"),
    ("r", [4.0, float("-inf"), 3.0], "row 2", "-inf"),
    ("r", [float("nan"), 1.0, 3.0], "row 1", "nan"),
])
def test_parquet_nan_or_infinite_time_or_rating_is_refused(tmp_path, column, values, where,
                                                           value):
    other = "r" if column == "ts" else "ts"
    path = _parquet(tmp_path, {column: values, other: [1.0, 2.0, 3.0]})
    with pytest.raises(DataFormatError) as err:
        read_log(path, time_col="ts", rating_col="r")
    role = "time" if column == "ts" else "rating"
    assert f"log.parquet:{where}: {role} column '{column}'" in str(err.value)
    assert "finite" in str(err.value) and str(err.value.token) == value


@pytest.mark.parametrize("text, where, column", [
    ("user_id,item_id,timestamp,r\na,b,1,4\nc,d,inf,3\n", ":3:", "time column 'timestamp'"),
    ("user_id,item_id,timestamp,r\na,b,1,inf\nc,d,2,3\n", ":2:", "rating column 'r'"),
])
def test_csv_infinite_time_or_rating_is_refused(tmp_path, text, where, column):
    path = _csv(tmp_path, text)
    with pytest.raises(DataFormatError) as err:
        read_log(path, rating_col="r")
    assert f"log.csv{where} {column}" in str(err.value) and "finite" in str(err.value)


def test_cli_infinite_rating_does_not_pass_min_rating(tmp_path, capsys):
    path = _csv(tmp_path, "user_id,item_id,r\n" + "".join(f"u{i % 3},i{i},4\n" for i in range(11))
                + "u0,i99,inf\n")
    status = main(["--dataset", "log", "--data-file", path, "--rating-col", "r",
                   "--min-rating", "4", "--ks", "3", "--select-metric", "recall@3", "--epochs",
                   "1", "--dim", "4", "--output-dir", str(tmp_path / "run"), "--no-export"])
    assert status == 2 and f"{path}:13: rating column 'r'" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


# 5. Messages that named the wrong thing.

@pytest.mark.parametrize("times, where, value, expected", [
    # two Unix numbers, then one ISO date: the date is the odd one out
    (["1", "2", "2024-01-01"], ":4:", "2024-01-01", "a number"),
    # the number is the minority among ISO dates
    (["2024-01-01", "5", "2024-01-02"], ":3:", "5", "an ISO 8601 date/time without a zone"),
    # naive times, then one with Z
    (["2024-01-01T00:00:00", "2024-01-02T00:00:00", "2024-01-01T00:00:00Z"], ":4:",
     "2024-01-01T00:00:00Z", "an ISO 8601 date/time without a zone"),
    # zoned times, then a naive one
    (["2024-01-01T00:00:00+02:00", "2024-01-02T00:00:00Z", "2024-01-01T00:00:00"], ":4:",
     "2024-01-01T00:00:00", "an ISO 8601 date/time with a zone"),
])
def test_time_column_of_mixed_kinds_names_the_odd_row_and_the_kind_expected(
        tmp_path, times, where, value, expected):
    path = _csv(tmp_path, "user_id,item_id,timestamp\n"
                + "".join(f"u{i},i{i},{t}\n" for i, t in enumerate(times)))
    with pytest.raises(DataFormatError) as err:
        read_log(path)
    message = str(err.value)
    assert where in message and "mixes" in message and f"expected {expected}" in message, message
    assert "not a number or a date/time" not in message and err.value.token == value


def test_year_2500_csv_time_names_line_and_column(tmp_path):
    path = _csv(tmp_path, "user_id,item_id,timestamp\na,b,2024-01-01\nc,d,2500-01-01\n")
    with pytest.raises(DataFormatError) as err:
        read_log(path)
    message = str(err.value)
    assert f"{path}:3: time column 'timestamp'" in message and "2262" in message, message
    assert "2500-01-01" in message


def test_year_2500_parquet_time_names_row_and_column(tmp_path):
    year_2500 = datetime.datetime(2500, 1, 1)
    path = _parquet(tmp_path, {"ts": pa.array([datetime.datetime(2024, 1, 1), year_2500],
                                               pa.timestamp("us"))})
    with pytest.raises(DataFormatError, match=r"log\.parquet:row 2: time column 'ts'.*2262"):
        read_log(path, time_col="ts")


def test_year_2500_iso_string_names_row_and_column(tmp_path):
    path = _parquet(tmp_path, {"ts": ["2024-01-01", "2500-01-01"]})
    with pytest.raises(DataFormatError, match=r"log\.parquet:row 2: time column 'ts'.*2262"):
        read_log(path, time_col="ts")


@pytest.mark.parametrize("text, where, column", [
    ("user_id,item_id\na,b\nc,d\nJos\xe9,x\n", ":4:", "user column 'user_id'"),
    ("user_id,item_id,timestamp\na,b,1\nc,d,2\ne,x,caf\xe9\n", ":4:", "time column 'timestamp'"),
    ("us\xe9r,item_id\na,b\n", ":1:", "header"),
])
def test_latin1_csv_names_the_line_and_asks_for_utf8(tmp_path, text, where, column):
    path = tmp_path / "log.csv"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(DataFormatError) as err:
        read_log(str(path), user_col="us\xe9r" if "us\xe9r" in text else "user_id")
    message = str(err.value)
    assert message.startswith(f"{path}{where}") and column in message, message
    assert "UTF-8" in message


def test_cli_damaged_gzip_exits_2_and_writes_nothing(tmp_path, capsys):
    path, data = _gzipped_log(tmp_path)
    path.write_bytes(data[:len(data) // 2])
    status = main(["--dataset", "log", "--data-file", str(path), "--output-dir",
                   str(tmp_path / "run"), "--no-export"])
    assert status == 2 and f"{path}: not a readable gzip" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()
