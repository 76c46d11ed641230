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
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # hide TensorFlow's C++ start-up chatter
import ahns_tf  # noqa: F401  pylint: disable=g-import-not-at-top  selects Keras 2
from ahns_tf.config import OPTIMIZERS, TrainConfig, load_config_file
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
                 "every step); 'lazy_adam': only rows in the batch (faster; a different update)",
    "num_users": "declared number of users; a larger id in the data is an error",
    "num_items": "declared number of items; a larger id in the data is an error",
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
    for field in dataclasses.fields(TrainConfig):
        flag = "--" + field.name.replace("_", "-")
        kind = {"int": int, "float": float, "str": str}.get(
            getattr(field.type, "__name__", ""), None)
        if field.name in ("alpha", "beta", "lr", "l2", "p", "validation_fraction", "gamma",
                          "temperature"):
            kind = float
        elif field.name in ("num_candidates", "num_users", "num_items", "num_negatives", "top_n"):
            kind = int
        elif field.name in ("data_dir", "output_dir", "export_dir", "dataset", "sampler",
                            "select_on", "select_metric", "optimizer"):
            kind = str
        if field.name == "ks":
            parser.add_argument(flag, type=int, nargs="+", default=None,
                                help="cut-offs K of the metrics (default 20 50)")
            continue
        choices = list(METHODS) if field.name == "sampler" else (
            ["valid", "test"] if field.name == "select_on" else (
                list(OPTIMIZERS) if field.name == "optimizer" else None))
        text = _HELP.get(field.name, field.name.replace("_", " "))
        if field.default is not None and "default" not in text:
            text += f" (default: {field.default})"
        parser.add_argument(flag, type=kind, default=None, choices=choices, help=text)
    return parser


def config_from_args(argv=None):
    """Parses flags into a `TrainConfig`: defaults < --config file < flags.

    Returns:
        ``(config, args)``: the config, and the parsed flags.

    Raises:
        ValueError: ``--resume`` names a folder without a run or comes with
            flags other than ``--no-export`` (the run's saved settings are
            used, so they would be ignored), or ``--config`` is not a JSON
            object of flag values.
    """
    args = build_parser().parse_args(argv)
    values = {}
    names = {f.name for f in dataclasses.fields(TrainConfig)}
    if args.resume:
        extra = sorted("--" + name.replace("_", "-") for name, value in vars(args).items()
                       if name not in ("resume", "no_export") and value not in (None, False))
        if extra:
            raise ValueError(f"--resume continues a run with its saved settings; drop "
                             f"{', '.join(extra)} (to change settings, start a new run with "
                             f"another --output-dir, or --overwrite this one)")
        path = os.path.join(args.resume, "progress.json")
        if not os.path.isfile(path):
            raise ValueError(f"{path} not found: --resume takes the --output-dir of a "
                             f"run that completed at least one epoch")
        with open(path) as f:
            saved = json.load(f)["config"]
        saved["ks"] = tuple(saved["ks"])
        saved["output_dir"] = args.resume  # the folder may have been moved since
        return TrainConfig(**saved), args
    if args.config:
        for key, value in load_config_file(args.config).items():
            if key in names:
                values[key] = value
    for name in names:
        value = getattr(args, name)
        if value is not None:
            values[name] = value
    return TrainConfig(**values), args


def main(argv=None) -> int:
    try:
        config, args = config_from_args(argv)
        config = config.resolved()
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    from ahns_tf.provenance import command_line  # pylint: disable=g-import-not-at-top
    from ahns_tf.training import summary, train  # pylint: disable=g-import-not-at-top
    from ahns_tf.data import DataFormatError, ChecksumError  # pylint: disable=g-import-not-at-top
    from ahns_tf.runs import NonFiniteLossError, RunConflictError  # pylint: disable=g-import-not-at-top
    try:
        result = train(config, export=not args.no_export, overwrite=args.overwrite,
                       command=command_line(argv))
    except (DataFormatError, ChecksumError, FileNotFoundError, RunConflictError) as e:
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
