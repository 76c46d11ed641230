"""Locating, downloading and verifying datasets."""

import hashlib
import io
import os
import urllib.error

import pytest

from ahns_tf.data import BENCHMARKS, ChecksumError, load_dataset, locate
from ahns_tf.data import paper_files as sources


def test_benchmark_checksums_match_the_shared_copy(shared_data):
    # The published SHA256SUMS beside the data is the independent source.
    with open(os.path.join(shared_data, "SHA256SUMS")) as f:
        published = dict(reversed(line.split()) for line in f if line.strip())
    for name, (_, checksums) in BENCHMARKS.items():
        for split, digest in checksums.items():
            assert published[f"{name}/{split}.txt"] == digest


def test_locates_a_verified_local_copy(shared_data):
    paths = locate("tools", shared_data, download=False)
    assert paths == {"train": os.path.join(shared_data, "tools", "train.txt"),
                     "test": os.path.join(shared_data, "tools", "test.txt")}


def test_environment_variable_is_the_default_data_dir(monkeypatch, toy_data_dir):
    monkeypatch.setenv("AHNS_DATA_DIR", toy_data_dir)
    assert locate("toy")["train"] == os.path.join(toy_data_dir, "toy", "train.txt")


def test_unknown_dataset_lists_known_ones(tmp_path):
    with pytest.raises(FileNotFoundError, match="unknown dataset 'nope'.*ml-1m, phones, sports, tools"):
        locate("nope", str(tmp_path))


def test_modified_benchmark_file_fails_its_checksum(tmp_path):
    folder = tmp_path / "tools"
    folder.mkdir()
    (folder / "train.txt").write_text("0 1\n")
    (folder / "test.txt").write_text("0 2\n")
    with pytest.raises(ChecksumError, match=r"tools/train.txt: SHA-256 .* does not match"):
        locate("tools", str(tmp_path), download=False)


def _fake_remote(monkeypatch, content: bytes, published: bytes):
    """Serves `content` for every URL; the registry expects `published`'s digest."""
    digest = hashlib.sha256(published).hexdigest()
    monkeypatch.setitem(BENCHMARKS, "tools", ("tool", {"train": digest, "test": digest}))
    urls = []

    def urlopen(url, timeout):
        urls.append(url)
        return io.BytesIO(content)
    monkeypatch.setattr(sources.urllib.request, "urlopen", urlopen)
    return urls


def test_download_verifies_and_renames_into_place(monkeypatch, tmp_path):
    urls = _fake_remote(monkeypatch, b"0 1 2\n", b"0 1 2\n")
    paths = locate("tools", str(tmp_path))
    assert urls == ["https://raw.githubusercontent.com/Riwei-HEU/AHNS/main/data/tool/train.txt",
                    "https://raw.githubusercontent.com/Riwei-HEU/AHNS/main/data/tool/test.txt"]
    assert open(paths["train"]).read() == "0 1 2\n"
    assert sorted(os.listdir(tmp_path / "tools")) == ["test.txt", "train.txt"]


def test_corrupt_download_leaves_nothing_behind(monkeypatch, tmp_path):
    _fake_remote(monkeypatch, b"0 1 2 tampered\n", b"0 1 2\n")
    with pytest.raises(ChecksumError):
        locate("tools", str(tmp_path))
    assert os.listdir(tmp_path / "tools") == []


def test_offline_error_says_how_to_point_at_a_copy(monkeypatch, tmp_path):
    def offline(url, timeout):
        raise urllib.error.URLError("no network")
    monkeypatch.setattr(sources.urllib.request, "urlopen", offline)
    with pytest.raises(FileNotFoundError, match="--data-dir DIR.*AHNS_DATA_DIR"):
        locate("sports", str(tmp_path))


def test_load_dataset_counts_and_validation_split(toy_data_dir):
    data = load_dataset("toy", toy_data_dir, validation_fraction=0.1, seed=0)
    assert (data.num_users, data.num_items) == (40, 30)
    assert len(data.train) + len(data.valid) == 240
    assert len(data.valid) == 24
    assert len(data.test) == 80
    assert load_dataset("toy", toy_data_dir, validation_fraction=None).valid is None
