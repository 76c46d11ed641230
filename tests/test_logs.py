"""Reading logs with raw ids (CSV, TSV.gz, Parquet) and the errors bad files give."""

import gzip

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ahns_tf.data import DataFormatError
from ahns_tf.data.log import time_values
from ahns_tf.data.read_table import file_kind, read_log
from pipelines.train import main


def _csv(tmp_path, text, name="log.csv"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_csv_ids_stay_strings_and_timestamp_is_found_by_default(tmp_path):
    path = _csv(tmp_path, "user_id,item_id,timestamp\n007,42,10\nbob,x y,3\n")
    log = read_log(path)
    # "007" keeps its leading zeros: ids are text, never parsed as numbers.
    assert log.column("user_id").to_pylist() == ["007", "bob"]
    assert log.column("item_id").to_pylist() == ["42", "x y"]
    assert log.column("timestamp").to_pylist() == [10, 3]
    assert log.column("row").to_pylist() == [0, 1]


def test_tsv_gz_with_named_columns_and_iso_times(tmp_path):
    path = tmp_path / "log.tsv.gz"
    with gzip.open(path, "wt") as f:
        f.write("u\ti\twhen\tstars\na\tb\t2024-01-02 10:00:00\t4\nc\td\t2024-01-01\t2.5\n")
    log = read_log(str(path), "u", "i", "when", "stars")
    assert log.column("user_id").to_pylist() == ["a", "c"]
    # 2024-01-02 10:00 is 34 hours after 2024-01-01 00:00 (times are ordered in ns)
    times = time_values(log)
    assert times[0] - times[1] == (24 + 10) * 3600 * 10**9
    assert log.column("rating").to_pylist() == [4.0, 2.5]


def test_parquet_integer_ids_become_their_text(tmp_path):
    path = str(tmp_path / "log.parquet")
    pq.write_table(pa.table({"user_id": [3, 10], "item_id": [5, 5], "ts": [1.5, 2.5]}), path)
    log = read_log(path, time_col="ts")
    assert log.column("user_id").to_pylist() == ["3", "10"]
    assert log.column("item_id").to_pylist() == ["5", "5"]


@pytest.mark.parametrize("name, kind", [("a.csv", "csv"), ("a.CSV.gz", "csv"),
                                        ("a.tsv", "tsv"), ("a.parquet", "parquet")])
def test_file_kind_by_extension(name, kind):
    assert file_kind(name) == kind


@pytest.mark.parametrize("text, kwargs, where, what, value", [
    # missing column: the message lists the columns the file has
    ("user,item\na,b\n", {}, ":1:", "no user column 'user_id' (--user-col); the file's "
     "columns are: user, item", "user_id"),
    # line 4 (header is line 1) has an unparsable time
    ("user_id,item_id,timestamp\na,b,1\nc,d,2\ne,f,soon\n", {}, ":4:",
     "time column 'timestamp' is not a number or a date/time", "soon"),
    ("user_id,item_id,timestamp\na,b,2024-01-01\ne,f,2024-13-45\n", {}, ":3:",
     "time column 'timestamp'", "2024-13-45"),
    ("user_id,item_id,r\na,b,4\nc,d,five\n", {"rating_col": "r"}, ":3:",
     "rating column 'r' is not a number", "five"),
    ("user_id,item_id\na,b\n,d\n", {}, ":3:", "user column 'user_id' has no value", ""),
    ("user_id,item_id\na,b\nc,d,e\n", {}, ":3:", "expected 2 fields, got 3", "c,d,e"),
    ("", {}, "log.csv: ", "file is empty", None),
    ("user_id,item_id\n", {}, "log.csv: ", "header but no interactions", None),
])
def test_bad_files_name_file_line_column_and_value(tmp_path, text, kwargs, where, what, value):
    path = _csv(tmp_path, text)
    with pytest.raises(DataFormatError) as err:
        read_log(path, **kwargs)
    message = str(err.value)
    assert message.startswith(path) and where in message and what in message, message
    if value is not None:
        assert err.value.token == value


def test_bad_parquet_row_is_named_by_row_number(tmp_path):
    path = str(tmp_path / "log.parquet")
    pq.write_table(pa.table({"user_id": ["a", "b", "c"], "item_id": ["x", "y", "z"],
                             "rating": ["1", "2", "lots"]}), path)
    with pytest.raises(DataFormatError, match=r"log\.parquet:row 3: rating column"):
        read_log(path, rating_col="rating")


def test_cli_bad_file_exits_2_and_writes_nothing(tmp_path, capsys):
    path = _csv(tmp_path, "user_id,item_id,timestamp\na,b,1\nc,d,later\n")
    out = tmp_path / "run"
    status = main(["--dataset", "mylog", "--data-file", path, "--output-dir", str(out),
                   "--export-dir", str(tmp_path / "models" / "mylog")])
    assert status == 2
    assert f"{path}:3: time column 'timestamp'" in capsys.readouterr().err
    assert not out.exists() and not (tmp_path / "models").exists()


def test_cli_split_by_time_without_a_time_column_names_the_flag(tmp_path, capsys):
    path = _csv(tmp_path, "user_id,item_id\n" + "".join(f"u{i % 3},i{i}\n" for i in range(12)))
    status = main(["--dataset", "mylog", "--data-file", path, "--split", "leave_one_out",
                   "--output-dir", str(tmp_path / "run"), "--no-export"])
    assert status == 2 and "--time-col" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()
