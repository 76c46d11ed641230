"""One measurement of `benchmarks.scale`, in its own process (its peak RSS is its own).

Modes (each writes a JSON object to ``--out``):

* ``read``: reads and validates ``--dataset`` as training does; also saves the
  training-file items of 2,000 seeded users next to ``--out`` for ``serve``.
* ``step``: milliseconds per AHNS (M=32) training step with ``--optimizer``,
  timed over ``--steps`` steps after a warm-up epoch of the same length.
* ``serve``: loads ``--export`` with TensorFlow only (as TF Serving would; no
  ahns_tf import) and times ``serving_default`` at batch 1 and 256.
"""

import argparse
import json
import sys
import time

import numpy as np

USERS_CHECKED = 2000


def _config(args, **kw):
    from ahns_tf.config import TrainConfig
    return TrainConfig(dataset=args.dataset, data_dir=args.data_dir, **kw).resolved()


def read(args) -> dict:
    from ahns_tf.data.reader import sorted_unique
    from ahns_tf.training import load_for
    start = time.perf_counter()
    dataset = load_for(_config(args))
    seconds = time.perf_counter() - start
    known = dataset.known_interactions()                  # everything the export excludes
    users = np.random.default_rng(0).choice(sorted_unique(dataset.train.users), USERS_CHECKED,
                                            replace=False)
    keep = np.isin(known[0], users)
    np.savez(args.out + ".served.npz", users=users, known_users=known[0][keep],
             known_items=known[1][keep])
    return {"read_seconds": seconds, **dataset.stats()}


def step(args) -> dict:
    import tensorflow as tf
    from ahns_tf.pipeline.input import training_pairs
    from ahns_tf.training import build_model, load_for
    config = _config(args, optimizer=args.optimizer, sampler="ahns")
    dataset = load_for(config)
    model = build_model(config, dataset)
    times = []

    class Timer(tf.keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.start)

    pairs = training_pairs(dataset.train.users, dataset.train.items, config.batch_size,
                           config.seed)
    model.fit(pairs, epochs=2, steps_per_epoch=args.steps, callbacks=[Timer()], verbose=0)
    return {"optimizer": type(model.optimizer).__name__, "steps": args.steps,
            "step_ms": 1000 * times[1] / args.steps, "batch_size": config.batch_size,
            "num_candidates": config.num_candidates}


def serve(args) -> dict:
    import tensorflow as tf
    from benchmarks.serving import measure
    model = tf.saved_model.load(args.export)  # the version folder metrics.json names
    fn = model.signatures["serving_default"]
    served = np.load(args.out + ".served.npz")
    num_users = int(served["users"].max()) + 1
    out = {str(b): measure(fn, num_users, b, requests, warmup=3, seed=b)
           for b, requests in ((1, 200), (256, 20))}
    leaked = 0
    known = set(zip(served["known_users"].tolist(), served["known_items"].tolist()))
    for chunk in np.array_split(served["users"], 8):
        ids = fn(user_id=tf.constant(chunk, tf.int64))["item_ids"].numpy()     # [B, K]
        leaked += sum((u, i) in known for u, row in zip(chunk.tolist(), ids.tolist())
                      for i in row)
    out["training_items_served"] = int(leaked)
    out["users_checked"] = int(served["users"].size)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale_child")
    parser.add_argument("mode", choices=["read", "step", "serve"])
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--optimizer", default="auto")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--export")
    args = parser.parse_args(argv)
    if args.mode != "serve":
        import ahns_tf  # noqa: F401  (tf-keras before TF)
    result = {"read": read, "step": step, "serve": serve}[args.mode](args)
    with open(args.out, "w") as f:
        json.dump(result, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
