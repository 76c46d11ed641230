r"""A grid search of one Table 2 method's settings on one dataset, recorded as a results file.

    python -m benchmarks.search --dataset tools --method ssm --grid num_negatives=4,8,16,32 \
        --select-on test --data-dir ../shared/data/ahns

Each point trains the method's methods.json settings with the grid's values on top. Writes
``search-<dataset>-<method>.{json,md}``, which methods.json's ``searched`` and the Table 2 reports
cite. Not KerasTuner: small exhaustive grids selected on test, like Table 2's baselines.
"""

import dataclasses
import itertools
import json
import os

from ahns_tf.config import TrainConfig
from ahns_tf.provenance import command_line, provenance
from benchmarks import lab, report

def parse_grid(items) -> dict:
    """``["alpha=0.1,0.5", "top_n=2"]`` -> ``{"alpha": [0.1, 0.5], "top_n": [2]}``; ValueError
    for an item not ``name=v1,v2`` or a name that is not a TrainConfig field.

    >>> parse_grid(["top_n=2,3"])
    {'top_n': [2, 3]}
    """
    grid = {}
    for item in items:
        name, sep, values = item.partition("=")
        if not sep or not values:
            raise ValueError(f"--grid {item!r}: expected name=value1,value2,...")
        if name not in {f.name for f in dataclasses.fields(TrainConfig)}:
            raise ValueError(f"--grid {item!r}: {name!r} is not a training setting "
                             f"(TrainConfig field)")
        grid[name] = [json.loads(v) for v in values.split(",")]
    return grid


def markdown(payload: dict, stem: str = "") -> str:
    """The report of a search (`main`'s payload): each point's command, then its best metrics."""
    runs = payload["runs"]
    lines = [f"# Search: {payload['method']} on {payload['dataset']}", "",
             "Best epoch chosen on the split each run names (`select_on`); values in %. "
             "Each row's command and commit:", ""] + report.run_origins(runs)
    return "\n".join(lines + [""] + report.table(
        ["point", "select on", "best epoch", "Recall@20", "NDCG@20"],
        [[name, run["config"]["select_on"], run["best_epoch"]]
         + [f"{100 * run['test'].get(m, float('nan')):.2f}" for m in ("recall@20", "ndcg@20")]
         for name, run in runs.items()])) + "\n"


def main(argv=None) -> int:
    parser = report.parser(__doc__, "benchmarks.search")
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--method", required=True, help="a method of --methods-file")
    parser.add_argument("--grid", action="append", metavar="NAME=V1,V2,...", help="repeatable")
    parser.add_argument("--select-on", choices=["test", "valid"], default="test")
    for name in ("epochs", "patience", "seed"):
        parser.add_argument(f"--{name}", type=int)
    parser.add_argument("--ks", type=int, nargs="+", help="metric cut-offs (default 20 50)")
    parser.add_argument("--select-metric", help="default recall@20")
    parser.add_argument("--work-dir", default="runs/search")
    parser.add_argument("--methods-file", default=lab.METHODS_FILE)
    parser.add_argument("--data-dir")
    args = parser.parse_args(argv)
    stem = os.path.join(args.output, f"search-{args.dataset}-{args.method}")
    if args.report_only:
        return report.rerender(stem, markdown, argv=argv)
    try:
        grid = parse_grid(args.grid or parser.error("--grid is required"))
        settings = lab.load_method_settings(args.methods_file)
        if args.method not in settings:
            raise ValueError(f"--method {args.method!r} is not in {args.methods_file}")
    except ValueError as error:
        parser.error(str(error))
    runs, configs = report.load(stem + ".json", {}).get("runs", {}), {}
    for point in (dict(zip(grid, values)) for values in itertools.product(*grid.values())):
        name = " ".join(f"{k}={v}" for k, v in point.items())        # "alpha=0.1 beta=0.4"
        configs[name] = lab.method_config(
            args.method, settings[args.method], args.dataset, data_dir=args.data_dir,
            select_on=args.select_on, epochs=args.epochs, patience=args.patience, seed=args.seed,
            ks=tuple(args.ks) if args.ks else None, select_metric=args.select_metric, **point,
            output_dir=os.path.join(args.work_dir, f"{args.dataset}-{args.method}-"
                                    + name.replace(" ", "-").replace("=", "")))
    for name, result in lab.run_missing(configs, runs, command_line(argv)):
        runs[name] = result
        report.publish(stem, {"provenance": provenance(argv), "dataset": args.dataset,
                              "method": args.method, "grid": grid, "runs": runs},
                       markdown, echo=False)
    print(f"wrote {stem}.md/.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
