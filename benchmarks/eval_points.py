"""Does the evaluation schedule explain a gap to the reference loop? Best epochs at both schedules.

    python -m pipelines.train --dataset tools --sampler ahns --select-on test --epochs 50 \
        --eval-every 1 --patience 0 --seed 1 --output-dir runs/every-1     # one per seed
    python -m benchmarks.reference_torch --dataset tools --seeds 2022 1 2 3 4 --epochs 50 \
        --eval-every 1 --output runs/reference-every-1
    python -m benchmarks.eval_points --ours runs/every-1 ... \
        --reference runs/reference-every-1/tools-reference-ahns-seeds.json

The reference code evaluates after 1, 6, 11, ... epochs (its 0-based epochs 0, 5, 10, ...);
`pipelines.train` after 5, 10, 15, .... Both report the best evaluation, so the two loops'
seed means (tools-ahns-seeds.md, tools-reference-ahns-seeds.md) are maxima over different
epochs. From runs evaluated after every epoch this picks, per run, the best Recall@20 at each
schedule (and over all epochs), so the loops can be compared at the same epochs. Epochs here
count epochs trained (the reference's epoch r is r + 1). Evaluating draws no random numbers in
either loop (tests/test_reference_torch.py, tests/test_random_streams.py), so these runs train
the same models as runs evaluated every 5 epochs.

Writes ``<output>/<name>.json`` and ``.md``; each input run's command and commit are kept.
"""

import argparse
import json
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
METRICS = ("recall@20", "ndcg@20")


def schedules(epochs: int, every: int = 5) -> dict:
    """``{name: epochs trained at which that schedule evaluates}``, up to ``epochs``.

    Example: ``schedules(12)`` -> ours [5, 10], reference [1, 6, 11], every epoch [1..12].
    """
    return {"ahns_tf (after 5, 10, ...)": list(range(every, epochs + 1, every)),
            "reference (after 1, 6, 11, ...)": list(range(1, epochs + 1, every)),
            "every epoch": list(range(1, epochs + 1))}


def best_at(history: dict, epochs: list, where: str) -> dict:
    """The evaluation with the highest Recall@20 among ``epochs`` of ``{epoch: metrics}``."""
    missing = [e for e in epochs if e not in history]
    if missing:
        raise ValueError(f"{where} was not evaluated after epoch(s) {missing[:5]}: "
                         "train it with --eval-every 1")
    epoch = max(epochs, key=lambda e: (history[e]["recall@20"], -e))   # ties: the earlier
    return {"epoch": epoch, **{m: history[epoch][m] for m in METRICS}}


def our_history(run_dir: str) -> tuple:
    """``({epochs trained: test metrics}, provenance)`` of a `pipelines.train` run."""
    path = os.path.join(run_dir, "metrics.json")
    try:
        with open(path) as f:
            metrics = json.load(f)
    except FileNotFoundError:
        raise ValueError(f"{path} does not exist: pass run folders of pipelines.train") from None
    history = {h["epoch"]: h for h in metrics["history"]
               if h.get("split") == "test" and "recall@20" in h}
    if not history:
        raise ValueError(f"{path} holds no test evaluation: train with --select-on test")
    return history, metrics.get("provenance")


def reference_histories(path: str) -> tuple:
    """``({seed: {epochs trained: metrics}}, provenance)`` of a `reference_torch` file."""
    with open(path) as f:
        payload = json.load(f)
    runs = {seed: {h["epoch"] + 1: h for h in run["history"]}     # 0-based -> epochs trained
            for seed, run in payload["runs"].items()}
    return runs, payload.get("provenance")


def summarise(bests: list) -> dict:
    """Mean and sample std (in %) of each metric over runs' best evaluations."""
    out = {}
    for metric in METRICS:
        values = [100 * b[metric] for b in bests]
        out[metric] = {"mean": statistics.fmean(values),
                       "std": statistics.stdev(values) if len(values) > 1 else 0.0}
    return out


def compare(loops: dict, epochs: int) -> dict:
    """``{loop: {schedule: {"runs": {run: best}, "summary": ...}}}`` for ``{loop: {run: history}}``."""
    table = {}
    for loop, runs in loops.items():
        table[loop] = {}
        for name, points in schedules(epochs).items():
            bests = {run: best_at(history, points, f"{loop} run {run}")
                     for run, history in runs.items()}
            table[loop][name] = {"runs": bests, "summary": summarise(list(bests.values()))}
    return table


def markdown(payload: dict) -> str:
    from ahns_tf.provenance import describe, payload_origin  # pylint: disable=import-outside-toplevel
    lines = [f"# Evaluation schedule and the best epoch: {payload['dataset']}", "",
             f"Produced by {payload_origin(payload)}.", "",
             f"Each run was evaluated on test after every one of its {payload['epochs']} epochs; "
             "per run, the best Recall@20 among the epochs a schedule evaluates (epochs counted "
             "as epochs trained). Mean ± sample std over runs, in %.", "",
             "| loop | schedule | runs | Recall@20 | NDCG@20 | best epochs |", "|---|---|---|---|---|---|"]
    for loop, rows in payload["table"].items():
        for name, row in rows.items():
            s = row["summary"]
            lines.append(f"| {loop} | {name} | {len(row['runs'])} | "
                         + " | ".join(f"{s[m]['mean']:.2f} ± {s[m]['std']:.2f}" for m in METRICS)
                         + " | " + ", ".join(str(b["epoch"]) for b in row["runs"].values()) + " |")
    lines += ["", "Input runs:", ""]
    for loop, records in payload["inputs"].items():
        for run, record in records.items():
            lines.append(f"- {loop} {run}: {describe(record)}")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ours", nargs="+", required=True, metavar="RUN_DIR",
                        help="pipelines.train output folders, trained with --eval-every 1")
    parser.add_argument("--reference", required=True, metavar="JSON",
                        help="a benchmarks.reference_torch results file made with --eval-every 1")
    parser.add_argument("--epochs", type=int, default=50, help="epochs to compare (default 50)")
    parser.add_argument("--dataset", default="tools")
    parser.add_argument("--output", default=os.path.join(HERE, "results"))
    parser.add_argument("--name", help="default: <dataset>-eval-points")
    args = parser.parse_args(argv)
    sys.path.insert(0, os.path.dirname(HERE))
    from ahns_tf.atomic import write_results  # pylint: disable=import-outside-toplevel
    from ahns_tf.provenance import provenance  # pylint: disable=import-outside-toplevel
    try:
        ours, inputs = {}, {"ahns_tf": {}, "reference": {}}
        for run_dir in args.ours:
            name = os.path.basename(os.path.normpath(run_dir))
            ours[name], inputs["ahns_tf"][name] = our_history(run_dir)
        reference, record = reference_histories(args.reference)
        inputs["reference"] = {seed: record for seed in reference}
        table = compare({"ahns_tf": ours, "reference": reference}, args.epochs)
    except (ValueError, KeyError, OSError) as error:
        parser.error(str(error))
    payload = {"provenance": provenance(argv), "dataset": args.dataset, "epochs": args.epochs,
               "table": table, "inputs": inputs}
    stem = os.path.join(args.output, args.name or f"{args.dataset}-eval-points")
    print(write_results(stem, payload, markdown(payload)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
