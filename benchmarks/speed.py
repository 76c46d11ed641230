"""Figure 7 on an idle machine: seconds per training epoch of every Table 2 method on one dataset.

    python -m benchmarks.speed --dataset ml-1m --data-dir ../shared/data/ahns

The per-method timings in ``<dataset>.md`` are taken while the benchmark runs, often beside
other jobs; this script trains each method (settings from benchmarks/methods.json) for a few
epochs, one method at a time, and records the median epoch time over epochs 2.. (the first one
includes tracing). Run it on an otherwise idle machine. Writes
``<output>/<dataset>-speed.json``, ``.md`` and ``<dataset>-speed-fig7.png``.
"""

import argparse
import json
import os
import platform
import sys

import ahns_tf  # noqa: F401  pylint: disable=unused-import  selects Keras 2

from ahns_tf import paper, plots
from ahns_tf.benchmark import load_method_settings, method_config, parse_methods
from ahns_tf.atomic import atomic_write_text
from ahns_tf.provenance import payload_origin, provenance
from ahns_tf.training import train

HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="ml-1m")
    parser.add_argument("--methods", default="all",
                        help="'all' or a comma list of: " + ", ".join(paper.METHOD_ORDER))
    parser.add_argument("--epochs", type=int, default=5, help="epochs per method (>= 3)")
    parser.add_argument("--data-dir")
    parser.add_argument("--methods-file", default=os.path.join(HERE, "methods.json"))
    parser.add_argument("--output", default=os.path.join(HERE, "results"))
    parser.add_argument("--work-dir", default="runs/speed")
    args = parser.parse_args(argv)
    if args.epochs < 3:
        parser.error("--epochs must be >= 3 (the first epoch, with tracing, is not counted)")
    settings = load_method_settings(args.methods_file)
    try:
        methods = parse_methods(args.methods, settings)
    except ValueError as error:
        parser.error(str(error))
    seconds = {}
    for method in methods:
        config = method_config(method, settings[method], args.dataset, data_dir=args.data_dir,
                               select_on="test", epochs=args.epochs, eval_every=args.epochs,
                               output_dir=os.path.join(args.work_dir, f"{args.dataset}-{method}"))
        result = train(config, export=False, verbose=0, overwrite=True)
        seconds[method] = {"median_epoch_seconds": result["median_epoch_seconds"],
                           "num_candidates": result["config"]["num_candidates"]}
        print(f"{method}: {seconds[method]['median_epoch_seconds']:.2f} s/epoch", flush=True)
    payload = {"provenance": provenance(argv), "dataset": args.dataset, "epochs": args.epochs,
               "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
               "seconds": seconds}
    os.makedirs(args.output, exist_ok=True)
    stem = os.path.join(args.output, f"{args.dataset}-speed")
    atomic_write_text(stem + ".json", json.dumps(payload, indent=2))
    lines = [f"# {args.dataset}: seconds per training epoch, one method at a time (Fig. 7)", "",
             f"Produced by {payload_origin(payload)} ({args.epochs} epochs per method, "
             "median over epochs 2..; "
             "settings from benchmarks/methods.json; batch 2048). Machine: "
             f"{json.dumps(payload['machine'])}.", "",
             "| method | M | s/epoch | vs rns |", "|---|---|---|---|"]
    base = seconds.get("rns", {}).get("median_epoch_seconds")
    for method, row in seconds.items():
        ratio = f"{row['median_epoch_seconds'] / base:.2f}x" if base else "—"
        lines.append(f"| {method} | {row['num_candidates']} | "
                     f"{row['median_epoch_seconds']:.2f} | {ratio} |")
    lines += ["", f"![Fig. 7]({os.path.basename(stem)}-fig7.png)", ""]
    atomic_write_text(stem + ".md", "\n".join(lines))
    plots.figure7(seconds, stem + "-fig7.png",
                  f"{args.dataset}: training time per epoch (idle machine)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
