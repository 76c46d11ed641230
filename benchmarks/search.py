r"""A grid search of one Table 2 method's settings on one dataset, recorded as a results file.

Usage:
    python -m benchmarks.search --dataset tools --method ssm --grid num_negatives=4,8,16,32 \
        --select-on test --data-dir ../shared/data/ahns
    python -m benchmarks.search --dataset ml-1m --method ahns_p2 --grid num_candidates=8,16 \
        --grid alpha=0.1,0.5 --epochs 60 --patience 3 --select-on test

Each point of the grid is a `pipelines.train` run of the method's settings from
``benchmarks/methods.json`` with the grid's values on top; its metrics.json (with
its provenance: command, commit, code) goes into
``benchmarks/results/search-<dataset>-<method>.json``, and a table of the best
Recall@20 / NDCG@20 per point into the ``.md`` beside it. This is where the
``searched`` grids of methods.json get their numbers: the gap paragraphs of the
Table 2 reports link to these files. Points already in the file, trained by the
same library code with the same settings, are not trained again.

Hand-written (not KerasTuner) because these grids are small, exhaustive and
selected on the test split like Table 2's baselines; `tuning.search` is the
validation-split tuner.
"""

import argparse
import dataclasses
import itertools
import json
import os
import sys

import ahns_tf  # noqa: F401  pylint: disable=unused-import  selects Keras 2
from ahns_tf.benchmark import load_method_settings, method_config, same_run, train_current
from ahns_tf.config import TrainConfig
from ahns_tf.atomic import write_results
from ahns_tf.provenance import code_fingerprint, command_line, describe, provenance

HERE = os.path.dirname(os.path.abspath(__file__))
FIELDS = {f.name for f in dataclasses.fields(TrainConfig)}


def parse_grid(items) -> dict:
    """``["alpha=0.1,0.5", "num_candidates=8"]`` -> ``{"alpha": [0.1, 0.5], "num_candidates": [8]}``.

    Raises:
        ValueError: not ``name=v1,v2``, or the name is not a training setting.

    Example:

    >>> parse_grid(["top_n=2,3"])
    {'top_n': [2, 3]}
    """
    grid = {}
    for item in items:
        name, sep, values = item.partition("=")
        if not sep or not values:
            raise ValueError(f"--grid {item!r}: expected name=value1,value2,...")
        if name not in FIELDS:
            raise ValueError(f"--grid {item!r}: {name!r} is not a training setting "
                             f"(TrainConfig field)")
        grid[name] = [json.loads(v) for v in values.split(",")]
    return grid


def point_name(point: dict) -> str:
    """``{"alpha": 0.1, "beta": 0.4}`` -> ``"alpha=0.1 beta=0.4"``."""
    return " ".join(f"{k}={v}" for k, v in point.items())


def markdown(dataset: str, method: str, runs: dict) -> str:
    lines = [f"# Search: {method} on {dataset}", "",
             "Best epoch chosen on the split each run names (`select_on`); values in %. "
             "Each row's command and commit:", ""]
    lines += [f"- {name}: {describe(run.get('provenance'))}" for name, run in runs.items()]
    lines += ["", "| point | select on | best epoch | Recall@20 | NDCG@20 |", "|---|---|---|---|---|"]
    for name, run in runs.items():
        test = run["test"]
        lines.append(f"| {name} | {run['config']['select_on']} | {run['best_epoch']} | "
                     f"{100 * test.get('recall@20', float('nan')):.2f} | "
                     f"{100 * test.get('ndcg@20', float('nan')):.2f} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.search", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--method", required=True, help="a method of --methods-file")
    parser.add_argument("--grid", action="append", required=True, metavar="NAME=V1,V2,...")
    parser.add_argument("--select-on", choices=["test", "valid"], default="test")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--patience", type=int)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--ks", type=int, nargs="+", help="metric cut-offs (default 20 50)")
    parser.add_argument("--select-metric", help="default recall@20")
    parser.add_argument("--data-dir")
    parser.add_argument("--methods-file", default=os.path.join(HERE, "methods.json"))
    parser.add_argument("--output", default=os.path.join(HERE, "results"))
    parser.add_argument("--work-dir", default="runs/search")
    args = parser.parse_args(argv)
    try:
        grid = parse_grid(args.grid)
        settings = load_method_settings(args.methods_file)
        if args.method not in settings:
            raise ValueError(f"--method {args.method!r} is not in {args.methods_file}")
    except ValueError as error:
        parser.error(str(error))
    path = os.path.join(args.output, f"search-{args.dataset}-{args.method}.json")
    runs = {}
    if os.path.exists(path):
        with open(path) as f:
            runs = json.load(f)["runs"]
    fingerprint = code_fingerprint()
    for values in itertools.product(*grid.values()):
        point = dict(zip(grid, values))
        name = point_name(point)
        config = method_config(args.method, settings[args.method], args.dataset,
                               data_dir=args.data_dir, select_on=args.select_on,
                               epochs=args.epochs, patience=args.patience, seed=args.seed,
                               ks=tuple(args.ks) if args.ks else None,
                               select_metric=args.select_metric, **point)
        config.output_dir = os.path.join(args.work_dir, f"{args.dataset}-{args.method}-"
                                         + name.replace(" ", "-").replace("=", ""))
        if same_run(runs.get(name), config, fingerprint):
            continue  # this point, these settings, this code: done
        runs[name] = train_current(config, fingerprint, export=False, verbose=2,
                                   command=command_line(argv))
        os.makedirs(args.output, exist_ok=True)
        payload = {"provenance": provenance(argv), "dataset": args.dataset,
                   "method": args.method, "grid": grid, "runs": runs}
        write_results(path[:-5], payload, markdown(args.dataset, args.method, runs), indent=1)
    print(f"wrote {path[:-5]}.md/.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
