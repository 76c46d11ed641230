"""Raw id -> row vocabularies: sorted, with unknown ids at -1, saved with the run."""

import numpy as np
import pytest

from ahns_tf.data.vocabulary import Vocabulary, index_of


def test_rows_follow_python_text_order_whatever_the_log_order():
    users = ["zoë", "10", "9", "alice", "10"]
    vocab = Vocabulary.from_ids(users, ["b", "a"])
    assert vocab.users.tolist() == sorted(set(users))  # ['10', '9', 'alice', 'zoë']
    assert vocab.user_index(["alice", "zoë", "bob"]).tolist() == [2, 3, -1]
    assert vocab.item_index(["a", "b"]).tolist() == [0, 1]
    assert Vocabulary.from_ids(users[::-1], ["a", "b"]) == vocab


def test_save_and_load_round_trip(tmp_path):
    vocab = Vocabulary.from_ids(["u1", "u2"], ["i\n1", "i,2"])
    vocab.save(str(tmp_path))
    assert Vocabulary.load(str(tmp_path)) == vocab


def test_load_names_a_missing_or_damaged_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="vocabulary.json"):
        Vocabulary.load(str(tmp_path))
    (tmp_path / "vocabulary.json").write_text("{")
    with pytest.raises(ValueError, match="vocabulary.json is unreadable"):
        Vocabulary.load(str(tmp_path))


def test_index_of_numpy_ids():
    assert index_of(np.array(["x", "y"], object), np.array(["y", "q"], object)).tolist() == [1, -1]
