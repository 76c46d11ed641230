r"""Does AHNS beat uniform sampling on a synthetic set? (the synthetic data's own check)

    python -m benchmarks.learnable --data-dir ../scale-data --dataset synth-1e5 \
        --num-items 100000 --samplers rns ahns --epochs 20 --eval-users 10000

`benchmarks.synthetic` promises structure a model can learn, with same-topic
items as hard negatives, so a hard-negative sampler should beat RNS on it as on
the paper's data. This trains each sampler with the library's defaults (AHNS:
p = -2 and the generic alpha, beta, M; ``--optimizer auto``) under the
validation protocol (best epoch chosen on a held-out 10% of train, test read at
that epoch), ranking a seeded sample of ``--eval-users`` users, and writes
``results/learnable-<dataset>.{json,md}`` with each sampler's test Recall@20
and NDCG@20, the relative gain of each over the first sampler, seconds per
epoch, and each run's command and commit. Finished runs by the same library
code are kept (re-running resumes).
"""

import argparse
import json
import os
import sys

import ahns_tf  # noqa: F401  pylint: disable=unused-import  selects Keras 2

from ahns_tf.benchmark import train_current, trained_by
from ahns_tf.config import TrainConfig
from ahns_tf.atomic import write_results
from ahns_tf.provenance import code_fingerprint, command_line, payload_origin, provenance

HERE = os.path.dirname(os.path.abspath(__file__))
METRICS = ("recall@20", "ndcg@20")


def gains(rows: dict, baseline: str) -> dict:
    """Relative gain of each row over ``baseline`` per metric, e.g. ``{"ahns": {"recall@20": 0.12}}``.

    Example:

    ```python
    gains({"rns": {"test": {"recall@20": 0.1, "ndcg@20": 0.05}},
           "ahns": {"test": {"recall@20": 0.12, "ndcg@20": 0.05}}}, "rns")
    # {"rns": {...: 0.0}, "ahns": {"recall@20": 0.2, "ndcg@20": 0.0}}
    ```
    """
    base = rows[baseline]["test"]
    return {name: {m: row["test"][m] / base[m] - 1 for m in METRICS} for name, row in rows.items()}


def markdown(payload: dict) -> str:
    """The report: one row per sampler, in the order they were asked for."""
    baseline = payload["samplers"][0]
    lines = [f"# Learnable? {', '.join(payload['samplers'])} on {payload['dataset']}", "",
             f"Produced by {payload_origin(payload)}; each run's own command and commit are in "
             "the .json.", "",
             f"Validation protocol (best epoch on a held-out 10% of train, test read at that "
             f"epoch), at most {payload['epochs']} epochs, {payload['eval_users']:,} sampled "
             "users ranked over the whole catalogue, library defaults otherwise (AHNS: p = -2, "
             "generic alpha, beta, M). Values in %.", "",
             f"| sampler | best epoch | Recall@20 | NDCG@20 | vs {baseline} (R / N) | s/epoch |",
             "|---|---|---|---|---|---|"]
    for name in payload["samplers"]:
        row, gain = payload["rows"][name], payload["gains"][name]
        lines.append(f"| {name} | {row['best_epoch']} | {100 * row['test']['recall@20']:.2f} | "
                     f"{100 * row['test']['ndcg@20']:.2f} | "
                     f"{100 * gain['recall@20']:+.1f}% / {100 * gain['ndcg@20']:+.1f}% | "
                     f"{row['median_epoch_seconds']:.1f} |")
    curves = [(name, payload["rows"][name].get("valid_curve")) for name in payload["samplers"]]
    if all(curve for _, curve in curves):        # rows made before the curve was recorded lack it
        lines += ["", "Validation Recall@20 (%) at each evaluated epoch:", ""]
        lines += [f"- {name}: " + ", ".join(f"{epoch}: {100 * value:.2f}" for epoch, value in curve)
                  for name, curve in curves]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="synth-1e5")
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--num-items", type=int,
                        help="the item id range, when some items have no interaction")
    parser.add_argument("--samplers", nargs="+", default=["rns", "ahns"],
                        help="the first one is the baseline of the 'vs' column")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--eval-users", type=int, default=10000)
    parser.add_argument("--output", default=os.path.join(HERE, "results"))
    parser.add_argument("--work-dir", default="runs/learnable")
    args = parser.parse_args(argv)
    path = os.path.join(args.output, f"learnable-{args.dataset}.json")
    settings = {"epochs": args.epochs, "eval_users": args.eval_users,
                "data_dir": os.path.abspath(args.data_dir), "num_items": args.num_items}
    rows = {}
    if os.path.exists(path):
        with open(path) as f:
            earlier = json.load(f)
        if all(earlier.get(k) == v for k, v in settings.items()):
            rows = earlier["rows"]      # else every sampler is trained again
    fingerprint = code_fingerprint()
    for sampler in args.samplers:
        if trained_by(rows.get(sampler), fingerprint):
            continue  # this sampler was run by the same library code and settings
        # One folder per setting of the budget, so changing it trains afresh instead of
        # meeting the other budget's run.
        folder = f"{args.dataset}-{sampler}-{args.epochs}epochs-{args.eval_users}users"
        config = TrainConfig(dataset=args.dataset, data_dir=args.data_dir, sampler=sampler,
                             select_on="valid", epochs=args.epochs, eval_users=args.eval_users,
                             num_items=args.num_items,
                             output_dir=os.path.join(args.work_dir, folder))
        result = train_current(config, fingerprint, export=False, verbose=2,
                               command=command_line(argv))
        rows[sampler] = {"test": result["test"], "best_epoch": result["best_epoch"],
                         "median_epoch_seconds": result["median_epoch_seconds"],
                         "valid_curve": [[h["epoch"], h["recall@20"]] for h in result["history"]
                                         if h.get("split") == "valid"],
                         "provenance": result["provenance"]}
    payload = {"provenance": provenance(argv), "dataset": args.dataset,
               "samplers": args.samplers, **settings,
               "rows": {s: rows[s] for s in args.samplers},
               "gains": gains(rows, args.samplers[0])}
    os.makedirs(args.output, exist_ok=True)
    print(write_results(path[:-5], payload, markdown(payload)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
