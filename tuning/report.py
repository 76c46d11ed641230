"""Figure 6 from a search directory: Recall@K and NDCG@K against alpha and beta.

Usage:
    python -m tuning.report tuning_runs/tools            # writes tuning_runs/tools/figure6.png
    python -m tuning.report tuning_runs/tools --k 50 --output fig6.png

Reads every completed trial's ``trial.json`` under the directory (KerasTuner's own records).
"""

import argparse
import glob
import json
import os
import sys


def load_trials(directory: str) -> list:
    """Completed trials under `directory` as {hyperparameter..., metric...} dicts."""
    trials = []
    for path in sorted(glob.glob(os.path.join(directory, "*", "trial_*", "trial.json"))):
        with open(path) as f:
            trial = json.load(f)
        if trial.get("status") != "COMPLETED":
            continue
        row = dict(trial["hyperparameters"]["values"], trial_id=trial["trial_id"])
        for name, record in trial["metrics"]["metrics"].items():
            values = [v for obs in record["observations"] for v in obs["value"]]
            if values:
                row[name] = values[-1]
        trials.append(row)
    return trials


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tuning.report", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory", help="the --directory of `python -m tuning.search`")
    parser.add_argument("--k", type=int, default=20)
    parser.add_argument("--output", help="PNG path (default DIRECTORY/figure6.png)")
    args = parser.parse_args(argv)
    trials = load_trials(args.directory)
    if not trials:
        print(f"error: no completed trial under {args.directory}", file=sys.stderr)
        return 2
    from ahns_tf.plots import figure6  # pylint: disable=g-import-not-at-top
    path = figure6(trials, args.output or os.path.join(args.directory, "figure6.png"), args.k,
                   f"{len(trials)} trials in {args.directory}")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
