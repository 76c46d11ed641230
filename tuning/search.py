r"""KerasTuner search of AHNS's alpha, beta and M (and p) on the validation split.

Usage:
    python -m tuning.search --dataset tools --tuner bayesian --max-trials 30 \
        --epochs-per-trial 30 --directory tuning_runs --data-dir ../shared/data/ahns
    python -m pipelines.train --dataset tools --config tuning_runs/tools/best.json
    python -m tuning.search --dataset ml100k --config base.json --backbone towers

--config FILE starts every trial from a JSON file of training flags (as
``pipelines.train --config``: e.g. ``data_file``, ``item_features``, ``split``, ``lr``); the
search's own flags (the dataset, epochs, seed, batch size, ks, objective, sampler, backbone,
p) and the searched values override it.

Everything of a search lives in DIR/DATASET/ (the trials, search_settings.json, best.json), so
two datasets can share a DIR; a second search of the same DIR/DATASET exits at once. Re-running
the same command resumes the search (finished trials are kept; an interrupted trial resumes
from its last epoch; a trial whose trial.json a kill left unreadable is set aside and runs
again; only --max-trials may change, to extend it: other changed settings are refused, naming
them); --overwrite starts afresh. Writes DIR/DATASET/best.json and prints a table of the
trials. Distributed search uses KerasTuner's own mechanism: start one chief
and any number of workers with the same arguments and these environment variables:

    KERASTUNER_TUNER_ID=chief   KERASTUNER_ORACLE_IP=127.0.0.1 KERASTUNER_ORACLE_PORT=8000
    KERASTUNER_TUNER_ID=tuner1  KERASTUNER_ORACLE_IP=127.0.0.1 KERASTUNER_ORACLE_PORT=8000
"""

import argparse
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import ahns_tf  # noqa: F401,E402  pylint: disable=g-import-not-at-top
from ahns_tf.registry import BACKBONES, SAMPLERS  # noqa: E402  pylint: disable=g-import-not-at-top


def build_parser() -> argparse.ArgumentParser:
    """The flags of ``python -m tuning.search``."""
    parser = argparse.ArgumentParser(prog="python -m tuning.search", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--data-dir")
    parser.add_argument("--tuner", choices=["bayesian", "random", "grid"], default="bayesian")
    parser.add_argument("--max-trials", type=int, default=30)
    parser.add_argument("--epochs-per-trial", type=int, default=30)
    parser.add_argument("--eval-every", type=int, default=5)
    parser.add_argument("--objective", default="ndcg@20",
                        help="validation metric to maximise, <metric>@<k> with k in --ks "
                             "(recall, ndcg, precision, hit_rate)")
    parser.add_argument("--search-p", action="store_true", help="also search p in {-1, -2}")
    parser.add_argument("--p", type=float, default=-2.0, help="p when not searched")
    parser.add_argument("--sampler", default="ahns", choices=SAMPLERS.names(),
                        help="the sampler whose declared search space is searched "
                             "(ahns_tf/registry.py; default: ahns, the paper's space)")
    parser.add_argument("--backbone", default="mf", choices=BACKBONES.names(),
                        help="the backbone every trial trains (default: mf)")
    parser.add_argument("--layers", type=int, nargs="+", default=None,
                        help="train LightGCN and search its layers among these values (0 is "
                             "MF exactly, so 0 1 2 3 also searches the backbone); default: MF")
    parser.add_argument("--config", help="a JSON file of training flags every trial starts from "
                        "(e.g. a log with --data-file and its feature files)")
    parser.add_argument("--directory", default="tuning_runs")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--batch-size", type=int, default=2048)
    parser.add_argument("--ks", type=int, nargs="+", default=[20, 50])
    parser.add_argument("--overwrite", action="store_true")
    return parser


def base_config(args):
    """The config every trial starts from: the search's flags, each sampler's own defaults for
    what is not searched (so ``--config best.json`` later trains what the trials trained)."""
    from ahns_tf.config import TrainConfig  # pylint: disable=g-import-not-at-top
    from ahns_tf.config.file import load_config_file  # pylint: disable=g-import-not-at-top
    given = load_config_file(args.config) if args.config else {}
    args.config_values = given  # written beside the winner in best.json
    return TrainConfig(**{**given, **dict(
        dataset=args.dataset, data_dir=args.data_dir or given.get("data_dir"),
        epochs=args.epochs_per_trial, eval_every=args.eval_every, p=args.p, seed=args.seed,
        batch_size=args.batch_size, ks=tuple(args.ks), select_metric=args.objective,
        sampler=args.sampler, backbone=args.backbone)}).resolved()


def main(argv=None) -> int:
    """Runs the search; returns the exit status (2: bad input, or the search is in use)."""
    args = build_parser().parse_args(argv)

    from ahns_tf import search_dir  # pylint: disable=g-import-not-at-top
    from ahns_tf.runs import RunConflictError, RunLockedError  # pylint: disable=g-import-not-at-top
    settings = {k: v for k, v in vars(args).items() if k not in ("directory", "overwrite")}
    project = search_dir.project_dir(args.directory, args.dataset)
    settings_path = os.path.join(project, "search_settings.json")
    worker = os.environ.get("KERASTUNER_TUNER_ID", "chief") != "chief"  # KerasTuner's workers
    lock = search_dir.search_lock(args.directory, args.dataset)
    try:
        if args.max_trials < 1 or args.epochs_per_trial < 1:
            raise ValueError("--max-trials and --epochs-per-trial must be >= 1")
        base = base_config(args)
        if args.config:  # its content, not its name: an edited file is a changed setting
            settings["config"] = json.loads(json.dumps(base.to_json()))
        if not worker:
            lock.acquire()  # one chief per search: a second exits here, naming the first
        if not args.overwrite:
            search_dir.check_search_settings(settings_path, settings)
            search_dir.set_aside_unreadable_trials(project)
    except (ValueError, OSError, RunConflictError, RunLockedError) as e:
        lock.release()
        print(f"error: {e}", file=sys.stderr)
        return 2
    try:
        return _search(args, argv, base, project, settings, settings_path, worker)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    finally:
        lock.release()


def _search(args, argv, base, project, settings, settings_path, worker) -> int:
    """The search itself, holding the directory's lock; prints the trials, writes best.json."""
    from ahns_tf import search_dir  # pylint: disable=g-import-not-at-top
    from ahns_tf.provenance import provenance  # pylint: disable=g-import-not-at-top
    from ahns_tf.tuner import (AHNSHyperModel, AHNSTuner,  # pylint: disable=g-import-not-at-top
                               completed_trials, keras_tuner, make_oracle, write_best)
    hypermodel = AHNSHyperModel(base, search_p=args.search_p, layers=args.layers)
    oracle = make_oracle(args.tuner, args.objective, args.max_trials, args.seed)
    tuner = AHNSTuner(hypermodel, oracle, directory=args.directory,
                      project_name=os.path.basename(project), overwrite=args.overwrite)
    search_dir.save_search_settings(settings_path, settings)  # after --overwrite cleared it
    tuner.search_space_summary()
    tuner.search(verbose=1)
    if worker and os.environ.get("KERASTUNER_ORACLE_IP"):
        return 0  # a worker: the chief reports
    rows = completed_trials(tuner)
    names = (["trial_id", *hypermodel.declare(keras_tuner.HyperParameters())]
             + [f"{m}@{k}" for k in args.ks for m in ("recall", "ndcg")])
    print(f"\n{len(rows)} completed trials on {args.dataset}, validation split, best first:")
    print("  ".join(f"{n:>14}" for n in names))
    for row in rows:
        print("  ".join(f"{row.get(n, float('nan')):>14.4f}" if isinstance(row.get(n), float)
                        else f"{str(row.get(n)):>14}" for n in names))
    path = os.path.join(project, "best.json")
    best = write_best(tuner, path, args.dataset, origin=provenance(argv),
                      settings=getattr(args, "config_values", None))
    print(f"\nbest ({args.objective} on valid = {best['objective']['value']:.4f}): "
          f"{best['hyperparameters']} -> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
