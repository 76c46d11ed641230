r"""Does the evaluation schedule explain a gap to the reference loop? Best epochs at both schedules.

    for seed in 2024 1 2 3 4; do
      python -m pipelines.train --dataset tools --sampler ahns --select-on test --epochs 50 \
          --eval-every 1 --patience 0 --seed $seed --data-dir ../shared/data/ahns \
          --output-dir runs/every-1/seed-$seed
    done
    python -m benchmarks.reference_torch --dataset tools --seeds 2022 1 2 3 4 --epochs 50 \
        --eval-every 1 --threads 2 --data-dir ../shared/data/ahns --output runs/reference-every-1
    python -m benchmarks.eval_points --ours runs/every-1/seed-* \
        --reference runs/reference-every-1/tools-reference-ahns-seeds.json \
        --ours-study benchmarks/results/tools-ahns-seeds.json \
        --reference-study benchmarks/results/tools-reference-ahns-seeds.json

The reference code evaluates after 1, 6, 11, ... epochs (its 0-based epochs 0, 5, 10, ...);
`pipelines.train` after 5, 10, 15, ... (and after its last epoch). Both report the best
evaluation, so the two loops' seed studies (tools-ahns-seeds.md, tools-reference-ahns-seeds.md)
are maxima over different epochs, and over different epoch counts (50 and 41). From runs
evaluated after every epoch this picks, per run, the best Recall@20 at each schedule and over all
epochs up to ``--epochs``, so the loops are compared at the same epochs. Epochs here count epochs
trained (the reference's epoch r is r + 1).

The premise, that evaluating after every epoch trains the same models as the studies' runs
(evaluation draws no random numbers: tests/test_random_streams.py,
tests/test_reference_torch.py), is checked on the data: with ``--ours-study`` /
``--reference-study``, each study seed that is also an input run must come out with the same
best epoch and Recall@20 when its every-epoch run is read at the study's own schedule and epoch
count. The report says how many did.

Writes ``<output>/<dataset>-eval-points.json`` and ``.md``; each input's command and commit are
kept.
"""

import argparse
import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
METRICS = ("recall@20", "ndcg@20")
EVERY = 5                                   # both loops' interval; only the offset differs
OURS, REFERENCE = "ahns_tf", "reference"


def our_schedule(epochs: int) -> list:
    """Epochs trained after which `pipelines.train` evaluates (every 5, and the last).

    Example: ``our_schedule(12)`` -> ``[5, 10, 12]``.
    """
    points = list(range(EVERY, epochs + 1, EVERY))
    return points if epochs % EVERY == 0 else points + [epochs]


def reference_schedule(epochs: int, every: int = EVERY) -> list:
    """Epochs trained after which the reference evaluates (its 0-based epochs 0, 5, ...).

    Example: ``reference_schedule(12)`` -> ``[1, 6, 11]``.
    """
    return [r + 1 for r in range(0, epochs, every)]


def schedules(epochs: int) -> dict:
    """``{name: epochs trained}`` of the three ways of choosing the best epoch, up to `epochs`."""
    return {f"{OURS} (after 5, 10, ...)": our_schedule(epochs),
            f"{REFERENCE} (after 1, 6, 11, ...)": reference_schedule(epochs),
            "every epoch": list(range(1, epochs + 1))}


def best_at(history: dict, epochs: list, where: str) -> dict:
    """The evaluation with the highest Recall@20 among ``epochs`` of ``{epoch: metrics}``.

    Ties go to the earlier epoch, as both loops' own selection does.
    """
    last = max(history) if history else 0
    if epochs and max(epochs) > last:
        raise ValueError(f"{where} was evaluated only up to epoch {last}; "
                         f"pass --epochs {last} or less")
    missing = [e for e in epochs if e not in history]
    if missing:
        raise ValueError(f"{where} was not evaluated after epoch(s) {missing[:5]}: "
                         "train it with --eval-every 1")
    bad = [e for e in epochs if not math.isfinite(history[e]["recall@20"])]
    if bad:
        raise ValueError(f"{where} has a non-finite Recall@20 after epoch(s) {bad[:5]}")
    epoch = max(epochs, key=lambda e: (history[e]["recall@20"], -e))
    return {"epoch": epoch, **{m: history[epoch][m] for m in METRICS}}


def read_json(path: str, what: str) -> dict:
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        raise ValueError(f"{path} does not exist: pass {what}") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not JSON ({error}): pass {what}") from None


def our_run(run_dir: str, dataset: str) -> tuple:
    """``(seed, {epochs trained: test metrics}, settings, provenance)`` of a `pipelines.train` run.

    Raises:
        ValueError: the run is not one the comparison may use (named, with what to change).
    """
    path = os.path.join(run_dir, "metrics.json")
    metrics = read_json(path, "run folders of pipelines.train")
    config = metrics.get("config") or {}
    problems = []
    if metrics.get("selected_on") != "test":
        problems.append("trained with --select-on valid (part of train held out): "
                        "train with --select-on test, as the seed studies")
    if config.get("dataset") != dataset:
        problems.append(f"dataset {config.get('dataset')!r}, not --dataset {dataset!r}")
    if config.get("eval_users") is not None:
        problems.append("evaluated on a sample of users (--eval-users): evaluate all")
    if 20 not in (config.get("ks") or []):
        problems.append("no Recall@20 (--ks without 20)")
    if problems:
        raise ValueError(f"{path}: " + "; ".join(problems))
    history = {h["epoch"]: h for h in metrics.get("history", [])
               if h.get("split") == "test" and "recall@20" in h}
    settings = {"sampler": config.get("sampler"), "backbone": config.get("backbone"),
                **{k: config.get(k) for k in ("num_candidates", "alpha", "beta", "p")}}
    return str(config.get("seed")), history, settings, metrics.get("provenance")


def reference_runs(path: str, dataset: str) -> tuple:
    """``({seed: {epochs trained: metrics}}, settings, payload)`` of a `reference_torch` file."""
    payload = read_json(path, "a benchmarks.reference_torch results file")
    settings = payload.get("settings") or {}
    if payload.get("dataset") != dataset:
        raise ValueError(f"{path}: dataset {payload.get('dataset')!r}, not --dataset {dataset!r}")
    if settings.get("context_hops"):
        raise ValueError(f"{path}: a LightGCN run (--context-hops); ours are compared as MF")
    if not payload.get("runs"):
        raise ValueError(f"{path} holds no runs")
    runs = {seed: {h["epoch"] + 1: h for h in run["history"]}     # 0-based -> epochs trained
            for seed, run in payload["runs"].items()}
    mapped = {"sampler": payload.get("ns"), "backbone": "mf", "num_candidates":
              settings.get("n_negs"), **{k: settings.get(k) for k in ("alpha", "beta", "p")}}
    return runs, mapped, payload


def differing_settings(ours: dict, reference: dict) -> list:
    """Names of the method settings on which our runs and the reference's differ."""
    def norm(value):
        return float(value) if isinstance(value, (int, float)) else value
    return [k for k in ours if norm(ours[k]) != norm(reference.get(k))]


def compare(loops: dict, epochs: int) -> dict:
    """``{loop: {schedule: {"runs": {seed: best}, "summary": ...}}}`` for ``{loop: {seed: history}}``."""
    from benchmarks.seeds import summarise  # pylint: disable=import-outside-toplevel
    table = {}
    for loop, runs in loops.items():
        table[loop] = {}
        for name, points in schedules(epochs).items():
            bests = {seed: best_at(history, points, f"{loop} seed {seed}")
                     for seed, history in runs.items()}
            # Mean and sample std (in %) over the runs' bests, as the seed studies summarise.
            summary = summarise({seed: {"test": best} for seed, best in bests.items()}, None)
            table[loop][name] = {"runs": bests, "summary": summary}
    return table


def check_study(runs: dict, study: dict, schedule: list, loop: str, shift: int = 0) -> dict:
    """Whether each study seed among `runs` has the same best epoch and Recall@20 when its
    every-epoch run is read at the study's `schedule` (``{"reproduced": [...], "differ": {...}}``).

    `shift` turns the study's best epoch into epochs trained (1 for the reference's 0-based).
    """
    out = {"reproduced": [], "differ": {}}
    for seed, run in study["runs"].items():
        if seed not in runs:
            continue
        best = best_at(runs[seed], schedule, f"{loop} seed {seed}")
        if best["epoch"] == run["best_epoch"] + shift and math.isclose(
                best["recall@20"], run["test"]["recall@20"], rel_tol=1e-6, abs_tol=1e-9):
            out["reproduced"].append(seed)
        else:
            out["differ"][seed] = {"study": {"epoch": run["best_epoch"] + shift,
                                             "recall@20": run["test"]["recall@20"]},
                                   "every_epoch_run": best}
    return out


def markdown(payload: dict) -> str:
    from ahns_tf.provenance import describe, payload_origin  # pylint: disable=import-outside-toplevel
    lines = [f"# Evaluation schedule and the best epoch: {payload['dataset']}", "",
             f"Produced by {payload_origin(payload)}.", "",
             "Each run was evaluated on test after every epoch; per run, the best Recall@20 "
             f"among the epochs up to {payload['epochs']} that a schedule evaluates (epochs "
             "counted as epochs trained; ties to the earlier). Mean ± sample std over runs, "
             "in %. Settings of both loops: " + json.dumps(payload["settings"]) + ".", "",
             "| loop | schedule | runs | Recall@20 | NDCG@20 | best epochs |",
             "|---|---|---|---|---|---|"]
    for loop, rows in payload["table"].items():
        for name, row in rows.items():
            s = row["summary"]
            lines.append(f"| {loop} | {name} | {len(row['runs'])} | "
                         + " | ".join(f"{s[m]['mean']:.2f} ± {s[m]['std']:.2f}" for m in METRICS)
                         + " | " + ", ".join(str(b["epoch"]) for b in row["runs"].values()) + " |")
    if payload["checks"]:
        lines += ["", "Premise check (the every-epoch runs, read at each study's own schedule "
                  "and epoch count, give the study's per-seed results):", ""]
        for loop, check in payload["checks"].items():
            differ = "; ".join(f"seed {seed}: study {d['study']}, every-epoch run "
                               f"{d['every_epoch_run']}" for seed, d in check["differ"].items())
            lines.append(f"- {loop}, {check['file']} ({check['epochs']} epochs): "
                         f"{len(check['reproduced'])} of "
                         f"{len(check['reproduced']) + len(check['differ'])} seeds reproduced"
                         + (f"; differ: {differ}" if differ else ""))
    lines += ["", "Input runs:", ""]
    for loop, records in payload["inputs"].items():
        for seed, record in records.items():
            lines.append(f"- {loop} seed {seed}: {describe(record['provenance'])} "
                         f"({record['path']})")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.eval_points", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ours", nargs="+", required=True, metavar="RUN_DIR",
                        help="pipelines.train output folders (--select-on test --eval-every 1), "
                             "one per seed")
    parser.add_argument("--reference", required=True, metavar="JSON",
                        help="a benchmarks.reference_torch results file made with --eval-every 1")
    parser.add_argument("--ours-study", metavar="JSON",
                        help="our benchmarks.seeds file whose seeds the --ours runs repeat")
    parser.add_argument("--reference-study", metavar="JSON",
                        help="the reference_torch file whose seeds --reference repeats")
    parser.add_argument("--epochs", type=int, default=50, help="epochs to compare (default 50)")
    parser.add_argument("--dataset", default="tools")
    parser.add_argument("--output", default=os.path.join(HERE, "results"))
    args = parser.parse_args(argv)
    if args.epochs < EVERY:
        parser.error(f"--epochs must be at least {EVERY} (our schedule's first evaluation)")
    sys.path.insert(0, os.path.dirname(HERE))
    from ahns_tf.atomic import write_results  # pylint: disable=import-outside-toplevel
    from ahns_tf.provenance import provenance  # pylint: disable=import-outside-toplevel
    try:
        ours, inputs, settings = {}, {OURS: {}, REFERENCE: {}}, None
        for run_dir in args.ours:
            seed, history, run_settings, record = our_run(run_dir, args.dataset)
            if seed in ours:
                raise ValueError(f"two --ours runs have seed {seed} ({inputs[OURS][seed]['path']} "
                                 f"and {run_dir}): pass one run per seed")
            if settings is not None and run_settings != settings:
                raise ValueError(f"{run_dir}: settings {run_settings} differ from the other "
                                 f"--ours runs' {settings}")
            settings = run_settings
            ours[seed], inputs[OURS][seed] = history, {"provenance": record, "path": run_dir}
        reference, ref_settings, ref_payload = reference_runs(args.reference, args.dataset)
        differ = differing_settings(settings, ref_settings)
        if differ:
            raise ValueError(f"--ours and --reference differ in {differ}: ours {settings}, "
                             f"reference {ref_settings}")
        inputs[REFERENCE] = {seed: {"provenance": ref_payload.get("provenance"),
                                    "path": args.reference} for seed in reference}
        table = compare({OURS: ours, REFERENCE: reference}, args.epochs)
        checks = {}
        if args.ours_study:
            study = read_json(args.ours_study, "a benchmarks.seeds results file")
            checks[OURS] = {"file": os.path.basename(args.ours_study), "epochs": study["epochs"],
                            **check_study(ours, study, our_schedule(study["epochs"]), OURS)}
        if args.reference_study:
            study = read_json(args.reference_study, "a benchmarks.reference_torch results file")
            epochs, every = study["settings"]["epochs"], study["settings"].get("eval_every", EVERY)
            checks[REFERENCE] = {"file": os.path.basename(args.reference_study), "epochs": epochs,
                                 **check_study(reference, study, reference_schedule(epochs, every),
                                               REFERENCE, shift=1)}
    except (ValueError, KeyError) as error:
        parser.error(error.args[0] if isinstance(error, ValueError)
                     else f"an input file lacks the field {error}: is it the right kind of file?")
    payload = {"provenance": provenance(argv), "dataset": args.dataset, "epochs": args.epochs,
               "settings": settings, "table": table, "checks": checks, "inputs": inputs}
    stem = os.path.join(args.output, f"{args.dataset}-eval-points")
    print(write_results(stem, payload, markdown(payload)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
