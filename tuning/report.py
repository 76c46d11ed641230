"""Figure 6 from a search directory: Recall@K and NDCG@K against alpha and beta.

Usage:
    python -m tuning.report tuning_runs/tools            # writes tuning_runs/tools/figure6.png
    python -m tuning.report tuning_runs/tools --k 50 --output fig6.png

Takes a search's dataset folder (``<--directory>/<dataset>``) and reads every completed
trial's ``trial.json`` in it (KerasTuner's own records); an unreadable one is skipped, named.
Needs matplotlib (a dependency of ahns-tf), not the repository's ``benchmarks`` folder.
"""

import argparse
import glob
import json
import os
import sys


def load_trials(directory: str) -> list:
    """Completed trials in a search's dataset folder (or in its sub-folders, as searches wrote
    them before) as {hyperparameter..., metric...} dicts; unreadable files are named, skipped."""
    trials = []
    paths = sorted(glob.glob(os.path.join(directory, "trial_*", "trial.json")) +
                   glob.glob(os.path.join(directory, "*", "trial_*", "trial.json")))
    for path in paths:
        try:
            with open(path) as f:
                trial = json.load(f)
        except ValueError as e:
            print(f"warning: skipping {path}: unreadable ({e})", file=sys.stderr)
            continue
        if trial.get("status") != "COMPLETED":
            continue
        row = dict(trial["hyperparameters"]["values"], trial_id=trial["trial_id"])
        for name, record in trial["metrics"]["metrics"].items():
            values = [v for obs in record["observations"] for v in obs["value"]]
            if values:
                row[name] = values[-1]
        trials.append(row)
    return trials


def figure6(trials: list, path: str, k: int = 20, title: str = "") -> str:
    """Fig. 6: Recall@K and NDCG@K against alpha and against beta, from tuning trials.

    Each trial is a dot; the line joins the mean over trials sharing a value
    (the other hyperparameters vary, unlike the paper's one-at-a-time study).

    Args:
        trials: dicts with ``alpha``, ``beta`` and metrics such as ``ndcg@20``.
        path: PNG file to write (atomically: a failed write keeps the old file).
        k: the cut-off to plot.
        title: figure title.

    Returns:
        `path`.
    """
    import matplotlib  # pylint: disable=import-outside-toplevel
    matplotlib.use("Agg")  # files only; no display needed
    import matplotlib.pyplot as plt  # pylint: disable=import-outside-toplevel
    from ahns_tf.atomic import atomic_file  # pylint: disable=import-outside-toplevel
    fig, axes = plt.subplots(2, 2, figsize=(10, 7))
    for row, metric in enumerate((f"recall@{k}", f"ndcg@{k}")):
        for col, name in enumerate(("alpha", "beta")):
            ax = axes[row][col]
            points = [(t[name], t[metric]) for t in trials if name in t and metric in t]
            if points:
                ax.scatter(*zip(*points), s=14, alpha=0.6)
                means = {}
                for x, y in points:
                    means.setdefault(round(x, 6), []).append(y)
                keys = sorted(means)
                ax.plot(keys, [sum(means[x]) / len(means[x]) for x in keys], color="tab:red",
                        label="mean over trials")
                ax.legend()
            ax.set(xlabel=name, ylabel=f"valid {metric}")
            ax.grid(alpha=0.3)
    fig.suptitle(title or "AHNS hyperparameter study (validation split)")
    fig.tight_layout()
    try:
        with atomic_file(path, "wb") as f:
            fig.savefig(f, dpi=110, format="png")
    finally:
        plt.close(fig)
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tuning.report", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory", help="a search's dataset folder: <--directory>/<dataset> "
                                          "of `python -m tuning.search`")
    parser.add_argument("--k", type=int, default=20)
    parser.add_argument("--output", help="PNG path (default DIRECTORY/figure6.png)")
    args = parser.parse_args(argv)
    trials = load_trials(args.directory)
    if not trials:
        print(f"error: no completed trial under {args.directory}", file=sys.stderr)
        return 2
    path = figure6(trials, args.output or os.path.join(args.directory, "figure6.png"), args.k,
                   f"{len(trials)} trials in {args.directory}")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
