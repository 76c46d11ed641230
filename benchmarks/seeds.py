r"""How much of a gap to Table 2 is seed noise: one sampler, several seeds, mean and spread.

    python -m benchmarks.seeds --dataset ml-1m --protocol refit --epochs 100 \
        --seeds 2024 1 2 --data-dir ../shared/data/ahns

Best epoch chosen on test (``--protocol test``, the paper's) or on validation, then retrained and
tested once (``refit``). Writes ``<dataset>-<sampler>[-refit]-seeds.{json,md}``.
"""

import os
import statistics

from ahns_tf.config import TrainConfig
from ahns_tf.provenance import command_line, provenance
from benchmarks import lab, paper, report

METRICS = ("recall@20", "ndcg@20")


def summarise(runs: dict, row) -> dict:
    """Mean, sample std, range and relative gap to `row` (Table 2's, or None) of Recall@20 and
    NDCG@20 over ``runs = {seed: {"test": {metric: fraction}}}``, in %."""
    out = {}
    for column, name in enumerate(METRICS):
        values = [100 * run["test"][name] for run in runs.values()]
        mean = statistics.fmean(values)
        out[name] = {"mean": mean, "std": statistics.stdev(values) if len(values) > 1 else 0.0,
                     "min": min(values), "max": max(values),
                     "paper": row[column] if row else None,
                     "relative_to_paper": (mean / row[column] - 1) if row else None}
    return out


def seed_tables(runs: dict, summary: dict, epoch_header: str = "best epoch") -> list:
    """Markdown lines: one row per seed (`runs`, with ``best_epoch`` under `epoch_header`), then
    the mean ± std, min – max and gap to Table 2 of `summary` (`summarise`'s)."""
    cells = {"mean ± std": "{mean:.2f} ± {std:.2f}", "min – max": "{min:.2f} – {max:.2f}"}
    if summary["recall@20"]["paper"] is not None:
        cells.update({"paper (Table 2)": "{paper:.2f}", "mean vs paper": "{gap:+.1f}%"})
    return report.table(["seed", epoch_header, "Recall@20", "NDCG@20"], [
        [seed, run["best_epoch"]] + [f"{100 * run['test'][m]:.2f}" for m in METRICS]
        for seed, run in runs.items()]) + [""] + report.table(["", "Recall@20", "NDCG@20"], [
            [label] + [cell.format(gap=100 * (summary[m]["relative_to_paper"] or 0), **summary[m])
                       for m in METRICS] for label, cell in cells.items()])


def markdown(payload: dict, stem: str = "") -> str:
    """The report of a seed study (`main`'s payload)."""
    refit = payload.get("protocol") == "refit"
    lines = [f"# Seed spread: {payload['sampler']} on {payload['dataset']}"
             + (" (validation + refit)" if refit else ""), "",
             f"{report.produced_by(payload)}; each seed's own command and commit are in the "
             ".json.", "",
             ("Validation + refit protocol (`--refit`: epochs chosen on a validation split, "
              f"retrained on all of train, test evaluated once), at most {payload['epochs']} "
              "epochs" if refit else
              "Reference protocol (`--select-on test`: best epoch chosen on the test split, as "
              f"the paper's code does), {payload['epochs']} epochs")
             + ", one run per seed. Values in %.", ""]
    return "\n".join(lines + seed_tables(payload["runs"], payload["summary"],
                                          "epochs retrained" if refit else "best epoch")) + "\n"


def main(argv=None) -> int:
    parser = report.parser(__doc__, "benchmarks.seeds")
    parser.add_argument("--dataset", default="tools")
    parser.add_argument("--sampler", default="ahns", choices=sorted(paper.SAMPLER_ROW))
    parser.add_argument("--seeds", type=int, nargs="+", default=[2024, 1, 2, 3, 4])
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--num-candidates", type=int, help="M (default: the sampler's default)")
    parser.add_argument("--protocol", choices=["test", "refit"], default="test")
    parser.add_argument("--data-dir")
    parser.add_argument("--work-dir", default="runs/seeds")
    args = parser.parse_args(argv)
    refit = args.protocol == "refit"
    name = f"{args.dataset}-{args.sampler}{'-refit' if refit else ''}"
    stem = os.path.join(args.output, f"{name}-seeds")
    if args.report_only:
        return report.rerender(stem, markdown, argv=argv)
    earlier = report.load(stem + ".json", {})
    for flag, key, value in (("--epochs", "epochs", args.epochs),
                             ("--num-candidates", "num_candidates", args.num_candidates)):
        if earlier and earlier.get(key) != value:
            parser.error(f"{stem}.json holds runs with {flag} {earlier.get(key)}, not {value}; "
                         "pass the same value or another --output")
    runs = earlier.get("runs", {})
    configs = {str(seed): TrainConfig(
        dataset=args.dataset, data_dir=args.data_dir, sampler=args.sampler, refit=refit,
        select_on="valid" if refit else "test", epochs=args.epochs, seed=seed,
        num_candidates=args.num_candidates,
        output_dir=os.path.join(args.work_dir, f"{name}-{seed}")) for seed in args.seeds}
    # A stored seed stands if the same code ran it (the settings are the file's, checked above).
    for seed, result in lab.run_missing(configs, runs, command_line(argv),
                                        same=lambda run, _, code: lab.trained_by(run, code)):
        runs[seed] = {"test": result["test"], "provenance": result["provenance"],
                      "best_epoch": (result["refit"]["selected_epoch"] if refit  # epochs retrained
                                     else result["best_epoch"])}
        report.publish(stem, {"provenance": provenance(argv), "dataset": args.dataset,
                              "sampler": args.sampler, "protocol": args.protocol,
                              "epochs": args.epochs, "num_candidates": args.num_candidates,
                              "runs": runs,
                              "summary": summarise(runs, paper.row(args.dataset, args.sampler))},
                       markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
