"""What the memory system alone costs as the tables grow (the floors under scale.md's targets).

Usage:
    python -m benchmarks.memory_floor

An AHNS step and a batch-1 serving request do little arithmetic per byte; once
the tables outgrow the caches their cost is the memory system's. This times,
for embedding tables of 10^4, 10^5 and 10^6 rows x 64 float32 (median of 50
compiled calls, fresh random ids each call), only the memory work of one step
of batch 2048, M = 32, with none of the model around it:

* **reads**: the rows an AHNS step gathers (2048 users, 2048 x 33 items);
* **lazy update**: LazyAdam's sparse update of 6,144 rows in both tables (the
  same ops as `ahns_tf.models.LazyAdam`: unique, segment sum, two moment
  gathers, three scatters);
* **scatter**: the cheapest possible sparse update (one scatter per table);
* **serve**: one user's scores over every item (reading the whole table), then
  with ``top_k`` in float32 and bfloat16 (what ``serving_default`` at batch 1 must do, scored
  as `ahns_tf.evaluation.ranking.streaming_top_k` scores a chunk).

Writes ``results/memory-floor.{json,md}`` with the command and commit.
"""

import argparse
import os
import sys
import time

import ahns_tf  # noqa: F401  pylint: disable=unused-import  selects Keras 2
import numpy as np
import tensorflow as tf

from ahns_tf.atomic import write_results
from ahns_tf.provenance import payload_origin, provenance

HERE = os.path.dirname(os.path.abspath(__file__))
BATCH, M, DIM = 2048, 32, 64


def median_ms(fn, args_list, calls: int = 50) -> float:
    """Median milliseconds of ``fn(args)`` over `calls` calls, cycling `args_list`."""
    for args in args_list[:3]:
        fn(*args)
    times = []
    for call in range(calls):
        args = args_list[call % len(args_list)]
        start = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - start)
    return 1000 * float(np.median(times))


def measure(rows: int, seed: int = 0) -> dict:
    """Milliseconds of each memory-bound piece for tables of `rows` rows."""
    rng = np.random.default_rng(seed)
    tables = [tf.Variable(tf.random.normal([rows, DIM])) for _ in range(2)]    # users, items
    moments = [tf.Variable(tf.zeros([rows, DIM])) for _ in range(4)]           # m, v per table
    ids = [(tf.constant(rng.integers(0, rows, BATCH)),
            tf.constant(rng.integers(0, rows, BATCH * (M + 1)))) for _ in range(20)]

    @tf.function
    def reads(users, items):
        return (tf.reduce_sum(tf.nn.embedding_lookup(tables[0], users))
                + tf.reduce_sum(tf.nn.embedding_lookup(tables[1], items)))

    @tf.function
    def lazy_update(users, items):
        for table, m, v, touched in ((tables[0], moments[0], moments[1], users),
                                     (tables[1], moments[2], moments[3], items[:2 * BATCH])):
            grad = tf.ones([tf.size(touched), DIM])
            unique, position = tf.unique(touched)
            grad = tf.math.unsorted_segment_sum(grad, position, tf.size(unique))
            m_rows = 0.9 * tf.gather(m, unique) + 0.1 * grad
            v_rows = 0.999 * tf.gather(v, unique) + 0.001 * tf.square(grad)
            m.scatter_update(tf.IndexedSlices(m_rows, unique))
            v.scatter_update(tf.IndexedSlices(v_rows, unique))
            table.scatter_sub(tf.IndexedSlices(1e-3 * m_rows / (tf.sqrt(v_rows) + 1e-8), unique))

    @tf.function
    def scatter(users, items):
        tables[0].scatter_sub(tf.IndexedSlices(tf.ones([BATCH, DIM]), users))
        tables[1].scatter_sub(tf.IndexedSlices(tf.ones([2 * BATCH, DIM]), items[:2 * BATCH]))

    full = tf.convert_to_tensor(tables[1])   # read once: .value() per call would copy the table
    half = tf.cast(full, tf.bfloat16)
    users = [(tf.random.normal([1, DIM], seed=s),) for s in range(20)]

    @tf.function
    def scores(user, table):                   # as streaming_top_k scores one chunk
        return tf.matmul(tf.cast(user, table.dtype), table, transpose_b=True)      # [1, rows]

    @tf.function
    def serve(user, table):
        return tf.math.top_k(scores(user, table), 20)

    return {"rows": rows, "table_mib": rows * DIM * 4 / 2**20,
            "reads_ms": median_ms(reads, ids),
            "lazy_update_ms": median_ms(lazy_update, ids),
            "scatter_ms": median_ms(scatter, ids),
            "scores_fp32_ms": median_ms(lambda u: scores(u, full), users),
            "serve_fp32_ms": median_ms(lambda u: serve(u, full), users),
            "serve_bf16_ms": median_ms(lambda u: serve(u, half), users)}


def markdown(payload: dict) -> str:
    """The report table."""
    lines = ["# Memory floor: what table size alone costs", "",
             f"Produced by {payload_origin(payload)}. Median ms of 50 compiled calls with fresh "
             f"random ids; batch {BATCH}, M = {M}, {DIM} float32 per row; load average (1 min) "
             f"{payload['load_before']:.2f} before, {payload['load_after']:.2f} after.", "",
             "| table rows | MiB per table | reads of a step | LazyAdam update | plain scatter | "
             "scores of 1 user, fp32 | + top_k 20, fp32 | + top_k 20, bf16 |",
             "|---|---|---|---|---|---|---|---|"]
    for r in payload["rows"]:
        lines.append(f"| {r['rows']:,} | {r['table_mib']:.0f} | {r['reads_ms']:.2f} | "
                     f"{r['lazy_update_ms']:.2f} | {r['scatter_ms']:.2f} | "
                     f"{r['scores_fp32_ms']:.2f} | {r['serve_fp32_ms']:.2f} | "
                     f"{r['serve_bf16_ms']:.2f} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[10**4, 10**5, 10**6])
    parser.add_argument("--output", default=os.path.join(HERE, "results", "memory-floor"))
    args = parser.parse_args(argv)
    payload = {"provenance": provenance(argv), "load_before": os.getloadavg()[0],
               "rows": [measure(rows) for rows in args.rows]}
    payload["load_after"] = os.getloadavg()[0]
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    print(write_results(args.output, payload, markdown(payload)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
