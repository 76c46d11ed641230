r"""Reproduce Table 2, Figure 5 and Figure 7 on one dataset.

Usage:
    python -m pipelines.benchmark --dataset tools --methods all --data-dir ../shared/data/ahns
    python -m pipelines.benchmark --dataset sports --methods rns,dns,ahns_p2 --select-on valid
    python -m pipelines.benchmark --dataset tools --report-only

Trains each method with its settings from ``benchmarks/methods.json`` (``--methods-file``),
resuming runs that were interrupted, and writes ``<output-dir>/<dataset>.json`` (method ->
metrics.json), ``<dataset>.md`` (our Recall@20, NDCG@20, NDCG@50 next to Table 2) and
``<dataset>-fig5.png`` / ``<dataset>-fig7.png``. The best epoch is chosen on the test split, as
the paper's code does (``--select-on test``, the default); under ``--select-on valid`` the
files are ``<dataset>-valid.*``. The work itself is `benchmarks.table2`.
"""

import argparse
import functools
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
from ahns_tf.provenance import command_line  # noqa: E402  pylint: disable=g-import-not-at-top
from benchmarks import lab, paper, report, table2  # noqa: E402  pylint: disable=g-import-not-at-top


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.benchmark", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--methods", default="all",
                        help="'all' or a comma list of: " + ", ".join(paper.METHOD_ORDER))
    parser.add_argument("--select-on", choices=["test", "valid"], default="test",
                        help="where the best epoch is chosen (default: test, the paper's)")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--data-dir")
    parser.add_argument("--output-dir", default=report.RESULTS,
                        help="results folder (default: benchmarks/results)")
    parser.add_argument("--work-dir", default="runs/benchmark")
    parser.add_argument("--methods-file", default=lab.METHODS_FILE,
                        help="default: the methods.json of the benchmarks package")
    parser.add_argument("--ks", type=int, nargs="+", help="metric cut-offs (default 20 50)")
    parser.add_argument("--select-metric", help="default recall@20")
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--overwrite", action="store_true",
                        help="train the listed methods afresh instead of resuming their runs "
                             "(e.g. after changing their settings in --methods-file)")
    parser.add_argument("--report-only", action="store_true",
                        help="train nothing: redraw the .md and figures from the stored .json")
    args = parser.parse_args(argv)
    stem = table2.results_stem(args.output_dir, args.dataset, args.select_on)
    try:
        settings = lab.load_method_settings(args.methods_file)
        methods = lab.parse_methods(args.methods, settings)
        if args.report_only:
            return report.rerender(stem, functools.partial(table2.markdown, settings=settings),
                                   table2.figures, argv)
        table2.run_benchmark(args.dataset, methods, settings, args.output_dir, args.work_dir,
                             epochs=args.epochs, select_on=args.select_on,
                             data_dir=args.data_dir, ks=tuple(args.ks) if args.ks else None,
                             select_metric=args.select_metric, batch_size=args.batch_size,
                             overwrite=args.overwrite, command=command_line(argv))
    except (ValueError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {stem}.md/.json/-fig5.png/-fig7.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
