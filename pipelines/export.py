"""Export a finished training run as a versioned SavedModel for TF Serving.

Usage:
    python -m pipelines.export --run-dir runs/tools-ahns --export-dir saved_models/tools
    python -m pipelines.export --run-dir runs/tools-ahns --top-k 50 --version 7
    python -m pipelines.export --run-dir runs/ml100k-ahns --item-features new_items.csv

Reads ``<run-dir>/metrics.json`` (the run's config) and ``<run-dir>/embeddings.npz`` (the best
epoch's embeddings), reloads the dataset to know each user's training items, writes
``<export-dir>/<version>/`` atomically and updates ``models.config`` beside ``<export-dir>``.
"""

import argparse
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # hide TensorFlow's C++ start-up chatter
import ahns_tf  # noqa: F401  pylint: disable=g-import-not-at-top  selects Keras 2


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1 (argparse exits 2 naming the flag otherwise).

    Example:

    >>> positive_int("3")
    3
    """
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The flags of ``python -m pipelines.export``."""
    parser = argparse.ArgumentParser(prog="python -m pipelines.export", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run-dir", required=True, help="output dir of pipelines.train")
    parser.add_argument("--export-dir", help="model base path (default: the run's --export-dir)")
    parser.add_argument("--top-k", type=positive_int,
                        help="K of serving_default, >= 1 (default: the run's)")
    parser.add_argument("--version", type=positive_int,
                        help="version number >= 1, the folder TF Serving loads (default: "
                             "highest + 1)")
    parser.add_argument("--data-dir", help="override the run's --data-dir")
    parser.add_argument("--item-features", metavar="FILE",
                        help="feature file of new items (a --backbone towers run): the ids the "
                             "run does not know join the catalogue, embedded from their features")
    parser.add_argument("--user-features", metavar="FILE",
                        help="feature file of new users, answered from their features")
    return parser


def main(argv=None) -> int:
    """Exports a run; returns the exit status (2: bad input)."""
    args = build_parser().parse_args(argv)

    import zipfile  # pylint: disable=g-import-not-at-top
    from ahns_tf.data import DataFormatError  # pylint: disable=g-import-not-at-top
    from ahns_tf.runs import (RunConflictError,  # pylint: disable=g-import-not-at-top
                              UnwritableDirError)
    try:
        path = export(args)
    except (DataFormatError, RunConflictError, UnwritableDirError, FileExistsError,
            FileNotFoundError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"SavedModel: {path}")
    return 0


def export(args) -> str:
    """Exports the run of ``args.run_dir``; returns the new version folder.

    Raises:
        FileNotFoundError, DataFormatError: a file of the run is missing or damaged (named).
        RunConflictError: the data no longer is what the run trained on.
        UnwritableDirError, FileExistsError, ValueError: the export cannot be written as asked.
    """
    import zipfile  # pylint: disable=g-import-not-at-top

    import numpy as np  # pylint: disable=g-import-not-at-top
    from ahns_tf.config import TrainConfig  # pylint: disable=g-import-not-at-top
    from ahns_tf.data import DataFormatError  # pylint: disable=g-import-not-at-top
    from ahns_tf.data.run_data import (changed_digest,  # pylint: disable=g-import-not-at-top
                                       load_run_dataset)
    from ahns_tf.registry import source_of  # pylint: disable=g-import-not-at-top
    from ahns_tf.runs import RunConflictError, check_writable  # pylint: disable=g-import-not-at-top
    from ahns_tf.export.new_rows import add_new_rows  # pylint: disable=g-import-not-at-top
    from ahns_tf.training import export_run, load_for  # pylint: disable=g-import-not-at-top

    metrics_path = os.path.join(args.run_dir, "metrics.json")
    weights_path = os.path.join(args.run_dir, "embeddings.npz")
    for path in (metrics_path, weights_path):
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{path} not found; is {args.run_dir} the --output-dir of a "
                                    f"finished `python -m pipelines.train` run?")
    try:
        with open(metrics_path) as f:
            saved = json.load(f)["config"]
        if args.data_dir:
            saved["data_dir"] = args.data_dir
        config = TrainConfig.from_json(saved).resolved()
    except (ValueError, KeyError, TypeError) as e:
        raise DataFormatError(metrics_path, None,
                              f"unreadable ({type(e).__name__}: {e})") from None
    check_writable(args.export_dir or config.export_dir, "--export-dir")
    if source_of(config).info.get("raw_ids"):  # the run's vocabulary and split, not the log
        dataset = load_run_dataset(args.run_dir, config.dataset)
    else:
        dataset = load_for(config)
    changed = changed_digest(args.run_dir, dataset)
    if changed:
        raise RunConflictError(f"{config.dataset} is no longer the data {args.run_dir} trained "
                               f"on: {changed}; export from a run of this data")
    state_path = os.path.join(args.run_dir, "backbone.npz")
    try:
        with np.load(weights_path) as tables:
            users, items = tables["user_embeddings"], tables["item_embeddings"]
        state = dict(np.load(state_path)) if os.path.isfile(state_path) else {}
    except (ValueError, KeyError, OSError, EOFError, zipfile.BadZipFile) as e:
        raise DataFormatError(weights_path, None,
                              f"unreadable ({type(e).__name__}: {e})") from None
    if args.item_features or args.user_features:  # new rows, embedded from their features
        dataset, users, items, state = add_new_rows(args.run_dir, dataset, users, items, state,
                                                    args.item_features, args.user_features)
    return export_run(config, dataset, users, items, args.export_dir, args.top_k, args.version,
                      backbone_state=state)


if __name__ == "__main__":
    sys.exit(main())
