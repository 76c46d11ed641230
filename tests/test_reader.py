"""Reading and validating interaction files."""

import numpy as np
import pytest

from ahns_tf.data import DataFormatError, DuplicateInteractionsWarning, read_interactions


def _write(tmp_path, text, name="train.txt"):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return str(path)


def test_reads_pairs_sorted_and_keeps_users_without_items(tmp_path):
    path = _write(tmp_path, "1 5 3\n\n0 2\n2\n")
    result = read_interactions(path)
    np.testing.assert_array_equal(result.users, [0, 1, 1])
    np.testing.assert_array_equal(result.items, [2, 3, 5])
    np.testing.assert_array_equal(result.user_ids, [0, 1, 2])


def test_duplicates_are_dropped_with_a_warning_counting_them(tmp_path):
    path = _write(tmp_path, "0 1 1 2\n0 2 3\n")
    with pytest.warns(DuplicateInteractionsWarning, match="dropped 2 duplicate"):
        result = read_interactions(path)
    np.testing.assert_array_equal(result.items, [1, 2, 3])


@pytest.mark.parametrize("text, line, token, reason", [
    ("0 1\n1 -4\n", 2, "-4", "negative item id"),
    ("0 1\n-1 4\n", 2, "-1", "negative user id"),
    ("0 1.5\n", 1, "1.5", "not a non-negative integer"),
    ("0 1\n1 2\nx 3\n", 3, "x", "user id is not a non-negative integer"),
    ("0 99999999999\n", 1, "99999999999", "larger than the supported maximum"),
])
def test_bad_tokens_name_file_line_and_token(tmp_path, text, line, token, reason):
    path = _write(tmp_path, text)
    with pytest.raises(DataFormatError) as err:
        read_interactions(path)
    message = str(err.value)
    assert message.startswith(f"{path}:{line}: ")
    assert reason in message and repr(token) in message
    assert (err.value.line, err.value.token) == (line, token)


def test_non_text_file_is_rejected_with_its_line(tmp_path):
    path = _write(tmp_path, b"0 1\n\xff\xfe 2\n")
    with pytest.raises(DataFormatError, match=r":2: line is not ASCII"):
        read_interactions(path)


@pytest.mark.parametrize("text", ["", "\n\n  \n"])
def test_empty_file_is_an_error(tmp_path, text):
    path = _write(tmp_path, text)
    with pytest.raises(DataFormatError, match="file is empty"):
        read_interactions(path)


def test_missing_file_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such interaction file"):
        read_interactions(str(tmp_path / "nope.txt"))


def test_vectorised_blocks_equal_the_line_by_line_reader(tmp_path, monkeypatch):
    from ahns_tf.data import read_text as reader
    rng = np.random.default_rng(7)
    lines = []
    for u in rng.permutation(300):
        items = rng.integers(0, 10**6, rng.integers(0, 12))
        sep = rng.choice([" ", "\t", "  "])
        lines.append(sep.join(map(str, [u, *items])) + rng.choice(["", " ", "\r"]))
        if rng.random() < 0.1:
            lines.append("")                                # blank lines are skipped
    path = tmp_path / "train.txt"
    path.write_text("\n".join(lines))                       # no newline at the end
    monkeypatch.setattr(reader, "BLOCK_BYTES", 97)          # lines cross block boundaries
    fast = reader._read_fast(str(path))
    slow = reader._read_lines(str(path))
    for a, b in zip(fast, slow):
        np.testing.assert_array_equal(a, b)
    got = reader.read_interactions(str(path))
    assert len(got) == len({(u, i) for u, i in zip(*slow[:2])})


@pytest.mark.parametrize("text, message", [
    ("0 1\n1 2 x\n", r":2: item id is not a non-negative integer \(got 'x'\)"),
    ("0 1\n1 99999999999\n", r":2: item id is larger than the supported maximum"),
    ("0 1\n5 2\n", r":2: user id is beyond the declared --num-users 3"),
])
def test_errors_found_by_the_fast_path_still_name_file_line_and_token(tmp_path, text, message):
    from ahns_tf.data import DataFormatError
    from ahns_tf.data.read_text import read_interactions
    path = tmp_path / "train.txt"
    path.write_text(text)
    with pytest.raises(DataFormatError, match=message):
        read_interactions(str(path), num_users=3)
