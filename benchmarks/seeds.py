r"""How much of a gap to Table 2 is seed noise: one method, several seeds, mean and spread.

    python -m benchmarks.seeds --dataset tools --seeds 2024 1 2 3 4 --epochs 50 \
        --data-dir ../shared/data/ahns
    python -m benchmarks.seeds --dataset ml-1m --sampler dns --num-candidates 8 --epochs 30 \
        --seeds 2024 1 2 3 --data-dir ../shared/data/ahns
    python -m benchmarks.seeds --dataset ml-1m --protocol refit --epochs 100 \
        --seeds 2024 1 2 --data-dir ../shared/data/ahns

Trains the method (AHNS, the reference settings, unless --sampler says otherwise) once per
seed, then writes results/<dataset>-<sampler>-seeds.json and .md: each seed's Recall@20
and NDCG@20, their mean and sample standard deviation, and the relative difference of the mean
to the paper's Table 2 row. Finished seeds are kept (re-running resumes).

``--protocol test`` (the default) is the reference protocol (--select-on test: best epoch
chosen on test). ``--protocol refit`` is the honest one (`ahns_tf.refit`: epochs chosen on
validation, retrained, test evaluated once); its files are named
<dataset>-<sampler>-refit-seeds.{json,md}.
"""

import argparse
import json
import os
import statistics
import sys

import ahns_tf  # noqa: F401  pylint: disable=unused-import  selects Keras 2

from ahns_tf.config import TrainConfig
from ahns_tf.atomic import write_results
from ahns_tf.paper import TABLE2
from ahns_tf.benchmark import train_current, trained_by
from ahns_tf.provenance import code_fingerprint, command_line, payload_origin, provenance

HERE = os.path.dirname(os.path.abspath(__file__))
PAPER_ROW = {"ahns": "ahns_p2", "rns": "rns", "dns": "dns"}


def summarise(runs: dict, paper: list) -> dict:
    """Mean, sample std and relative gap to the paper for recall@20 and ndcg@20 (in %)."""
    out = {}
    for column, name in enumerate(("recall@20", "ndcg@20")):
        values = [100 * run["test"][name] for run in runs.values()]
        mean = statistics.fmean(values)
        std = statistics.stdev(values) if len(values) > 1 else 0.0
        out[name] = {"mean": mean, "std": std, "min": min(values), "max": max(values),
                     "paper": paper[column] if paper else None,
                     "relative_to_paper": (mean / paper[column] - 1) if paper else None}
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="tools")
    parser.add_argument("--sampler", default="ahns", choices=sorted(PAPER_ROW))
    parser.add_argument("--seeds", type=int, nargs="+", default=[2024, 1, 2, 3, 4])
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--num-candidates", type=int,
                        help="M (default: the sampler's default for the dataset, as in "
                             "pipelines.train)")
    parser.add_argument("--protocol", choices=["test", "refit"], default="test",
                        help="test: best epoch chosen on test (the paper's); refit: chosen on "
                             "validation, retrained, test evaluated once")
    parser.add_argument("--data-dir")
    parser.add_argument("--output", default=os.path.join(HERE, "results"))
    parser.add_argument("--work-dir", default="runs/seeds")
    args = parser.parse_args(argv)
    refit = args.protocol == "refit"
    name = f"{args.dataset}-{args.sampler}{'-refit' if refit else ''}"
    path = os.path.join(args.output, f"{name}-seeds.json")
    runs = {}
    if os.path.exists(path):
        with open(path) as f:
            earlier = json.load(f)
        if earlier.get("epochs") != args.epochs:
            parser.error(f"{path} holds runs of {earlier.get('epochs')} epochs, not "
                         f"{args.epochs}; pass the same --epochs or another --output")
        if earlier.get("num_candidates") != args.num_candidates:
            parser.error(f"{path} holds runs with --num-candidates "
                         f"{earlier.get('num_candidates')}, not {args.num_candidates}; pass the "
                         "same value or another --output")
        runs = earlier["runs"]
    fingerprint = code_fingerprint()
    for seed in args.seeds:
        config = TrainConfig(dataset=args.dataset, data_dir=args.data_dir, sampler=args.sampler,
                             select_on="valid" if refit else "test", refit=refit,
                             epochs=args.epochs, seed=seed,
                             num_candidates=args.num_candidates,
                             output_dir=os.path.join(args.work_dir, f"{name}-{seed}"))
        if trained_by(runs.get(str(seed)), fingerprint):
            continue  # this seed was run by the same library code (same settings: see above)
        result = train_current(config, fingerprint, export=False, verbose=2,
                               command=command_line(argv))
        best_epoch = (result["refit"]["selected_epoch"] if refit  # the epochs retrained
                      else result["best_epoch"])
        runs[str(seed)] = {"test": result["test"], "best_epoch": best_epoch,
                           "provenance": result["provenance"]}
        paper = TABLE2.get(args.dataset, {}).get(PAPER_ROW[args.sampler])
        payload = {"provenance": provenance(argv), "dataset": args.dataset,
                   "sampler": args.sampler, "protocol": args.protocol,
                   "epochs": args.epochs, "num_candidates": args.num_candidates, "runs": runs,
                   "summary": summarise(runs, paper)}
        os.makedirs(args.output, exist_ok=True)
        write_results(path[:-5], payload, markdown(payload))
    return 0


def seed_tables(runs: dict, summary: dict, epoch_header: str = "best epoch") -> list:
    """Markdown lines: one row per seed, then mean ± std, min – max and the gap to Table 2.

    Args:
        runs: ``{seed: {"best_epoch": ..., "test": {"recall@20": ..., "ndcg@20": ...}}}``.
        summary: `summarise`'s output for those runs.
        epoch_header: the heading of the ``best_epoch`` column.
    """
    lines = [f"| seed | {epoch_header} | Recall@20 | NDCG@20 |", "|---|---|---|---|"]
    for seed, run in runs.items():
        lines.append(f"| {seed} | {run['best_epoch']} | {100 * run['test']['recall@20']:.2f} | "
                     f"{100 * run['test']['ndcg@20']:.2f} |")
    s = summary
    lines += ["", "| | Recall@20 | NDCG@20 |", "|---|---|---|",
              "| mean ± std | " + " | ".join(f"{s[m]['mean']:.2f} ± {s[m]['std']:.2f}"
                                           for m in ("recall@20", "ndcg@20")) + " |",
              "| min – max | " + " | ".join(f"{s[m]['min']:.2f} – {s[m]['max']:.2f}"
                                          for m in ("recall@20", "ndcg@20")) + " |"]
    if s["recall@20"]["paper"] is not None:
        lines += ["| paper (Table 2) | " + " | ".join(f"{s[m]['paper']:.2f}"
                                                     for m in ("recall@20", "ndcg@20")) + " |",
                  "| mean vs paper | " + " | ".join(f"{100 * s[m]['relative_to_paper']:+.1f}%"
                                                   for m in ("recall@20", "ndcg@20")) + " |"]
    return lines


def markdown(payload: dict) -> str:
    refit = payload.get("protocol") == "refit"
    lines = [f"# Seed spread: {payload['sampler']} on {payload['dataset']}"
             + (" (validation + refit)" if refit else ""), "",
             f"Produced by {payload_origin(payload)}; each seed's own command and "
             "commit are in the .json.", "",
             ("Validation + refit protocol (`--refit`: epochs chosen on a validation split, "
              f"retrained on all of train, test evaluated once), at most {payload['epochs']} "
              "epochs"
              if refit else
              "Reference protocol (`--select-on test`: best epoch chosen on the test split, as "
              f"the paper's code does), {payload['epochs']} epochs")
             + ", one run per seed. Values in %.", ""]
    return "\n".join(lines + seed_tables(payload["runs"], payload["summary"],
                                          "epochs retrained" if refit else "best epoch")) + "\n"


if __name__ == "__main__":
    sys.exit(main())
