"""Where the paper's four datasets live, and how they are fetched and verified.

A dataset ``NAME`` is the folder ``DATA_DIR/NAME`` holding ``train.txt``,
``test.txt`` and optionally ``valid.txt``. ``DATA_DIR`` is, in order: the
``data_dir`` argument (``--data-dir``), the ``AHNS_DATA_DIR`` environment
variable, or ``~/.cache/ahns_tf`` (``$XDG_CACHE_HOME/ahns_tf``). The four
benchmark datasets (``ml-1m``, ``phones``, ``sports``, ``tools``) are
downloaded into that folder from the paper's GitHub repository when absent, and
their SHA-256 checksums are verified whether downloaded or found locally.
"""

import hashlib
import os
import urllib.error
import urllib.request

from ahns_tf.atomic import atomic_file

ENV_VAR = "AHNS_DATA_DIR"
SOURCE_URL = "https://raw.githubusercontent.com/Riwei-HEU/AHNS/main/data/{remote}/{split}.txt"

# name -> (folder in the reference repository, {split: sha256})
BENCHMARKS = {
    "ml-1m": ("ml", {
        "train": "b5d699e7297013759d8fc44b17a87652c1cc9ea496152fa76621b599358da73e",
        "test": "862fcad55075f482fec726156063ebae20d33a093262bdd0096613228bc0eb60"}),
    "phones": ("phone", {
        "train": "fce5cf288e50c3710401c17f507db293e526f5b398992c80042dbfe65cddc2e1",
        "test": "ba6429e11f526416cc941bd1f58b892a586641c27a1084c63e1da78eb1592724"}),
    "sports": ("sport", {
        "train": "446ff26e2a5c0ca7556bcc2ebf5275177ccba92c49cb63905de850e0085a6c37",
        "test": "36456558a5cfb709893203e964e7fa8f1f284f6c9735eb05f8f6d71d267c3978"}),
    "tools": ("tool", {
        "train": "f59f810f2aaafe20814d9f16ff193bd571dfe3c4706fd29cf5352cc419c045bb",
        "test": "3ba5f318520b55790e9e44a55e8dfb996328bc682a5fbb49f9a8a97a34fbc879"}),
}


class ChecksumError(ValueError):
    """A benchmark file's SHA-256 differs from the published one."""


def default_data_dir(data_dir=None) -> str:
    """Resolves the data folder: argument, then $AHNS_DATA_DIR, then the cache.

    Example:

    >>> default_data_dir("/data/ahns")
    '/data/ahns'
    """
    if data_dir:
        return os.fspath(data_dir)
    if os.environ.get(ENV_VAR):
        return os.environ[ENV_VAR]
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "ahns_tf")


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_checksum(path: str, expected: str, name: str) -> None:
    """Raises `ChecksumError` naming the file when its SHA-256 is not `expected`."""
    actual = sha256_of(path)
    if actual != expected:
        raise ChecksumError(
            f"{path}: SHA-256 {actual} does not match the published {expected} for "
            f"benchmark dataset '{name}'. Delete the file to download it again, or, if "
            f"this is your own data, put it in a folder with another name and pass "
            f"--dataset with that name.")


def _download(url: str, dest: str, expected: str, name: str) -> None:
    """Downloads to a temporary file, verifies it, then renames it into place."""
    with atomic_file(dest, "wb") as out, urllib.request.urlopen(url, timeout=60) as response:
        while True:
            block = response.read(1 << 20)
            if not block:
                break
            out.write(block)
        out.flush()
        verify_checksum(out.name, expected, name)


def locate(name: str, data_dir=None, download: bool = True) -> dict:
    """Finds (and for a benchmark, fetches and verifies) a dataset's files.

    Args:
        name: a benchmark name (``ml-1m``, ``phones``, ``sports``, ``tools``) or
            the name of a folder under the data folder holding your own files.
        data_dir: the data folder; see the module docstring for the default.
        download: fetch missing benchmark files from the paper's repository.

    Returns:
        ``{"train": path, "test": path}`` plus ``"valid"`` when ``valid.txt``
        exists.

    Raises:
        FileNotFoundError: the files are missing and cannot be fetched; the
            message lists the known datasets and says how to point at a copy.
        ChecksumError: a benchmark file does not match its published checksum.

    Example:

    >>> locate("tools", "../shared/data/ahns")["train"]  # doctest: +SKIP
    '../shared/data/ahns/tools/train.txt'
    """
    root = default_data_dir(data_dir)
    folder = os.path.join(root, name)
    paths = {split: os.path.join(folder, f"{split}.txt") for split in ("train", "test")}
    if name not in BENCHMARKS:
        missing = [p for p in paths.values() if not os.path.isfile(p)]
        if missing and os.path.isdir(folder):
            raise FileNotFoundError(
                f"{missing[0]} not found: dataset '{name}' needs train.txt and test.txt "
                f"(lines 'user item item ...') in {folder}")
        if missing:
            raise FileNotFoundError(
                f"unknown dataset '{name}': {missing[0]} not found. Known benchmark "
                f"datasets: {', '.join(sorted(BENCHMARKS))}. For your own data, create "
                f"{folder}/train.txt and test.txt (lines 'user item item ...') and pass "
                f"--data-dir {root} (or set {ENV_VAR}).")
    else:
        remote, checksums = BENCHMARKS[name]
        for split, path in paths.items():
            if not os.path.isfile(path):
                if not download:
                    raise FileNotFoundError(f"{path} not found and download=False")
                url = SOURCE_URL.format(remote=remote, split=split)
                try:
                    _download(url, path, checksums[split], name)
                except OSError as e:  # URLError is an OSError; ChecksumError is not
                    raise FileNotFoundError(
                        f"benchmark dataset '{name}' is not in {folder} and could not be "
                        f"downloaded from {url} ({e}). Pass --data-dir DIR (or set "
                        f"{ENV_VAR}=DIR) where DIR/{name}/train.txt and test.txt exist."
                    ) from e
            verify_checksum(path, checksums[split], name)
    valid = os.path.join(folder, "valid.txt")
    if os.path.isfile(valid):
        paths["valid"] = valid
    return paths
