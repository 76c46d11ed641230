"""AHNS on one dataset under each --strategy, next to one device: metrics and seconds per epoch.

Usage:
    python -m benchmarks.distributed --dataset tools --data-dir ../shared/data/ahns --epochs 20

Each strategy is the `pipelines.train` command line (multi_worker: two processes on
127.0.0.1 with TF_CONFIG); writes ``benchmarks/results/distributed.{json,md}`` with this
benchmark's own command and commit, every run's command, its metrics.json (with its
provenance), the 1-minute load average before and after each run, and the results.
"""

import argparse
import json
import os
import subprocess
import sys
from typing import Optional, Tuple

from ahns_tf.atomic import atomic_write_text, write_results
from ahns_tf.training.strategy import free_port, tf_config
from ahns_tf.provenance import describe, provenance

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
STRATEGY_FLAGS = {
    "none": [],
    "mirrored": ["--strategy", "mirrored", "--cpu-devices", "2"],
    "multi_worker": ["--strategy", "multi_worker"],
    "parameter_server": ["--strategy", "parameter_server", "--local-cluster", "2,2"],
}


def run(strategy: str, args, root: str) -> dict:
    """Trains under `strategy`; returns the chief's metrics.json and the command."""
    out = os.path.join(root, strategy)
    command = [sys.executable, "-m", "pipelines.train", "--dataset", args.dataset,
               "--data-dir", args.data_dir, "--epochs", str(args.epochs), "--output-dir", out,
               "--no-export", "--overwrite", *STRATEGY_FLAGS[strategy]]
    if strategy == "multi_worker":
        cluster = {"worker": [f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"]}
        procs = [subprocess.Popen(command, env=dict(os.environ,
                                                    TF_CONFIG=tf_config(cluster, "worker", i)))
                 for i in range(2)]
        codes = [p.wait() for p in procs]
    else:
        codes = [subprocess.call(command)]
    if any(codes):
        raise RuntimeError(f"{strategy}: exit status {codes}")
    with open(os.path.join(out, "metrics.json")) as f:
        result = json.load(f)
    shown = "python " + " ".join(command[1:])
    if strategy == "multi_worker":
        shown = "TF_CONFIG=<worker 0 and 1 on 127.0.0.1> " + shown + " (two processes)"
    return {"command": shown, "metrics": result}


def as_payload(rows: dict, origin: dict) -> dict:
    """The distributed.json layout.

    Args:
        rows: strategy -> ``{"metrics", "command", "load"}`` (`run`'s, plus the load
            average before and after it).
        origin: this benchmark's `provenance`.

    Returns:
        ``{"provenance", "runs": {strategy: metrics.json}, "commands", "load"}``;
        `benchmarks.index` names the file's command from ``provenance`` and counts the
        runs whose metrics.json records its own.
    """
    return {"provenance": origin, "runs": {s: r["metrics"] for s, r in rows.items()},
            "commands": {s: r["command"] for s, r in rows.items()},
            "load": {s: r["load"] for s, r in rows.items()}}


def from_payload(payload: dict) -> Tuple[dict, Optional[dict]]:
    """Inverse of `as_payload`: ``(rows, provenance)`` (a file written before these were
    recorded has neither provenance nor load)."""
    load = payload.get("load", {})
    return ({s: {"metrics": m, "command": payload["commands"][s], "load": load.get(s)}
             for s, m in payload["runs"].items()}, payload.get("provenance"))


def report(rows: dict, origin: Optional[dict]) -> str:
    """The markdown report.

    Args:
        rows: strategy -> run, as `from_payload` returns them.
        origin: the `provenance` of the benchmark command, None if not recorded.

    Returns:
        The text of distributed.md.
    """
    base = rows["none"]["metrics"]
    trained = base["provenance"]
    lines = [f"# AHNS on {base['dataset']['name']} under each tf.distribute strategy", "",
             f"Commit {trained.get('commit')} (uncommitted edits: {trained.get('dirty')}), "
             f"{trained.get('date', '')}; this project's 2-core CPU machine, so 'mirrored' is 2 "
             f"logical CPU devices and the clusters run on 127.0.0.1: the seconds show the "
             f"overhead of each strategy here, not a speed-up (that needs several GPUs or "
             f"machines). Protocol: {base['protocol']}; test metrics at the best epoch; "
             f"{base['config']['epochs']} epochs per run (the paper's protocol runs up to 100, so "
             f"these are below Table 2). mirrored and multi_worker are the same 2-replica "
             f"computation (same draws), hence the same metrics; parameter_server updates "
             f"asynchronously and covers an epoch's pairs only about once. 'load': the "
             f"1-minute load average before / after each run (2 = both cores busy; the "
             f"previous run's own load decays into the next one's 'before').", "",
             "| strategy | R@20 | N@20 | best epoch | s / epoch (median) | vs one device | load |",
             "|---|---|---|---|---|---|---|"]
    for strategy, row in rows.items():
        m, load = row["metrics"], row.get("load")
        lines.append(f"| {strategy} | {100 * m['test']['recall@20']:.2f} | "
                     f"{100 * m['test']['ndcg@20']:.2f} | {m['best_epoch']} | "
                     f"{m['median_epoch_seconds']:.2f} | "
                     f"{m['median_epoch_seconds'] / base['median_epoch_seconds']:.1f}x | "
                     f"{f'{load[0]:.1f} / {load[1]:.1f}' if load else 'not recorded'} |")
    lines += ["", f"Made by {describe(origin)}; each run's command (and its metrics.json with "
              "provenance) is in distributed.json:", ""] + [f"- {s}: `{r['command']}`" for s, r in rows.items()]
    return "\n".join(lines) + "\n"


def rewrite(path: str) -> str:
    """Re-renders distributed.md from a saved distributed.json (no training)."""
    with open(path) as f:
        return report(*from_payload(json.load(f)))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", default="tools")
    parser.add_argument("--data-dir", default=os.environ.get("AHNS_DATA_DIR"))
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--work-dir", default="runs/distributed")
    parser.add_argument("--report-only", action="store_true",
                        help="re-render distributed.md from distributed.json")
    args = parser.parse_args(argv)
    if args.report_only:
        text = rewrite(os.path.join(RESULTS, "distributed.json"))
        atomic_write_text(os.path.join(RESULTS, "distributed.md"), text)
        print(text)
        return 0
    origin = provenance(argv)
    rows = {}
    for strategy in STRATEGY_FLAGS:
        before = os.getloadavg()[0]
        rows[strategy] = dict(run(strategy, args, args.work_dir),
                              load=[before, os.getloadavg()[0]])
    os.makedirs(RESULTS, exist_ok=True)
    print(write_results(os.path.join(RESULTS, "distributed"), as_payload(rows, origin),
                        report(rows, origin)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
