"""Where an AHNS training step's time goes, piece by piece (run on an idle machine).

Usage:
    python benchmarks/profile_step.py --data-dir ../shared/data/ahns --dataset tools

Times (median of 50 calls, each a compiled tf.function on one batch of 2048 pairs): candidate
sampling, gathering and scoring the candidates (whole tensor vs block-wise), AHNS selection from
scores, and a whole step (loss, gradient, update) with FusedAdam (dense, the default), LazyAdam
and Keras' Adam. With ``--backbone lightgcn --layers L``: also the propagation alone (forward,
and forward + gradient), which every LightGCN step computes over the whole graph.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import ahns_tf  # noqa: E402,F401  pylint: disable=g-import-not-at-top
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from ahns_tf.config import TrainConfig  # noqa: E402
from ahns_tf.models import FusedAdam, LazyAdam  # noqa: E402
from ahns_tf.samplers.selector import candidate_scores, gathered_candidate_scores  # noqa: E402
from ahns_tf.training import build_model, load_for  # noqa: E402


def median_ms(fn, *args, calls=50):
    for _ in range(3):
        fn(*args)
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - start)
    return 1000 * float(np.median(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="tools")
    parser.add_argument("--data-dir")
    parser.add_argument("--backbone", default="mf", choices=["mf", "lightgcn"])
    parser.add_argument("--layers", type=int, default=3)
    args = parser.parse_args()
    config = TrainConfig(dataset=args.dataset, data_dir=args.data_dir, select_on="test",
                         backbone=args.backbone, layers=args.layers).resolved()
    data = load_for(config)
    model = build_model(config, data)
    rng = np.random.default_rng(0)
    pick = rng.permutation(len(data.train))[:config.batch_size]
    users = tf.constant(data.train.users[pick])
    items = tf.constant(data.train.items[pick])
    step = tf.Variable(0, dtype=tf.int64)
    user_table, item_table = model.backbone.tables()
    candidates = model.candidate_sampler(users, step)
    e_user, e_pos = tf.gather(user_table, users), tf.gather(item_table, items)
    e_cand = tf.gather(item_table, candidates)

    scores = candidate_scores(e_user, e_cand)
    rows = {
        "candidate sampling": (tf.function(lambda: model.candidate_sampler(users, step)), ()),
        "gather, then score": (tf.function(
            lambda c: candidate_scores(e_user, tf.gather(item_table, c))), (candidates,)),
        "gather+score blocks": (tf.function(
            lambda c: gathered_candidate_scores(item_table, c, e_user)), (candidates,)),
        "AHNS selection": (tf.function(
            lambda: model.selector(e_user, e_pos, None, cand_scores=scores)), ()),
    }
    if args.backbone == "lightgcn":
        weights = model.backbone.trainable_variables

        def propagation_gradient():
            with tf.GradientTape() as tape:
                users_out, items_out = model.backbone.tables()
                # squares: the upstream gradient depends on the forward, as in a step (a plain
                # sum would let the backward products run alongside the forward ones)
                total = tf.reduce_sum(tf.square(users_out)) + tf.reduce_sum(tf.square(items_out))
            return tape.gradient(total, weights)
        rows["propagation forward"] = (tf.function(model.backbone.tables), ())
        rows["propagation fwd+grad"] = (tf.function(propagation_gradient), ())
    for name, optimizer in (("step with FusedAdam", FusedAdam(1e-3)),
                            ("step with LazyAdam", LazyAdam(1e-3)),
                            ("step with Keras Adam", tf.keras.optimizers.Adam(1e-3))):
        optimizer.build(model.trainable_variables)

        def train_step(optimizer=optimizer):
            with tf.GradientTape() as tape:
                loss = model.compute_loss((users, items), training=True)
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables))
        rows[name] = (tf.function(train_step), ())
    print(f"{args.dataset}, {args.backbone}"
          f"{f' L={args.layers}' if args.backbone == 'lightgcn' else ''}, "
          f"batch {config.batch_size}, M={config.num_candidates}:")
    for name, (fn, fn_args) in rows.items():
        print(f"  {name:<22} {median_ms(fn, *fn_args):7.2f} ms")


if __name__ == "__main__":
    main()
