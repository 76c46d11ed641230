"""Seconds to read, filter, index and split a log of 10^7 rows with string ids (--data-file).

Usage:
    python -m benchmarks.read_log --rows 10000000 --work-dir /tmp/read_log

Writes (once) a CSV of `--rows` interactions ``user_id,item_id,timestamp`` with
string ids (``user0000123``, ``item00456``; 10^6 users, 10^5 items by default),
and its Parquet copy, then times each stage of `load_log_dataset` on both:
`read_log` (pyarrow), `implicit_positives` (duplicates, k-core),
`Vocabulary.from_ids`, and `split_parts` (random), then the whole `load_log_dataset` (all of these plus
the train/valid/test `Interactions`, as ``pipelines.train`` runs it). Writes
``benchmarks/results/read-log.json`` and ``.md`` with the provenance.
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ahns_tf.atomic import atomic_write_text
from ahns_tf.config import TrainConfig
from ahns_tf.data.log_dataset import load_log_dataset
from ahns_tf.data.log_filters import implicit_positives, time_values
from ahns_tf.data.logs import read_log
from ahns_tf.data.split_log import split_parts
from ahns_tf.data.vocabulary import Vocabulary
from ahns_tf.provenance import provenance

HERE = os.path.dirname(os.path.abspath(__file__))


def make_log(path: str, rows: int, users: int, items: int, seed: int = 0) -> None:
    """Writes a CSV log of `rows` random interactions with string ids."""
    rng = np.random.default_rng(seed)
    u = rng.integers(0, users, rows)
    i = rng.integers(0, items, rows)
    table = pa.table({
        "user_id": pa.array(np.char.add("user", np.char.zfill(u.astype(str), 7))),
        "item_id": pa.array(np.char.add("item", np.char.zfill(i.astype(str), 5))),
        "timestamp": pa.array(1_600_000_000 + rng.integers(0, 10**8, rows))})
    pacsv.write_csv(table, path + ".tmp")
    os.replace(path + ".tmp", path)


def time_stages(path: str) -> dict:
    """Seconds per stage of loading `path`, and the counts."""
    seconds = {}
    start = time.perf_counter()
    log = read_log(path)
    seconds["read_log"] = time.perf_counter() - start
    mark = time.perf_counter()
    kept, counts = implicit_positives(log)
    seconds["duplicates_and_k_core"] = time.perf_counter() - mark
    mark = time.perf_counter()
    vocab = Vocabulary.from_ids(kept.column("user_id"), kept.column("item_id"))
    users = vocab.user_index(kept.column("user_id"))
    seconds["vocabulary_and_index"] = time.perf_counter() - mark
    mark = time.perf_counter()
    split_parts(users, time_values(kept), "random")
    seconds["split_random"] = time.perf_counter() - mark
    seconds["total"] = time.perf_counter() - start
    mark = time.perf_counter()  # all of it, as pipelines.train does it (with the RecDataset)
    load_log_dataset(TrainConfig(dataset="bench", data_file=path).resolved())
    seconds["load_log_dataset"] = time.perf_counter() - mark
    return {"seconds": seconds, "rows": log.num_rows, "kept": counts.kept,
            "duplicates": counts.duplicates, "users": len(vocab.users),
            "items": len(vocab.items), "bytes": os.path.getsize(path)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10**7)
    parser.add_argument("--users", type=int, default=10**6)
    parser.add_argument("--items", type=int, default=10**5)
    parser.add_argument("--work-dir", default="/tmp/read_log")
    parser.add_argument("--output", default=os.path.join(HERE, "results", "read-log"))
    args = parser.parse_args(argv)
    os.makedirs(args.work_dir, exist_ok=True)
    csv_path = os.path.join(args.work_dir, f"log-{args.rows}.csv")
    if not os.path.isfile(csv_path):
        make_log(csv_path, args.rows, args.users, args.items)
    parquet_path = csv_path[:-4] + ".parquet"
    if not os.path.isfile(parquet_path):
        pq.write_table(pacsv.read_csv(csv_path), parquet_path)
    results = {name: time_stages(path) for name, path in (("csv", csv_path),
                                                           ("parquet", parquet_path))}
    payload = {"provenance": provenance(argv if argv is not None else sys.argv[1:]),
               "cpu_count": os.cpu_count(), "results": results}
    atomic_write_text(args.output + ".json", json.dumps(payload, indent=2))
    lines = [f"# Reading a log of {args.rows:,} rows (--data-file)", "",
             f"`{payload['provenance']['command']}` at commit "
             f"{(payload['provenance']['commit'] or 'unknown')[:10]}, {os.cpu_count()} CPUs, "
             "pyarrow " + pa.__version__ + ".", "",
             "| file | MB | read_log s | duplicates + k-core s | vocabulary s | split s | "
             "sum s | load_log_dataset s |", "|---|---|---|---|---|---|---|---|"]
    for name, r in results.items():
        s = r["seconds"]
        lines.append(f"| {name} | {r['bytes'] / 1e6:.0f} | {s['read_log']:.1f} | "
                     f"{s['duplicates_and_k_core']:.1f} | {s['vocabulary_and_index']:.1f} | "
                     f"{s['split_random']:.1f} | {s['total']:.1f} | "
                     f"{s['load_log_dataset']:.1f} |")
    lines += ["", f"{results['csv']['users']:,} users, {results['csv']['items']:,} items, "
              f"{results['csv']['duplicates']:,} duplicate pairs dropped."]
    atomic_write_text(args.output + ".md", "\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
