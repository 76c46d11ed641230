"""Train a retrieval model with in-graph negative sampling.

Usage:
    python -m pipelines.train --dataset=sports --data-dir ../shared/data/ahns
    python -m pipelines.train --dataset tools --sampler rns --select-on test
    python -m pipelines.train --config tuning_dir/best.json   # flags still win

Writes ``<output-dir>/metrics.json`` and TensorBoard logs, and exports a
SavedModel to ``<export-dir>/<version>/``. Run with ``--help`` for every flag.
"""

import argparse
import dataclasses
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # hide TensorFlow's C++ start-up chatter
import ahns_tf  # noqa: F401  pylint: disable=g-import-not-at-top  selects Keras 2
from ahns_tf.config import BACKBONES, LOG_SPLITS, OPTIMIZERS, STRATEGIES, TrainConfig
from ahns_tf.config_file import load_config_file
from ahns_tf.data.checks import DEFAULT_MEMORY_BUDGET_GB
from ahns_tf.runs.progress import READ_ERRORS, ProgressFiles
from ahns_tf.samplers import METHODS

_HELP = {
    "dataset": "ml-1m, phones, sports, tools, or the name of your own folder in --data-dir",
    "data_dir": "folder with <dataset>/train.txt and test.txt (default: $AHNS_DATA_DIR, "
                "else ~/.cache/ahns_tf, where benchmark data is downloaded)",
    "sampler": "negative sampler: " + ", ".join(METHODS),
    "alpha": "AHNS alpha > 0 (default: the reference setting for the dataset); DENS alpha "
             "(default 0.5)",
    "beta": "AHNS beta > 0 (default: the reference setting for the dataset)",
    "p": "AHNS power p < 0",
    "num_candidates": "M, candidate negatives per positive (default: per dataset / method)",
    "select_on": "split that picks the best epoch: 'valid' (10%% of train held out) or "
                 "'test' (the reference code's protocol: all of train.txt, best epoch on test)",
    "select_metric": "metric that picks the best epoch",
    "patience": "evaluations without improvement before stopping (0: never stop early)",
    "eval_every": "evaluate every N epochs",
    "output_dir": "where metrics.json and TensorBoard logs go (default runs/<dataset>-<sampler>)",
    "export_dir": "SavedModel base path (default saved_models/<dataset>)",
    "top_k": "items returned by the exported serving signature",
    "num_negatives": "SSM: K uniform negatives in the sampled-softmax loss",
    "top_n": "DNS(M, N): pick uniformly among the top N of the M candidates",
    "gamma": "DENS: weight of the disentangling loss",
    "temperature": "scores are divided by it in the loss (SSM's temperature)",
    "optimizer": "'adam': dense Adam as in the reference code (every embedding row moves "
                 "every step); 'lazy_adam': only rows in the batch (cost independent of the "
                 "tables; a different update); 'auto': adam up to 100,000 user+item rows "
                 "(all the paper's datasets), lazy_adam above",
    "num_users": "declared number of users; a larger id in the data is an error",
    "backbone": "'mf': matrix factorization (the paper's); 'lightgcn': LightGCN, embeddings "
                "propagated over the training graph (--layers times)",
    "layers": "LightGCN: propagation layers L (0 is MF)",
    "num_items": "declared number of items; a larger id in the data is an error",
    "strategy": "tf.distribute strategy: none (one device), mirrored (all GPUs of this machine, "
                "or --cpu-devices N), multi_worker (machines listed in TF_CONFIG), "
                "parameter_server (tables sharded over parameter servers; TF_CONFIG or "
                "--local-cluster)",
    "cpu_devices": "--strategy mirrored: split the CPU into N logical devices (no GPU)",
    "local_cluster": "--strategy parameter_server: start W workers and P parameter servers "
                     "in this process on 127.0.0.1, as 'W,P' (trials and tests)",
    "data_file": "a log with raw ids, one interaction a row: .csv, .tsv (.gz allowed) or "
                 ".parquet with a header; --dataset then only names the run",
    "user_col": "--data-file/tfds: user id column (default: user_id)",
    "item_col": "--data-file/tfds: item id column (default: item_id)",
    "time_col": "--data-file/tfds: time column, numbers or ISO 8601 (default: timestamp, "
                "when the log has it)",
    "rating_col": "--data-file/tfds: numeric rating column (default: none)",
    "min_rating": "keep interactions rated >= this (needs --rating-col)",
    "min_user_interactions": "k-core: drop users with fewer interactions, repeatedly with "
                             "--min-item-interactions (default: 1)",
    "min_item_interactions": "k-core: drop items with fewer interactions (default: 1)",
    "split": "--data-file/tfds: random (per user, seeded), leave_one_out (each user's last "
             "interaction by time is test, the one before validation) or temporal (one "
             "global time cutoff)",
    "test_ratio": "random: share of each user's interactions for test; temporal: share of "
                  "all, the latest (default: 0.2)",
    "valid_ratio": "random/temporal: share for validation under --select-on valid "
                   "(default: 0.1)",
    "tfds_data_dir": "--dataset tfds:NAME: the TFDS data folder (read offline)",
    "warm_start": "RUN_DIR of an earlier --data-file/tfds run: ids seen there start from "
                  "their embeddings, new ids from fresh ones",
    "eval_users": "evaluate a fixed, seeded sample of this many users per split (large "
                  "catalogues; default: all users with held-out items)",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pipelines.train", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", help="JSON file of flag values (e.g. a tuner's best.json)")
    parser.add_argument("--no-export", action="store_true", help="skip the SavedModel export")
    parser.add_argument("--resume", metavar="RUN_DIR",
                        help="continue the run in RUN_DIR with its saved settings (re-running "
                             "the same command resumes too)")
    parser.add_argument("--overwrite", action="store_true",
                        help="discard an earlier run in --output-dir instead of resuming it")
    parser.add_argument("--memory-budget-gb", type=float, default=DEFAULT_MEMORY_BUDGET_GB,
                        help="refuse an id range whose embedding tables and Adam slots, "
                             "(users + items) x dim x 4 bytes x 3, exceed this many GB "
                             "(default: %(default)s)")
    for field in dataclasses.fields(TrainConfig):
        flag = "--" + field.name.replace("_", "-")
        kind = {"int": int, "float": float, "str": str}.get(
            getattr(field.type, "__name__", ""), None)
        if field.name in ("alpha", "beta", "lr", "l2", "p", "validation_fraction", "gamma",
                          "temperature"):
            kind = float
        elif field.name in ("num_candidates", "num_users", "num_items", "num_negatives", "top_n",
                            "eval_users", "cpu_devices", "min_user_interactions",
                            "min_item_interactions"):
            kind = int
        elif field.name in ("min_rating", "test_ratio", "valid_ratio"):
            kind = float
        elif field.name in ("data_dir", "output_dir", "export_dir", "dataset", "sampler",
                            "select_on", "select_metric", "optimizer", "backbone",
                            "strategy", "local_cluster", "data_file", "user_col",
                            "item_col", "time_col", "rating_col", "split",
                            "tfds_data_dir", "warm_start"):
            kind = str
        if field.name == "refit":
            parser.add_argument(flag, action="store_true", default=None,
                                help="choose the epochs on validation, retrain on all of train "
                                     "for that many epochs, then evaluate test once "
                                     "(needs --select-on valid; ahns_tf/refit.py)")
            continue
        if field.name == "ks":
            parser.add_argument(flag, type=int, nargs="+", default=None,
                                help="cut-offs K of the metrics (default 20 50)")
            continue
        choices = list(METHODS) if field.name == "sampler" else (
            ["valid", "test"] if field.name == "select_on" else (
                list(OPTIMIZERS) if field.name == "optimizer" else (
                    list(BACKBONES) if field.name == "backbone" else (
                        list(STRATEGIES) if field.name == "strategy" else (
                            list(LOG_SPLITS) if field.name == "split" else None)))))
        text = _HELP.get(field.name, field.name.replace("_", " "))
        if field.default is not None and "default" not in text:
            text += f" (default: {field.default})"
        parser.add_argument(flag, type=kind, default=None, choices=choices, help=text)
    return parser


class ResumeError(ValueError):
    """--resume names a folder without a resumable run."""


def config_from_args(argv=None):
    """Parses flags into a `TrainConfig`: defaults < --config file < flags.

    Returns:
        ``(config, args)``: the config, and the parsed flags.

    Raises:
        ConfigFileError: a bad --config file (named with the key).
        ResumeError: --resume names no resumable run, or comes with flags
            other than ``--no-export`` (the run's saved settings are used, so
            they would be ignored).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    names = {f.name for f in dataclasses.fields(TrainConfig)}
    if args.resume:
        extra = sorted("--" + name.replace("_", "-") for name, value in vars(args).items()
                       if name not in ("resume", "no_export") and value != parser.get_default(name))
        if extra:
            raise ResumeError(f"--resume continues a run with its saved settings; drop "
                              f"{', '.join(extra)} (to change settings, start a new run with "
                              f"another --output-dir, or --overwrite this one)")
        return resumed_config(args.resume), args
    values = dict(load_config_file(args.config)) if args.config else {}
    for name in names:
        value = getattr(args, name)
        if value is not None:
            values[name] = value
    return TrainConfig(**values), args


def resumed_config(run_dir: str) -> TrainConfig:
    """The saved config of the run in `run_dir` (for --resume).

    Raises:
        ResumeError: no readable progress.json in `run_dir`.
    """
    files = ProgressFiles(run_dir)  # owns progress.json's name and format
    path = files.path
    if not os.path.isfile(path):
        raise ResumeError(f"{path} not found: --resume takes the --output-dir of a run that "
                          f"completed at least one epoch")
    try:
        saved = dict(files.saved_config())
        saved["ks"] = tuple(saved["ks"])
        saved["output_dir"] = run_dir  # the folder may have been moved since
        return TrainConfig(**saved)
    except READ_ERRORS as e:
        raise ResumeError(f"{path} is unreadable ({type(e).__name__}: {e}); re-run the "
                          f"original command (it falls back to the kept checkpoints), or "
                          f"start afresh with --overwrite") from None


def main(argv=None) -> int:
    """Runs the CLI; returns the exit status (2: bad input, 3: non-finite loss)."""
    try:
        config, args = config_from_args(argv)
        config = config.resolved()
        if not args.memory_budget_gb > 0:
            raise ValueError(f"--memory-budget-gb must be > 0, got {args.memory_budget_gb!r}")
    except ValueError as e:  # ConfigFileError, ResumeError and invalid values
        print(f"error: {e}", file=sys.stderr)
        return 2
    from ahns_tf.provenance import command_line  # pylint: disable=g-import-not-at-top
    from ahns_tf.training import summary, train  # pylint: disable=g-import-not-at-top
    from ahns_tf.data import DataFormatError, ChecksumError  # pylint: disable=g-import-not-at-top
    from ahns_tf.data.checks import DataSettingsError  # pylint: disable=g-import-not-at-top
    from ahns_tf.runs import (CorruptRunError, NonFiniteLossError,  # pylint: disable=g-import-not-at-top
                              RunConflictError, RunLockedError, UnwritableDirError)
    try:
        result = train(config, export=not args.no_export, overwrite=args.overwrite,
                       memory_budget_gb=args.memory_budget_gb, command=command_line(argv))
    except (DataFormatError, ChecksumError, FileNotFoundError, RunConflictError, RunLockedError,
            CorruptRunError, UnwritableDirError, DataSettingsError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except NonFiniteLossError as e:
        print(f"error: {e}", file=sys.stderr)
        return 3
    print()
    print(summary(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
