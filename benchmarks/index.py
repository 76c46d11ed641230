"""Index of the committed results: which command and commit produced each file.

Usage:
    python -m benchmarks.index            # writes benchmarks/results/INDEX.md

For each ``benchmarks/results/*.json`` the index lists the recorded provenance
(`ahns_tf.provenance`): of the file, and of each training run inside it (a
Table 2 file holds one run per method, a seeds file one per seed). A run made
before provenance was recorded is counted as "not recorded"; for a file holding
such runs (and only for those: a recorded run names its own commit) the index
names the commit that last committed the file, so it can at least be checked
out. Such results are the ones still to re-run.
"""

import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results")


def runs_in(payload: dict) -> dict:
    """``{name: run}`` for the training runs a results file holds (may be empty)."""
    if isinstance(payload.get("runs"), dict):
        return payload["runs"]
    if payload.get("provenance_per_row"):
        return payload["rows"]          # benchmarks.beyond: {dataset/backbone/protocol: row}
    if payload and all(isinstance(v, dict) and "config" in v for v in payload.values()):
        return payload  # a pipelines.benchmark table: {method: metrics.json}
    return {}


def last_commit(path: str) -> str:
    """Short hash and date of the commit that last changed `path` ("uncommitted" if none)."""
    try:
        out = subprocess.run(["git", "-C", os.path.dirname(path), "log", "-1",
                              "--format=%h %ad", "--date=short", "--", os.path.basename(path)],
                             capture_output=True, text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.strip() or "uncommitted"


def index_lines(results_dir: str) -> list:
    """Markdown lines: one row per results file."""
    sys.path.insert(0, os.path.dirname(HERE))
    from ahns_tf.provenance import payload_origin  # pylint: disable=import-outside-toplevel
    lines = ["# Committed results and where they came from", "",
             "Made by `python -m benchmarks.index`. `runs recorded` counts the training runs in "
             "a file whose own command and commit are recorded with them; the rest were made "
             "before provenance was recorded and are to be re-run; for such a file, the last "
             "commit of the file is where they can be checked out.", "",
             "| file | produced by | runs recorded | last committed (if runs unrecorded) |",
             "|---|---|---|---|"]
    for name in sorted(os.listdir(results_dir)):
        if not name.endswith(".json"):
            continue
        path = os.path.join(results_dir, name)
        with open(path) as f:
            payload = json.load(f)
        runs = runs_in(payload)
        # The file's own record covers runs nested under one command (benchmarks.seeds); a
        # beyond row may come from another invocation, so it counts only with its own record.
        per_row = bool(payload.get("provenance_per_row"))
        whole = "commit" in (payload.get("provenance") or {}) and not per_row
        recorded = sum(1 for run in runs.values() if isinstance(run, dict) and (
            "commit" in (run.get("provenance") or {})
            or (whole and run.get("provenance") is None and "config" not in run)))
        if per_row:                     # rows kept across invocations: each cites its own
            origin = "per row (see the .md)"
        elif runs and "provenance" not in payload and "command" not in payload:
            origin = "per run (see the .md)"
        else:
            origin = payload_origin(payload)
        # Asked of git only where needed (runs, or a file without runs, whose commit is not
        # recorded): a results commit would otherwise date its own index.
        unrecorded = (recorded < len(runs) if runs
                      else "commit" not in (payload.get("provenance") or {}))
        checkout = last_commit(path) if unrecorded else "—"
        lines.append(f"| {name} | {origin} | "
                     f"{f'{recorded} of {len(runs)}' if runs else '—'} | {checkout} |")
    return lines


def main(argv=None) -> int:
    from ahns_tf.atomic import atomic_write_text  # pylint: disable=import-outside-toplevel
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", default=RESULTS)
    args = parser.parse_args(argv)
    text = "\n".join(index_lines(args.results)) + "\n"
    atomic_write_text(os.path.join(args.results, "INDEX.md"), text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
