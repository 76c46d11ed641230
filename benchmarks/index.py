r"""Index of the committed results: the command and commit of each file, and for a retired
study's file, its script and the commit that still holds it.

    python -m benchmarks.index            # writes benchmarks/results/INDEX.md
"""

import argparse
import os

from ahns_tf.atomic import atomic_write_text
from ahns_tf.provenance import payload_origin
from benchmarks import report

#: The commit (on main) holding every script retired with the lab's reorganisation.
RETIRED_AT = "749a9d7"
#: Scripts of closed studies (benchmarks/README.md gives each one's answer) -> the commit that
#: last holds them and the stems of their results files (``<stem>.*``, ``<stem>-fig*``).
RETIRED = {"beyond": (RETIRED_AT, ("beyond",)), "core": (RETIRED_AT, ("core", "core-speed")),
           "distributed": (RETIRED_AT, ("distributed",)),
           "eval_points": (RETIRED_AT, ("tools-eval-points",)),
           "learnable": (RETIRED_AT, ("learnable-synth-1e5",)),
           "lightgcn_speed": (RETIRED_AT, ("lightgcn-speed",)),
           "memory_floor": (RETIRED_AT, ("memory-floor",)), "profile_step": (RETIRED_AT, ()),
           "read_log": (RETIRED_AT, ("read-log",)),
           "tuning_report": (RETIRED_AT, ("tuning-tools", "tuning-tools-best")),
           "ps_epochs": ("31f174e", ("ps-epochs",))}


def index_lines(results_dir: str) -> list:
    """INDEX.md's lines: one row per results .json, then the retired studies' files."""
    names = sorted(os.listdir(results_dir))
    lines = ["# Committed results and where they came from", "",
             "Made by `python -m benchmarks.index`. `runs recorded` counts the training runs in "
             "a file whose command and commit are recorded (each run's, or the file's for runs "
             "nested under its one command).", "",
             "| file | produced by | runs recorded |", "|---|---|---|"]
    for name in (n for n in names if n.endswith(".json")):
        payload = report.load(os.path.join(results_dir, name))
        # The file's record covers runs nested under its one command (benchmarks.seeds); rows
        # kept across invocations (provenance_per_row) count only with their own record.
        per_row, runs = payload.get("provenance_per_row"), payload.get("runs")  # the runs held
        if per_row:
            runs = payload["rows"]                      # benchmarks.beyond: one per row
        elif not isinstance(runs, dict):                # a Table 2 file: {method: metrics.json}
            runs = payload if all(isinstance(v, dict) and "config" in v
                                  for v in payload.values()) else {}
        whole = "commit" in (payload.get("provenance") or {}) and not per_row
        recorded = sum(1 for run in runs.values() if "commit" in (run.get("provenance") or {})
                       or (whole and run.get("provenance") is None and "config" not in run))
        origin = ("per row (see the .md)" if per_row else "per run (see the .md)"
                  if runs and not payload.keys() & {"provenance", "command"}
                  else payload_origin(payload))
        lines.append(f"| {name} | {origin} | {f'{recorded} of {len(runs)}' if runs else '—'} |")
    lines += ["", "## Retired studies", "",
              "Their question is closed (benchmarks/README.md gives each one's answer), so their "
              "scripts left the tree; the commit named holds each. To reproduce a number: `git "
              "worktree add ../ahns-COMMIT COMMIT`, then run there the command its file records "
              "(the table above, or the .md).", "",
              "| script | last in commit | results files |", "|---|---|---|"]
    for script, (commit, stems) in RETIRED.items():
        files = [n for n in names
                 if any(n.split(".")[0] == s or n.startswith(s + "-fig") for s in stems)]
        lines.append(f"| `benchmarks/{script}.py` | {commit} | "
                     f"{', '.join(files) or 'none (it printed its timings)'} |")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.index", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", default=report.RESULTS)
    args = parser.parse_args(argv)
    text = "\n".join(index_lines(args.results)) + "\n"
    atomic_write_text(os.path.join(args.results, "INDEX.md"), text)
    print(text, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
