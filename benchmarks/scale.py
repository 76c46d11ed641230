"""How cost grows with the catalogue: AHNS from the paper's tools to 10^6 items and users.

Usage:
    python -m benchmarks.scale --data-dir ../scale-data --tools-dir ../shared/data/ahns

For tools (the baseline) and synthetic sets of 10^4, 10^5 and 10^6 items and users
(`benchmarks.synthetic`, generated into ``--data-dir`` when missing), in one run, one point
after another, each measurement in a process of its own (this module with a hidden
``--child``), so its peak RSS is its own: **read** seconds; **step** ms of AHNS (M=32) with
dense Adam and LazyAdam; **train**, the README's ``python -m pipelines.train`` (default
settings, ``--eval-users 10000``, export): positives/s, s/epoch, evaluation and checkpoint
seconds, peak RSS; **serve**, the export loaded with TensorFlow alone: latency at batch 1 and
256, and no training item served to 2,000 users. Writes ``<output>/<name>.{json,md,png}``.
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

#: name -> (users, items, interactions asked, training epochs); tools (the baseline, from
#: --tools-dir) has its own sizes. The generator drops duplicate draws (8% at 10^6 items, a
#: third at 10^4): about 37, 46 and 50 interactions per user, 5x10^7 at the largest point.
POINTS = {
    "tools": (None, None, None, 5),
    "synth-1e4": (10_000, 10_000, 545_000, 3),
    "synth-1e5": (100_000, 100_000, 5_450_000, 2),
    "synth-1e6": (1_000_000, 1_000_000, 54_500_000, 1),
}
USERS_CHECKED = 2000


def child_read(args) -> dict:
    """Reads ``--dataset`` as training does; saves what the export must exclude for 2,000
    seeded users (their training items) beside ``--out``, for `child_serve`."""
    from ahns_tf.config import TrainConfig  # pylint: disable=import-outside-toplevel
    from ahns_tf.data.reader import sorted_unique  # pylint: disable=import-outside-toplevel
    from ahns_tf.training import load_for  # pylint: disable=import-outside-toplevel
    start = time.perf_counter()
    dataset = load_for(TrainConfig(dataset=args.dataset, data_dir=args.data_dir).resolved())
    seconds = time.perf_counter() - start
    known = dataset.known_interactions()
    users = sorted_unique(dataset.train.users)
    users = np.random.default_rng(0).choice(users, min(USERS_CHECKED, users.size), replace=False)
    keep = np.isin(known[0], users)
    np.savez(args.out + ".served.npz", users=users, known_users=known[0][keep],
             known_items=known[1][keep])
    return {"read_seconds": seconds, **dataset.stats()}


def child_step(args) -> dict:
    """Milliseconds per AHNS (M=32) step with ``--optimizer``, over ``--steps`` steps timed
    after a warm-up epoch of as many."""
    import tensorflow as tf  # pylint: disable=import-outside-toplevel
    from ahns_tf.config import TrainConfig  # pylint: disable=import-outside-toplevel
    from ahns_tf.pipeline.input import training_pairs  # pylint: disable=import-outside-toplevel
    from ahns_tf.training import build_model, load_for  # pylint: disable=import-outside-toplevel
    config = TrainConfig(dataset=args.dataset, data_dir=args.data_dir, sampler="ahns",
                         optimizer=args.optimizer).resolved()
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


def child_serve(args) -> dict:
    """Latency of ``--export`` at batch 1 and 256, and training items served to 2,000 users."""
    import tensorflow as tf  # pylint: disable=import-outside-toplevel
    from benchmarks.serving import measure  # pylint: disable=import-outside-toplevel
    fn = tf.saved_model.load(args.export).signatures["serving_default"]
    served = np.load(args.out + ".served.npz")
    num_users = int(served["users"].max()) + 1
    out = {str(b): measure(fn, num_users, b, requests, warmup=3, seed=b)
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
    """All measurements of one dataset (see the module docstring)."""
    out, where = os.path.join(work, f"{name}.json"), (f"--dataset={name}", f"--data-dir={data_dir}")
    row = {"dataset": name, "load_before": os.getloadavg()[0],
           "read": lab.run_child("benchmarks.scale", out, "--child=read", *where),
           "step": {optimizer: lab.run_child("benchmarks.scale", out, "--child=step", *where,
                                             f"--optimizer={optimizer}", f"--steps={steps}")
                    for optimizer in ("adam", "lazy_adam")}}
    run_dir, export_dir = os.path.join(work, f"run-{name}"), os.path.join(work, f"export-{name}")
    argv = [sys.executable, "-m", "pipelines.train", "--dataset", name, "--data-dir", data_dir,
            "--epochs", str(epochs), "--eval-users", "10000", "--output-dir", run_dir,
            "--export-dir", export_dir, "--overwrite"]
    if declared_items:
        argv += ["--num-items", str(declared_items)]
    row["train_command"] = " ".join(["python"] + argv[1:])
    row["train"] = lab.run_process(argv)
    metrics = report.load(os.path.join(run_dir, "metrics.json"))
    pairs = metrics["dataset"]["train_interactions"]
    row["train"].update({
        "optimizer": metrics["optimizer"], "pairs": pairs,
        "epochs": len(metrics["epoch_seconds"]),
        "median_epoch_seconds": metrics["median_epoch_seconds"],
        "positives_per_second": pairs / metrics["median_epoch_seconds"],
        "eval_seconds": metrics["median_eval_seconds"]["test"],
        "evaluated_users": metrics["evaluated_users"]["test"]["evaluated"],
        "checkpoint_seconds": max(metrics["checkpoint_seconds"]),
        "recall@20": metrics["test"]["recall@20"], "ndcg@20": metrics["test"]["ndcg@20"]})
    row["serve"] = lab.run_child("benchmarks.scale", out, "--child=serve",
                                 f"--export={metrics['export_path']}")
    row["load_after"] = os.getloadavg()[0]
    return row


def markdown(result: dict, stem: str = "") -> str:
    """The report: one table per kind of cost, the baseline row first."""
    rows = result["rows"]
    base = rows[0]["train"]["positives_per_second"]
    lines = ["# Scale: AHNS (M=32) from tools to 10^6 items and users", "",
             f"{report.produced_by(result)}. All rows in one run, one point at a time; load "
             "average (1 min) before/after each point is given because other work shared the "
             "machine.", "",
             "| dataset | users | items | train pairs | read s | step ms, dense Adam | "
             "step ms, LazyAdam | optimizer (auto) | positives/s | vs tools | s/epoch | "
             "eval s (users) | checkpoint s | peak RSS GiB (train) | load |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        t, rd = r["train"], r["read"]
        lines.append(
            f"| {r['dataset']} | {rd['num_users']:,} | {rd['num_items']:,} | {t['pairs']:,} | "
            f"{rd['read_seconds']:.1f} | {r['step']['adam']['step_ms']:.1f} | "
            f"{r['step']['lazy_adam']['step_ms']:.1f} | {t['optimizer']} | "
            f"{t['positives_per_second']:,.0f} | {t['positives_per_second'] / base:.0%} | "
            f"{t['median_epoch_seconds']:.1f} | {t['eval_seconds']:.1f} ({t['evaluated_users']:,})"
            f" | {t['checkpoint_seconds']:.1f} | {t['peak_rss_gib']:.2f} | "
            f"{r['load_before']:.1f}/{r['load_after']:.1f} |")
    lines += ["", "Serving (`serving_default`, exported SavedModel in a TensorFlow-only process, "
              "brute force in-graph, streamed over item chunks):", "",
              "| dataset | items | batch 1 p50 ms | batch 1 p99 ms | batch 256 p50 ms | "
              "batch 256 p99 ms | training items served (2,000 users) |",
              "|---|---|---|---|---|---|---|"]
    for r in rows:
        s = r["serve"]
        lines.append(f"| {r['dataset']} | {r['read']['num_items']:,} | {s['1']['p50_ms']:.1f} | "
                     f"{s['1']['p99_ms']:.1f} | {s['256']['p50_ms']:.0f} | "
                     f"{s['256']['p99_ms']:.0f} | {s['training_items_served']} |")
    lines += ["", "Accuracy is not the point here (one short run, 10^4 sampled users), but is "
              "given to show the runs learn: " + ", ".join(
                  f"{r['dataset']} R@20 {100 * r['train']['recall@20']:.2f}" for r in rows) + ".",
              "", "Commands of the training runs:", ""]
    return "\n".join(lines + [f"- `{r['train_command']}`" for r in rows]) + "\n"


def figures(result: dict, stem: str) -> None:
    """``<stem>.png``: each cost against the catalogue size of the synthetic points (log-log)."""
    from benchmarks import plots  # pylint: disable=import-outside-toplevel  (matplotlib)
    rows = [r for r in result["rows"] if r["dataset"].startswith("synth")]

    def series(*path):
        return [functools.reduce(lambda node, key: node[key], path, r) for r in rows]
    plots.cost_panels(series("read", "num_items"), {
        "step ms": {"dense Adam": series("step", "adam", "step_ms"),
                    "LazyAdam": series("step", "lazy_adam", "step_ms")},
        "positives / s (auto)": {"train": series("train", "positives_per_second")},
        "eval s, 10^4 users": {"eval": series("train", "eval_seconds")},
        "serving p50 ms": {"batch 1": series("serve", "1", "p50_ms"),
                           "batch 256": series("serve", "256", "p50_ms")},
        "peak RSS GiB (train)": {"train": series("train", "peak_rss_gib")}}, stem + ".png")


def main(argv=None) -> int:
    parser = report.parser(__doc__, "benchmarks.scale")
    parser.add_argument("--data-dir", help="where the synthetic sets are (generated there when "
                                           "missing); required unless --report-only")
    parser.add_argument("--tools-dir", default=os.path.join("..", "shared", "data", "ahns"),
                        help="folder holding tools/{train,test}.txt (the baseline row)")
    parser.add_argument("--points", nargs="+", default=list(POINTS), choices=list(POINTS))
    parser.add_argument("--steps", type=int, default=200, help="timed steps per optimizer")
    parser.add_argument("--name", default="scale", help="results file name (default: scale)")
    for hidden in ("--child", "--dataset", "--out", "--optimizer", "--export"):
        parser.add_argument(hidden, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:  # one measurement, in this process (`measure_point` started it)
        result = {"read": child_read, "step": child_step, "serve": child_serve}[args.child](args)
        atomic_write_text(args.out, json.dumps(result))
        return 0
    stem = os.path.join(args.output, args.name)
    if args.report_only:
        return report.rerender(stem, markdown, figures, argv)
    if not args.data_dir:
        parser.error("--data-dir is required")
    result = {"provenance": provenance(argv), "machine": report.machine(), "rows": []}
    for name in args.points:
        users, items, interactions, _ = POINTS[name]
        if users and not os.path.isfile(os.path.join(args.data_dir, name, "train.txt")):
            result.setdefault("generated", {})[name] = lab.run_process(
                [sys.executable, "-m", "benchmarks.synthetic", "--users", str(users), "--items",
                 str(items), "--interactions", str(interactions), "--seed", "0",
                 "--output", os.path.join(args.data_dir, name)])
    with tempfile.TemporaryDirectory(prefix="ahns-scale-") as work:
        for name in args.points:
            _, items, _, epochs = POINTS[name]
            result["rows"].append(measure_point(name, args.data_dir if items else args.tools_dir,
                                                work, epochs, args.steps, declared_items=items))
            print(json.dumps(result["rows"][-1]), flush=True)
    report.publish(stem, result, markdown, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
