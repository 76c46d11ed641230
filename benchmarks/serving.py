"""Latency of the exported `serving_default` signature, loaded with plain TensorFlow.

Usage (after `python -m pipelines.export --run-dir runs/benchmarks/sports-ahns-test
--export-dir saved_models/sports`, or any training run on sports):

    python benchmarks/serving.py --model-dir saved_models/sports

This script imports only TensorFlow and numpy (never the ahns_tf package), as TF Serving would
load the model; it loads two standard-library-and-numpy files of the library on their own
(provenance.py for the record, atomic.py for the writes). It times single calls of the signature
with random known user ids, after a warm-up, and writes benchmarks/results/serving.json and
serving.md (p50/p99 in milliseconds), each atomically: a failed write keeps the old file.
"""

import argparse
import datetime
import json
import os
import platform
import time

import numpy as np
import tensorflow as tf

HERE = os.path.dirname(os.path.abspath(__file__))


def _library_module(name: str):
    """``ahns_tf/<name>.py`` loaded on its own (standard library and numpy only), not the
    ahns_tf package (which would set up tf-keras)."""
    import importlib.util  # pylint: disable=import-outside-toplevel
    path = os.path.join(os.path.dirname(HERE), "ahns_tf", f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"ahns_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def latest_version(model_dir):
    versions = sorted(int(v) for v in os.listdir(model_dir) if v.isdigit())
    if not versions:
        raise SystemExit(f"error: no numeric version folder in {model_dir}")
    return os.path.join(model_dir, str(versions[-1]))


def measure(fn, num_users, batch_size, requests, warmup, seed):
    rng = np.random.default_rng(seed)
    batches = [tf.constant(rng.integers(0, num_users, batch_size), tf.int64)
               for _ in range(requests + warmup)]
    for ids in batches[:warmup]:
        fn(user_id=ids)["item_ids"].numpy()
    seconds = []
    for ids in batches[warmup:]:
        start = time.perf_counter()
        fn(user_id=ids)["item_ids"].numpy()
        seconds.append(time.perf_counter() - start)
    ms = 1000 * np.array(seconds)
    return {"batch_size": batch_size, "requests": requests, "p50_ms": float(np.percentile(ms, 50)),
            "p99_ms": float(np.percentile(ms, 99)), "mean_ms": float(ms.mean())}


def write_results(output: str, payload: dict, records) -> str:
    """Writes ``serving.json`` and ``serving.md`` into `output`, each atomically.

    Args:
        output: the results folder (created if missing).
        payload: what `main` measured (``provenance``, ``model``, sizes, ``machine``,
            ``results``).
        records: the loaded ``ahns_tf/provenance.py`` (`_library_module`).

    Returns:
        The Markdown report.
    """
    lines = ["# Serving latency of `serving_default` (plain `tf.saved_model.load`, in-process)", "",
             f"Produced by {records.payload_origin(payload)}. Model: {payload['num_users']} users "
             f"x {payload['num_items']} items, "
             f"dim {payload['dim']}, K {payload['k']}, training items excluded. Machine: "
             f"{json.dumps(payload['machine'])}", "",
             "| batch size | requests | p50 ms | p99 ms | mean ms |", "|---|---|---|---|---|"]
    for r in payload["results"]:
        lines.append(f"| {r['batch_size']} | {r['requests']} | {r['p50_ms']:.2f} | "
                     f"{r['p99_ms']:.2f} | {r['mean_ms']:.2f} |")
    atomic = _library_module("atomic")  # temp file + fsync + rename: old file or new, never half
    return atomic.write_results(os.path.join(output, "serving"), payload, "\n".join(lines) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-dir", default="saved_models/sports")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 256])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--output", default=os.path.join(HERE, "results"))
    args = parser.parse_args()
    records = _library_module("provenance")
    origin = records.provenance()
    path = latest_version(args.model_dir)
    model = tf.saved_model.load(path)
    fn = model.signatures["serving_default"]
    num_users, dim = model.user_embeddings.shape
    num_items = model.item_embeddings.shape[0]
    rows = [measure(fn, num_users, b, args.requests, args.warmup, seed=b) for b in args.batch_sizes]
    payload = {"provenance": origin, "model": path, "num_users": int(num_users),
               "num_items": int(num_items),
               "dim": int(dim), "k": int(fn.structured_outputs["item_ids"].shape[-1]),
               "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                           "tensorflow": tf.__version__,
                           "date": datetime.date.today().isoformat()},
               "results": rows}
    print(write_results(args.output, payload, records), end="")


if __name__ == "__main__":
    main()
