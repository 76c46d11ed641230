"""Core benchmark: AHNS (reference defaults) and RNS on tools and sports, both protocols.

Accuracy (100-epoch runs; writes results/core.json and results/core.md):

    python -m benchmarks.core --data-dir ../shared/data/ahns

Speed only (a few epochs per method; medians; run on an otherwise idle machine):

    python -m benchmarks.core --data-dir ../shared/data/ahns --speed

Every row sits next to the paper's Table 2 value (ahns_tf.paper.TABLE2) and the
reference PyTorch code measured on this machine kind (../shared/data/reference-measurements.json).
"""

import argparse
import datetime
import json
import os
import platform
import sys

import ahns_tf  # noqa: F401
import numpy as np
import tensorflow as tf

from ahns_tf.config import TrainConfig
from ahns_tf.paper import TABLE2
from ahns_tf.atomic import atomic_write_text
from ahns_tf.benchmark import same_run, train_current
from ahns_tf.provenance import (code_fingerprint, command_line, payload_origin, provenance,
                                short_commit)
from ahns_tf.training import train

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.join(os.path.dirname(os.path.dirname(HERE)), "shared", "data")
PAPER_KEY = {"ahns": "ahns_p2", "rns": "rns"}


def _load_json(name):
    path = os.path.join(SHARED, name)
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return json.load(f)


def _machine():
    return {"cpus": os.cpu_count(), "platform": platform.platform(),
            "tensorflow": tf.__version__, "date": datetime.date.today().isoformat()}


def run_accuracy(args):
    out_json = os.path.join(args.output, "core.json")
    results = {}
    if os.path.exists(out_json):
        with open(out_json) as f:
            results = json.load(f).get("runs", {})
    fingerprint = code_fingerprint()
    for dataset in args.datasets:
        for protocol in args.protocols:
            for method in args.methods:
                for optimizer in args.optimizers:
                    key = f"{dataset}/{method}/{protocol}" + (
                        "" if optimizer == "adam" else f"/{optimizer}")
                    config = TrainConfig(dataset=dataset, data_dir=args.data_dir, sampler=method,
                                         select_on=protocol, epochs=args.epochs,
                                         optimizer=optimizer, output_dir=os.path.join(
                                             args.work_dir, key.replace("/", "-")))
                    if same_run(results.get(key), config, fingerprint) and not args.overwrite:
                        continue  # done with these settings by this code
                    results[key] = train_current(config, fingerprint, export=False, verbose=2,
                                                 overwrite=args.overwrite,
                                                 command=command_line(args.argv))
                    write_reports(args, results)
    return results


def run_speed(args):
    """A few epochs per method on an idle machine; medians of epochs 2.. and of evaluations."""
    speed = {}
    for dataset in args.datasets:
        for method in args.methods:
            for optimizer in args.optimizers:
                config = TrainConfig(dataset=dataset, data_dir=args.data_dir, sampler=method,
                                     select_on="test", epochs=args.speed_epochs, eval_every=2,
                                     patience=0, optimizer=optimizer,
                                     output_dir=os.path.join(args.work_dir,
                                                             f"speed-{dataset}-{method}-{optimizer}"))
                result = train(config, export=False, verbose=0, overwrite=True)
                key = f"{dataset}/{method}" + ("" if optimizer == "adam" else f"/{optimizer}")
                speed[key] = {
                    "train_s_per_epoch": result["median_epoch_seconds"],
                    "eval_s": result["median_eval_seconds"]["test"],
                    "epoch_seconds": result["epoch_seconds"],
                    "num_candidates": result["config"]["num_candidates"],
                    "optimizer": optimizer,
                }
                print(key_line(dataset, method, speed[key]), optimizer, flush=True)
    payload = {"provenance": provenance(args.argv),
               "machine": _machine(), "speed": speed,
               "reference": _load_json("reference-measurements.json")}
    atomic_write_text(os.path.join(args.output, "core-speed.json"), json.dumps(payload, indent=2))
    write_speed_markdown(args.output, speed, payload["reference"], payload_origin(payload),
                         payload["machine"])


def key_line(dataset, method, row):
    return (f"{dataset:<7} {method:<5} train {row['train_s_per_epoch']:.3f} s/epoch   "
            f"full evaluation {row['eval_s']:.3f} s")


def write_speed_markdown(output, speed, reference, origin, machine):
    # The epochs the runs trained (an older core-speed.json did not record --speed-epochs).
    epochs = max(len(row["epoch_seconds"]) for row in speed.values())
    lines = ["# Speed: seconds per training epoch and per full evaluation", "",
             f"Produced by {origin} "
             f"({epochs} epochs per run; medians over epochs 2.. and over evaluations "
             "of all test users). Machine: " + json.dumps(machine), "",
             "The reference columns are the reference code's seconds as recorded in "
             "../shared/data/reference-measurements.json (another machine of this kind, "
             "another day; machines of one kind differ by up to 2.5x), so they are context, "
             "not a ratio: ours against the reference in one run is "
             "[lightgcn-speed.md](lightgcn-speed.md).", "",
             "| dataset | method | optimizer | ours: train s/epoch | reference (recorded): train "
             "s/epoch | ours: eval s | reference (recorded): eval s |",
             "|---|---|---|---|---|---|---|"]
    for key, row in speed.items():
        dataset, method = key.split("/")[:2]
        optimizer = row.get("optimizer", "adam")
        ref = reference.get(dataset, {}).get(method, {}) if optimizer == "adam" else {}
        lines.append(f"| {dataset} | {method} (M={row['num_candidates']}) | {optimizer} | "
                     f"{row['train_s_per_epoch']:.3f} | {ref.get('train_s_per_epoch', '—')} | "
                     f"{row['eval_s']:.3f} | {ref.get('eval_s', '—')} |")
    for dataset in dict.fromkeys(key.split("/")[0] for key in speed):   # in run order
        ahns, rns = speed.get(f"{dataset}/ahns"), speed.get(f"{dataset}/rns")
        if ahns and rns:
            lines += ["", f"{dataset}: AHNS epoch / RNS epoch = "
                      f"{ahns['train_s_per_epoch'] / rns['train_s_per_epoch']:.2f} (dense Adam)"]
    atomic_write_text(os.path.join(output, "core-speed.md"), "\n".join(lines) + "\n")


def write_reports(args, results, origin=None):
    """Writes core.json and core.md; `origin` is the stored provenance (--report-only)."""
    reference = _load_json("reference-measurements.json")
    payload = {"provenance": origin or provenance(args.argv), "machine": _machine(),
               "runs": results}
    atomic_write_text(os.path.join(args.output, "core.json"), json.dumps(payload, indent=1))
    lines = ["# Core benchmark: AHNS (p=-2, reference defaults) and RNS, MF backbone", "",
             f"Produced by {payload_origin(payload)} (evaluation every 5 epochs, patience 10 "
             "evaluations, seed 2024; each run's own command and commit are in core.json).", "",
             "Protocols: **test** = the reference code's (train on all of train.txt, best epoch "
             "chosen on the test set); **valid** = best epoch chosen on a held-out 10% of "
             "train.txt, test reported at that epoch.", "",
             "`train s/epoch` is the median epoch time of that run as it ran (the machine was "
             "shared with other jobs); idle timings are in core-speed.md.", "",
             "`commit` is the code each row was trained with (`+edits`: with uncommitted "
             "changes; `—`: not recorded, a row from before provenance was recorded).", "",
             "| dataset | method | protocol | optimizer | best epoch | Recall@20 | paper | diff "
             "| NDCG@20 | paper | diff | NDCG@50 | paper | train s/epoch | commit |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for key, result in results.items():
        dataset, method, protocol = key.split("/")[:3]
        optimizer = result["config"].get("optimizer", "adam")
        commit = short_commit(result.get("provenance"))
        row = TABLE2.get(dataset, {}).get(PAPER_KEY[method], [np.nan] * 3)
        test = result["test"]
        cells = []
        for metric, ref in zip(("recall@20", "ndcg@20", "ndcg@50"), row):
            ours = 100 * test[metric]
            diff = f"{100 * (ours - ref) / ref:+.1f}%" if metric != "ndcg@50" else ""
            cells += [f"{ours:.2f}", f"{ref:.2f}"] + ([diff] if diff else [])
        lines.append(f"| {dataset} | {method} | {protocol} | {optimizer} | "
                     f"{result['best_epoch']} | " + " | ".join(cells)
                     + f" | {result['median_epoch_seconds']:.2f} | {commit} |")
    lines += ["", "Reference PyTorch code on this machine kind (test metrics by epoch, 0-based: "
              "epoch 0 is after one training epoch; from "
              "../shared/data/reference-measurements.json):", ""]
    for dataset in ("tools", "sports"):
        for method, ref in reference.get(dataset, {}).items():
            lines.append(f"- {dataset} {method} ({ref.get('args', '')}): "
                         + ", ".join(f"epoch {e}: R@20 {v['recall@20']:.4f} N@20 {v['ndcg@20']:.4f}"
                                     for e, v in ref.get("test_by_epoch", {}).items()))
    atomic_write_text(os.path.join(args.output, "core.md"), "\n".join(lines) + "\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--datasets", nargs="+", default=["tools", "sports"])
    parser.add_argument("--methods", nargs="+", default=["ahns", "rns"], choices=["ahns", "rns"])
    parser.add_argument("--protocols", nargs="+", default=["test", "valid"])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--speed", action="store_true")
    parser.add_argument("--speed-epochs", type=int, default=7)
    parser.add_argument("--optimizers", nargs="+", default=["adam"], choices=["adam", "lazy_adam"],
                        help="train (or, with --speed, time) each method with each optimizer")
    parser.add_argument("--output", default=os.path.join(HERE, "results"))
    parser.add_argument("--work-dir", default="runs/benchmarks")
    parser.add_argument("--overwrite", action="store_true", help="re-run finished runs")
    parser.add_argument("--report-only", action="store_true",
                        help="rewrite core.md from core.json (with --speed: core-speed.md from "
                             "core-speed.json) without training")
    args = parser.parse_args(argv)
    args.argv = argv
    os.makedirs(args.output, exist_ok=True)
    if args.report_only and args.speed:
        with open(os.path.join(args.output, "core-speed.json")) as f:
            stored = json.load(f)
        write_speed_markdown(args.output, stored["speed"], stored["reference"],
                             payload_origin(stored), stored["machine"])
    elif args.report_only:
        with open(os.path.join(args.output, "core.json")) as f:
            stored = json.load(f)
        write_reports(args, stored["runs"], stored.get("provenance") or {
            "command": stored.get("command")})
    elif args.speed:
        run_speed(args)
    else:
        run_accuracy(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
