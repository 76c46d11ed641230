"""Property test: random (often malformed) lines either parse exactly or raise DataFormatError."""

import os
import tempfile
import warnings

import pytest

from hypothesis import given, settings
from hypothesis import strategies as st

from ahns_tf.data import DataFormatError, read_interactions

token = st.one_of(
    st.integers(0, 10**6).map(str),
    st.integers(-50, -1).map(str),
    st.sampled_from(["1.5", "x", "0x10", "", "1e3", "+3", "٣"]),
    st.text(min_size=1, max_size=4))
line = st.lists(token, min_size=0, max_size=6).map(" ".join)


def _expected(lines):
    """Independent reference parse: the set of pairs, or None if any token is invalid."""
    pairs, users = set(), 0
    for text in lines:
        tokens = text.split()
        if not tokens:
            continue
        if not all(t.isascii() and t.isdigit() for t in tokens):
            return None
        users += 1
        pairs |= {(int(tokens[0]), int(t)) for t in tokens[1:]}
    return pairs if users else None


@settings(max_examples=150, deadline=None)
@given(st.lists(line, min_size=0, max_size=8))
@pytest.mark.slow
def test_reader_parses_exactly_or_raises_the_documented_error(lines):
    text = "\n".join(lines)
    fd, path = tempfile.mkstemp(suffix=".txt")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(text.encode("utf-8"))
        expected = _expected(text.split("\n"))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = read_interactions(path)
        except DataFormatError as e:
            assert expected is None, f"rejected a valid file: {e}"
            assert str(e).startswith(path)
            return
        assert expected is not None, "accepted an invalid file"
        assert set(zip(result.users.tolist(), result.items.tolist())) == expected
    finally:
        os.remove(path)
