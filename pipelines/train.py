"""Train a retrieval model with in-graph negative sampling.

Usage:
    python -m pipelines.train --dataset=sports --data-dir ../shared/data/ahns
    python -m pipelines.train --dataset tools --sampler rns --select-on test
    python -m pipelines.train --config tuning_dir/best.json   # flags still win

Writes ``<output-dir>/metrics.json`` and TensorBoard logs, and exports a
SavedModel to ``<export-dir>/<version>/``. Run with ``--help`` for every flag.
"""

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # hide TensorFlow's C++ start-up chatter
import ahns_tf  # noqa: F401  pylint: disable=g-import-not-at-top  selects Keras 2
from ahns_tf.config import TrainConfig, load_config_file
from ahns_tf.config.flags import add_config_flags, config_values
from ahns_tf.runs.progress import READ_ERRORS, ProgressFiles


def build_parser() -> argparse.ArgumentParser:
    """The flags: one per `TrainConfig` field (`ahns_tf.config.flags`), and the run's own."""
    parser = argparse.ArgumentParser(prog="python -m pipelines.train", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", help="JSON file of flag values (e.g. a tuner's best.json)")
    parser.add_argument("--no-export", action="store_true", help="skip the SavedModel export")
    parser.add_argument("--resume", metavar="RUN_DIR",
                        help="continue the run in RUN_DIR with its saved settings (re-running "
                             "the same command resumes too)")
    parser.add_argument("--overwrite", action="store_true",
                        help="discard an earlier run in --output-dir instead of resuming it")
    add_config_flags(parser)
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
    if args.resume:
        extra = sorted("--" + name.replace("_", "-") for name, value in vars(args).items()
                       if name not in ("resume", "no_export") and value != parser.get_default(name))
        if extra:
            raise ResumeError(f"--resume continues a run with its saved settings; drop "
                              f"{', '.join(extra)} (to change settings, start a new run with "
                              f"another --output-dir, or --overwrite this one)")
        return resumed_config(args.resume), args
    values = dict(load_config_file(args.config)) if args.config else {}
    values.update(config_values(args))
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
        saved = dict(files.saved_config(), output_dir=run_dir)  # the folder may have moved
        return TrainConfig.from_json(saved)
    except READ_ERRORS as e:
        raise ResumeError(f"{path} is unreadable ({type(e).__name__}: {e}); re-run the "
                          f"original command (it falls back to the kept checkpoints), or "
                          f"start afresh with --overwrite") from None


def main(argv=None) -> int:
    """Runs the CLI; returns the exit status (2: bad input, 3: non-finite loss)."""
    try:
        config, args = config_from_args(argv)
        config = config.resolved()
    except ValueError as e:  # ConfigFileError, ResumeError and invalid values
        print(f"error: {e}", file=sys.stderr)
        return 2
    from ahns_tf.provenance import command_line  # pylint: disable=g-import-not-at-top
    from ahns_tf.training import summary, train  # pylint: disable=g-import-not-at-top
    from ahns_tf.data import DataFormatError, ChecksumError  # pylint: disable=g-import-not-at-top
    from ahns_tf.data.checks import DataSettingsError  # pylint: disable=g-import-not-at-top
    from ahns_tf.runs import (CorruptRunError, NonFiniteLossError,  # pylint: disable=g-import-not-at-top
                              RunConflictError, RunLockedError, UnwritableDirError)
    from ahns_tf.training.cluster import (ClusterConfigError,  # pylint: disable=g-import-not-at-top
                                         ClusterUnavailableError)
    try:
        result = train(config, export=not args.no_export, overwrite=args.overwrite,
                       command=command_line(argv))
    except (DataFormatError, ChecksumError, FileNotFoundError, RunConflictError, RunLockedError,
            CorruptRunError, UnwritableDirError, DataSettingsError, ClusterConfigError,
            ClusterUnavailableError) as e:
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
