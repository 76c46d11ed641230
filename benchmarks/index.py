"""Index of the committed results: which command and commit made each file, and where the
script of a retired study still is.

Usage:
    python -m benchmarks.index            # writes benchmarks/results/INDEX.md

For each ``results/*.json``: its recorded provenance (`ahns_tf.provenance`), how many of the
training runs it holds recorded their own (a run made before provenance was recorded did not;
for a file holding such runs, the commit that last changed the file), and, for a file made by a
retired study, the script, which commit `RETIRED_AT` still holds. Then every file of each
retired study, with how to reproduce it.
"""

import argparse
import os
import subprocess
import sys

from ahns_tf.atomic import atomic_write_text
from ahns_tf.provenance import payload_origin
from benchmarks import report

#: The commit (on main) holding every retired script.
RETIRED_AT = "749a9d7"
#: Scripts of closed studies (benchmarks/README.md gives each one's answer) -> the stems of
#: their results files (``<stem>.*``, ``<stem>-fig*``).
RETIRED = {"beyond": ("beyond",), "core": ("core", "core-speed"), "distributed": ("distributed",),
           "eval_points": ("tools-eval-points",), "learnable": ("learnable-synth-1e5",),
           "lightgcn_speed": ("lightgcn-speed",), "memory_floor": ("memory-floor",),
           "profile_step": (), "read_log": ("read-log",),
           "tuning_report": ("tuning-tools", "tuning-tools-best")}


def runs_in(payload: dict) -> dict:
    """``{name: run}`` for the training runs a results file holds (may be empty)."""
    if isinstance(payload.get("runs"), dict):
        return payload["runs"]
    if payload.get("provenance_per_row"):
        return payload["rows"]          # benchmarks.beyond: {dataset/backbone/protocol: row}
    if payload and all(isinstance(v, dict) and "config" in v for v in payload.values()):
        return payload  # a Table 2 file: {method: metrics.json}
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


def retired_files(names: list, stems: tuple) -> list:
    """The names among `names` that belong to `stems` (``<stem>.<ext>`` or ``<stem>-fig*``)."""
    return [n for n in names
            if any(n.split(".")[0] == s or n.startswith(s + "-fig") for s in stems)]


def index_lines(results_dir: str) -> list:
    """INDEX.md's lines: one row per results .json, then the retired studies' files."""
    names = sorted(os.listdir(results_dir))
    script_of = {stem: script for script, stems in RETIRED.items() for stem in stems}
    lines = ["# Committed results and where they came from", "",
             "Made by `python -m benchmarks.index`. `runs recorded` counts the training runs in "
             "a file whose own command and commit are recorded with them; the rest were made "
             "before provenance was recorded and are to be re-run; for such a file, the last "
             "commit of the file is where they can be checked out.", "",
             "| file | produced by | runs recorded | last committed (if runs unrecorded) | "
             "retired script |", "|---|---|---|---|---|"]
    for name in (n for n in names if n.endswith(".json")):
        payload = report.load(os.path.join(results_dir, name))
        runs = runs_in(payload)
        # The file's own record covers runs nested under one command (benchmarks.seeds); a
        # beyond row may come from another invocation, so it counts only with its own record.
        per_row = bool(payload.get("provenance_per_row"))
        whole = "commit" in (payload.get("provenance") or {}) and not per_row
        recorded = sum(1 for run in runs.values() if isinstance(run, dict) and (
            "commit" in (run.get("provenance") or {})
            or (whole and run.get("provenance") is None and "config" not in run)))
        origin = ("per row (see the .md)" if per_row else "per run (see the .md)"
                  if runs and "provenance" not in payload and "command" not in payload
                  else payload_origin(payload))
        # Asked of git only where needed (runs, or a file without runs, whose commit is not
        # recorded): a results commit would otherwise date its own index.
        unrecorded = (recorded < len(runs) if runs
                      else "commit" not in (payload.get("provenance") or {}))
        script = script_of.get(name[:-5])
        lines.append(f"| {name} | {origin} | {f'{recorded} of {len(runs)}' if runs else '—'} | "
                     f"{last_commit(os.path.join(results_dir, name)) if unrecorded else '—'} | "
                     f"{f'`benchmarks/{script}.py`' if script else '—'} |")
    lines += ["", "## Retired studies", "",
              "Their question is closed (benchmarks/README.md gives each one's answer), so their "
              f"scripts left the tree; commit {RETIRED_AT} (on main) holds every one. To "
              f"reproduce a number: `git worktree add ../ahns-{RETIRED_AT} {RETIRED_AT}`, then "
              "run there the command its file records (the table above, or the .md).", "",
              f"| script (in {RETIRED_AT}) | results files |", "|---|---|"]
    lines += [f"| `benchmarks/{script}.py` | "
              f"{', '.join(retired_files(names, stems)) or 'none (it printed its timings)'} |"
              for script, stems in RETIRED.items()]
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
    sys.exit(main())
