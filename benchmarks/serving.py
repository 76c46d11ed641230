r"""Latency of an exported `serving_default` signature, loaded with plain TensorFlow.

    python -m benchmarks.serving --model-dir saved_models/sports

Loads the export (e.g. of a sports run, ``python -m pipelines.export``) with `tf.saved_model.load`
alone, as TF Serving does: no model code, only `ahns_tf.provenance` and `ahns_tf.atomic` (standard
library and numpy) for the record and the writes. Writes ``serving.{json,md}`` (p50/p99 ms).
"""

import os
import time

import numpy as np
import tensorflow as tf

from ahns_tf.provenance import provenance
from benchmarks import report


def measure(fn, num_users: int, batch_size: int, requests: int, warmup: int, seed: int) -> dict:
    """``{"batch_size", "requests", "p50_ms", "p99_ms", "mean_ms"}`` of `requests` calls of the
    signature `fn` (after `warmup` untimed ones) on `batch_size` seeded ids below `num_users`."""
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


def markdown(payload: dict, stem: str = "") -> str:
    """The report of `main`'s payload: one row per batch size."""
    lines = ["# Serving latency of `serving_default` (plain `tf.saved_model.load`, in-process)", "",
             f"{report.produced_by(payload)}. Model: {payload['num_users']} users x "
             f"{payload['num_items']} items, dim {payload['dim']}, K {payload['k']}, training "
             "items excluded.", ""]
    return "\n".join(lines + report.table(
        ["batch size", "requests", "p50 ms", "p99 ms", "mean ms"],
        [[r["batch_size"], r["requests"]] + [f"{r[k]:.2f}" for k in ("p50_ms", "p99_ms", "mean_ms")]
         for r in payload["results"]])) + "\n"


def main(argv=None) -> int:
    parser = report.parser(__doc__, "benchmarks.serving")
    parser.add_argument("--model-dir", default="saved_models/sports")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 256])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args(argv)
    stem = os.path.join(args.output, "serving")
    if args.report_only:
        return report.rerender(stem, markdown, argv=argv)
    versions = sorted(int(v) for v in os.listdir(args.model_dir) if v.isdigit())
    if not versions:
        parser.error(f"no numeric version folder in {args.model_dir}")
    path = os.path.join(args.model_dir, str(versions[-1]))                 # the latest export
    model = tf.saved_model.load(path)
    fn = model.signatures["serving_default"]
    num_users, dim = model.user_embeddings.shape
    payload = {"provenance": provenance(argv), "model": path, "num_users": int(num_users),
               "num_items": int(model.item_embeddings.shape[0]), "dim": int(dim),
               "k": int(fn.structured_outputs["item_ids"].shape[-1]),
               "machine": report.machine(),
               "results": [measure(fn, num_users, b, args.requests, args.warmup, seed=b)
                           for b in args.batch_sizes]}
    report.publish(stem, payload, markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
