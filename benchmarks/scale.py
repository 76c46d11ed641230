r"""How cost grows with the catalogue: AHNS from the paper's tools to 10^6 items and users.

    python -m benchmarks.scale --data-dir ../scale-data --tools-dir ../shared/data/ahns

Reads, steps (dense Adam, LazyAdam), trains with the README's command and serves tools and the
synthetic sets of 10^4 to 10^6 items in ``--data-dir`` (made by `benchmarks.synthetic`: `POINTS`),
each measurement in a process of its own. Writes ``<output>/<name>.{json,md}``.
"""

import argparse
import functools
import json
import os
import sys
import tempfile
import time

import numpy as np

from ahns_tf.atomic import atomic_write_text
from ahns_tf.provenance import provenance
from benchmarks import lab, report

#: name -> (users, items, interactions asked, training epochs); tools (from --tools-dir) has its
#: own sizes. Make a set with ``python -m benchmarks.synthetic --users U --items I
#: --interactions N --seed 0 --output DATA_DIR/NAME``; it drops duplicate draws (8% at 10^6
#: items, a third at 10^4): about 37, 46 and 50 per user, 5x10^7 at the largest point.
POINTS = {"tools": (None, None, None, 5), "synth-1e4": (10_000, 10_000, 545_000, 3),
          "synth-1e5": (100_000, 100_000, 5_450_000, 2),
          "synth-1e6": (1_000_000, 1_000_000, 54_500_000, 1)}


def child_step(args) -> dict:
    """Reads ``--dataset`` as training does (timed; the training items of 2,000 seeded users,
    which the export must never return, are kept beside ``--out`` for `child_serve`), then
    times ``--steps`` AHNS (M=32) steps with ``--optimizer``, after as many untimed."""
    import tensorflow as tf  # pylint: disable=import-outside-toplevel
    from ahns_tf.config import TrainConfig  # pylint: disable=import-outside-toplevel
    from ahns_tf.data.reader import sorted_unique  # pylint: disable=import-outside-toplevel
    from ahns_tf.pipeline.input import training_pairs  # pylint: disable=import-outside-toplevel
    from ahns_tf.training import build_model, load_for  # pylint: disable=import-outside-toplevel
    config = TrainConfig(dataset=args.dataset, data_dir=args.data_dir, sampler="ahns",
                         optimizer=args.optimizer).resolved()
    start = time.perf_counter()
    dataset = load_for(config)
    read = {"read_seconds": time.perf_counter() - start, **dataset.stats()}
    known, users = dataset.known_interactions(), sorted_unique(dataset.train.users)
    users = np.random.default_rng(0).choice(users, min(2000, users.size), replace=False)
    keep = np.isin(known[0], users)
    np.savez(args.out + ".served.npz", users=users, known_users=known[0][keep],
             known_items=known[1][keep])
    model, times = build_model(config, dataset), []

    class Timer(tf.keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.start)

    pairs = training_pairs(dataset.train.users, dataset.train.items, config.batch_size,
                           config.seed)
    model.fit(pairs, epochs=2, steps_per_epoch=args.steps, callbacks=[Timer()], verbose=0)
    return {"read": read, "optimizer": type(model.optimizer).__name__, "steps": args.steps,
            "step_ms": 1000 * times[1] / args.steps, "batch_size": config.batch_size,
            "num_candidates": config.num_candidates}


def child_serve(args) -> dict:
    """Latency of ``--export`` at batch 1 and 256; training items served to 2,000 users."""
    import tensorflow as tf  # pylint: disable=import-outside-toplevel
    from benchmarks.serving import measure  # pylint: disable=import-outside-toplevel
    fn = tf.saved_model.load(args.export).signatures["serving_default"]
    served = np.load(args.out + ".served.npz")
    out = {str(b): measure(fn, int(served["users"].max()) + 1, b, requests, warmup=3, seed=b)
           for b, requests in ((1, 200), (256, 20))}
    known = set(zip(served["known_users"].tolist(), served["known_items"].tolist()))
    leaked = 0
    for chunk in np.array_split(served["users"], 8):
        ids = fn(user_id=tf.constant(chunk, tf.int64))["item_ids"].numpy()     # [B, K]
        leaked += sum((u, i) in known for u, row in zip(chunk.tolist(), ids.tolist())
                      for i in row)
    return dict(out, training_items_served=int(leaked), users_checked=int(served["users"].size))


def measure_point(name: str, data_dir: str, work: str, epochs: int, steps: int,
                  declared_items=None) -> dict:
    """All measurements of one dataset, in `work` (see the module docstring)."""
    out, where = os.path.join(work, f"{name}.json"), (f"--dataset={name}", f"--data-dir={data_dir}")
    child = functools.partial(lab.run_child, "benchmarks.scale", out)
    row = {"dataset": name, "load_before": os.getloadavg()[0]}
    row["step"] = {o: child("--child=step", *where, f"--optimizer={o}", f"--steps={steps}")
                   for o in ("adam", "lazy_adam")}
    row["read"] = [step.pop("read") for step in row["step"].values()][0]  # timed in both
    run_dir = os.path.join(work, f"run-{name}")
    argv = [sys.executable, "-m", "pipelines.train", "--dataset", name, "--data-dir", data_dir,
            "--epochs", str(epochs), "--eval-users", "10000", "--output-dir", run_dir,
            "--export-dir", os.path.join(work, f"export-{name}"), "--overwrite"]
    argv += ["--num-items", str(declared_items)] if declared_items else []
    row.update(train_command=" ".join(["python"] + argv[1:]), train=lab.run_process(argv))
    metrics = report.load(os.path.join(run_dir, "metrics.json"))
    seconds = metrics["median_epoch_seconds"]
    row["train"].update(
        optimizer=metrics["optimizer"], pairs=metrics["dataset"]["train_interactions"],
        epochs=len(metrics["epoch_seconds"]), median_epoch_seconds=seconds,
        positives_per_second=metrics["dataset"]["train_interactions"] / seconds,
        eval_seconds=metrics["median_eval_seconds"]["test"],
        evaluated_users=metrics["evaluated_users"]["test"]["evaluated"],
        checkpoint_seconds=max(metrics["checkpoint_seconds"]),
        **{m: metrics["test"][m] for m in ("recall@20", "ndcg@20")})
    row["serve"] = child("--child=serve", f"--export={metrics['export_path']}")
    row["load_after"] = os.getloadavg()[0]
    return row


def markdown(result: dict, stem: str = "") -> str:
    """The report: one table per kind of cost, the baseline row first."""
    rows = result["rows"]
    base = rows[0]["train"]["positives_per_second"]
    lines = ["# Scale: AHNS (M=32) from tools to 10^6 items and users", "",
             f"{report.produced_by(result)}. All rows in one run, one point at a time; load "
             "average (1 min) before/after each point is given because other work shared the "
             "machine.", ""]
    lines += report.table(
        ["dataset", "users", "items", "train pairs", "read s", "step ms, dense Adam",
         "step ms, LazyAdam", "optimizer (auto)", "positives/s", "vs tools", "s/epoch",
         "eval s (users)", "checkpoint s", "peak RSS GiB (train)", "load"],
        [[r["dataset"], f"{d['num_users']:,}", f"{d['num_items']:,}", f"{t['pairs']:,}",
          f"{d['read_seconds']:.1f}", f"{r['step']['adam']['step_ms']:.1f}",
          f"{r['step']['lazy_adam']['step_ms']:.1f}", t["optimizer"],
          f"{t['positives_per_second']:,.0f}", f"{t['positives_per_second'] / base:.0%}",
          f"{t['median_epoch_seconds']:.1f}", f"{t['eval_seconds']:.1f} ({t['evaluated_users']:,})",
          f"{t['checkpoint_seconds']:.1f}", f"{t['peak_rss_gib']:.2f}",
          f"{r['load_before']:.1f}/{r['load_after']:.1f}"]
         for r in rows for t, d in [(r["train"], r["read"])]])
    lines += ["", "Serving (`serving_default`, exported SavedModel in a TensorFlow-only process, "
              "brute force in-graph, streamed over item chunks):", ""]
    lines += report.table(
        ["dataset", "items", "batch 1 p50 ms", "batch 1 p99 ms", "batch 256 p50 ms",
         "batch 256 p99 ms", "training items served (2,000 users)"],
        [[r["dataset"], f"{r['read']['num_items']:,}", f"{s['1']['p50_ms']:.1f}",
          f"{s['1']['p99_ms']:.1f}", f"{s['256']['p50_ms']:.0f}", f"{s['256']['p99_ms']:.0f}",
          s["training_items_served"]] for r in rows for s in [r["serve"]]])
    lines += ["", "Accuracy is not the point here (one short run, 10^4 sampled users), but is "
              "given to show the runs learn: " + ", ".join(
                  f"{r['dataset']} R@20 {100 * r['train']['recall@20']:.2f}" for r in rows) + ".",
              "", "Commands of the training runs:", ""]
    return "\n".join(lines + [f"- `{r['train_command']}`" for r in rows]) + "\n"


def main(argv=None) -> int:
    parser = report.parser(__doc__, "benchmarks.scale")
    parser.add_argument("--data-dir", help="the folder of the synthetic sets (`POINTS`)")
    parser.add_argument("--tools-dir", default="../shared/data/ahns", help="folder of tools/")
    parser.add_argument("--points", nargs="+", default=list(POINTS), choices=list(POINTS))
    parser.add_argument("--steps", type=int, default=200, help="timed steps per optimizer")
    parser.add_argument("--name", default="scale", help="results file name (default: scale)")
    for hidden in ("--child", "--dataset", "--out", "--optimizer", "--export"):
        parser.add_argument(hidden, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:  # one measurement, in this process (`measure_point` started it)
        result = {"step": child_step, "serve": child_serve}[args.child](args)
        atomic_write_text(args.out, json.dumps(result))
        return 0
    stem = os.path.join(args.output, args.name)
    if args.report_only:
        return report.rerender(stem, markdown, argv=argv)
    if not args.data_dir:
        parser.error("--data-dir is required")
    result = {"provenance": provenance(argv), "machine": report.machine(), "rows": []}
    with tempfile.TemporaryDirectory(prefix="ahns-scale-") as work:
        for name in args.points:
            _, items, _, epochs = POINTS[name]
            result["rows"].append(measure_point(name, args.data_dir if items else args.tools_dir,
                                                work, epochs, args.steps, declared_items=items))
            print(json.dumps(result["rows"][-1]), flush=True)
    report.publish(stem, result, markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
