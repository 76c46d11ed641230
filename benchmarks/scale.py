"""How cost grows with the catalogue: AHNS from the paper's tools to 10^6 items and users.

Usage:
    python -m benchmarks.scale --data-dir ../scale-data --tools-dir ../shared/data/ahns

For tools (the baseline row) and synthetic sets of 10^4, 10^5 and 10^6 items
(users alike, 37 to 50 interactions per user; `benchmarks.synthetic`, generated into
``--data-dir`` when missing), all in one run, one point after another, each in
its own process so its peak RSS is its own (`os.wait4`):

* **read**: seconds to read and validate the text files (``load_dataset``).
* **step**: milliseconds per AHNS (M=32) training step with dense Adam and with
  LazyAdam (a short fit of ``--steps`` steps after a warm-up; what
  ``--optimizer auto`` chooses between).
* **train**: the README's CLI, ``python -m pipelines.train`` with the default
  settings (``--optimizer auto``), ``--eval-users 10000`` and export:
  positives/s, seconds per epoch (the median over epochs after the first when
  there are several; the 10^6 point trains one epoch, tracing included),
  evaluation seconds for 10^4 users, checkpoint seconds, peak RSS.
* **serve**: the exported SavedModel loaded in a TensorFlow-only process:
  ``serving_default`` latency p50/p99 at batch 1 and 256, and a check that no
  training item of 2,000 served users is ever returned.

Writes ``benchmarks/results/scale.{json,md,png}`` with the machine, the load
average around each point, the exact command and the commit.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "benchmarks", "results")
#: name -> (users, items, interactions asked, training epochs); the generator drops
#: duplicate draws (8% at 10^6 items, a third at 10^4), so the files hold about 37, 46 and
#: 50 interactions per user: 5x10^7 at the largest point.
POINTS = {
    "synth-1e4": (10_000, 10_000, 545_000, 3),
    "synth-1e5": (100_000, 100_000, 5_450_000, 2),
    "synth-1e6": (1_000_000, 1_000_000, 54_500_000, 1),
}
TOOLS_EPOCHS = 5


def _run(argv) -> dict:
    """Runs a child process; returns its exit code, seconds and peak RSS (GiB)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed with exit code {proc.returncode}")
    return {"seconds": time.perf_counter() - start,
            "peak_rss_gib": usage.ru_maxrss * 1024 / 2**30}  # ru_maxrss is KiB on Linux


def _child(mode: str, **kw) -> list:
    return [sys.executable, "-m", "benchmarks.scale_child", mode,
            *[f"--{k.replace('_', '-')}={v}" for k, v in kw.items()]]


def measure_point(name: str, data_dir: str, work: str, epochs: int, steps: int,
                  declared_items=None) -> dict:
    """All measurements of one dataset (see the module docstring)."""
    row = {"dataset": name, "load_before": os.getloadavg()[0]}
    out = os.path.join(work, f"{name}.json")
    row["read"] = _run(_child("read", dataset=name, data_dir=data_dir, out=out))
    row["read"].update(json.load(open(out)))
    row["step"] = {}
    for optimizer in ("adam", "lazy_adam"):
        _run(_child("step", dataset=name, data_dir=data_dir, out=out, optimizer=optimizer,
                    steps=steps))
        row["step"][optimizer] = json.load(open(out))
    run_dir, export_dir = os.path.join(work, f"run-{name}"), os.path.join(work, f"export-{name}")
    argv = [sys.executable, "-m", "pipelines.train", "--dataset", name, "--data-dir", data_dir,
            "--epochs", str(epochs), "--eval-users", "10000", "--output-dir", run_dir,
            "--export-dir", export_dir, "--overwrite"]
    if declared_items:
        argv += ["--num-items", str(declared_items)]
    row["train_command"] = " ".join(["python"] + argv[1:])
    row["train"] = _run(argv)
    with open(os.path.join(run_dir, "metrics.json")) as f:
        metrics = json.load(f)
    row["train"].update({
        "optimizer": metrics["optimizer"],
        "pairs": metrics["dataset"]["train_interactions"],
        "epochs": len(metrics["epoch_seconds"]),
        "median_epoch_seconds": metrics["median_epoch_seconds"],
        "positives_per_second": metrics["dataset"]["train_interactions"]
        / metrics["median_epoch_seconds"],
        "eval_seconds": metrics["median_eval_seconds"]["test"],
        "evaluated_users": metrics["evaluated_users"]["test"]["evaluated"],
        "checkpoint_seconds": max(metrics["checkpoint_seconds"]),
        "recall@20": metrics["test"]["recall@20"], "ndcg@20": metrics["test"]["ndcg@20"],
    })
    row["serve"] = _run(_child("serve", dataset=name, data_dir=data_dir, out=out,
                               export=metrics["export_path"]))
    row["serve"].update(json.load(open(out)))
    row["load_after"] = os.getloadavg()[0]
    return row


def report(result: dict) -> str:
    """scale.md: one table per kind of cost, the baseline row first."""
    rows = result["rows"]
    base = rows[0]["train"]["positives_per_second"]
    lines = ["# Scale: AHNS (M=32) from tools to 10^6 items and users", "",
             f"Produced by `{result['provenance']['command']}` at commit "
             f"{(result['provenance'].get('commit') or 'unknown')[:10]} on {result['machine']}. "
             "All rows in one run, one point at a time; load average (1 min) before/after each "
             "point is given because other work shared the machine.", "",
             "| dataset | users | items | train pairs | read s | step ms, dense Adam | "
             "step ms, LazyAdam | optimizer (auto) | positives/s | vs tools | s/epoch | "
             "eval s (users) | checkpoint s | peak RSS GiB (train) | load |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        t, rd = r["train"], r["read"]
        lines.append(
            f"| {r['dataset']} | {rd['num_users']:,} | {rd['num_items']:,} | {t['pairs']:,} | "
            f"{rd['read_seconds']:.1f} | {r['step']['adam']['step_ms']:.1f} | "
            f"{r['step']['lazy_adam']['step_ms']:.1f} | {t['optimizer']} | "
            f"{t['positives_per_second']:,.0f} | {t['positives_per_second'] / base:.0%} | "
            f"{t['median_epoch_seconds']:.1f} | {t['eval_seconds']:.1f} ({t['evaluated_users']:,})"
            f" | {t['checkpoint_seconds']:.1f} | {t['peak_rss_gib']:.2f} | "
            f"{r['load_before']:.1f}/{r['load_after']:.1f} |")
    lines += ["", "Serving (`serving_default`, exported SavedModel in a TensorFlow-only process, "
              "brute force in-graph, streamed over item chunks):", "",
              "| dataset | items | batch 1 p50 ms | batch 1 p99 ms | batch 256 p50 ms | "
              "batch 256 p99 ms | training items served (2,000 users) |",
              "|---|---|---|---|---|---|---|"]
    for r in rows:
        s = r["serve"]
        lines.append(f"| {r['dataset']} | {r['read']['num_items']:,} | {s['1']['p50_ms']:.1f} | "
                     f"{s['1']['p99_ms']:.1f} | {s['256']['p50_ms']:.0f} | "
                     f"{s['256']['p99_ms']:.0f} | {s['training_items_served']} |")
    lines += ["", "Accuracy is not the point here (one short run, 10^4 sampled users), but is "
              "given to show the runs learn: " + ", ".join(
                  f"{r['dataset']} R@20 {100 * r['train']['recall@20']:.2f}" for r in rows) + ".",
              "", "Commands of the training runs:", ""]
    lines += [f"- `{r['train_command']}`" for r in rows]
    return "\n".join(lines) + "\n"


def plot(result: dict, path: str) -> None:
    """Cost against catalogue size, one panel per cost (log-log)."""
    from ahns_tf.plots import plt, save_figure  # headless matplotlib; atomic PNG writes
    rows = [r for r in result["rows"] if r["dataset"].startswith("synth")]
    items = [r["read"]["num_items"] for r in rows]
    panels = [("step ms", {"dense Adam": [r["step"]["adam"]["step_ms"] for r in rows],
                           "LazyAdam": [r["step"]["lazy_adam"]["step_ms"] for r in rows]}),
              ("positives / s (auto)", {"train": [r["train"]["positives_per_second"]
                                                  for r in rows]}),
              ("eval s, 10^4 users", {"eval": [r["train"]["eval_seconds"] for r in rows]}),
              ("serving p50 ms", {"batch 1": [r["serve"]["1"]["p50_ms"] for r in rows],
                                  "batch 256": [r["serve"]["256"]["p50_ms"] for r in rows]}),
              ("peak RSS GiB (train)", {"train": [r["train"]["peak_rss_gib"] for r in rows]})]
    fig, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 3.4))
    for ax, (title, series) in zip(axes, panels):
        for label, values in series.items():
            ax.plot(items, values, marker="o", label=label)
        ax.set_xscale("log"), ax.set_yscale("log"), ax.set_title(title), ax.set_xlabel("items")
        if len(series) > 1:
            ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", required=True,
                        help="where the synthetic sets are (generated there when missing)")
    parser.add_argument("--tools-dir", default=os.path.join(ROOT, "..", "shared", "data", "ahns"),
                        help="folder holding tools/{train,test}.txt (the baseline row)")
    parser.add_argument("--points", nargs="+", default=list(POINTS), choices=list(POINTS))
    parser.add_argument("--steps", type=int, default=200, help="timed steps per optimizer")
    parser.add_argument("--output", default=os.path.join(RESULTS, "scale"))
    args = parser.parse_args(argv)
    import ahns_tf  # noqa: F401  (tf-keras before TF)
    from ahns_tf.provenance import provenance
    result = {"provenance": provenance(),
              "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                         f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} "
                         f"GiB, {platform.platform()}", "rows": []}
    for name in args.points:
        users, items, interactions, _ = POINTS[name]
        if not os.path.isfile(os.path.join(args.data_dir, name, "train.txt")):
            result.setdefault("generated", {})[name] = _run(
                [sys.executable, "-m", "benchmarks.synthetic", "--users", str(users), "--items",
                 str(items), "--interactions", str(interactions), "--seed", "0",
                 "--output", os.path.join(args.data_dir, name)])
    with tempfile.TemporaryDirectory(prefix="ahns-scale-") as work:
        result["rows"].append(measure_point("tools", args.tools_dir, work, TOOLS_EPOCHS,
                                            args.steps))
        print(json.dumps(result["rows"][-1]), flush=True)
        for name in args.points:
            _, items, _, epochs = POINTS[name]
            result["rows"].append(measure_point(name, args.data_dir, work, epochs, args.steps,
                                                declared_items=items))
            print(json.dumps(result["rows"][-1]), flush=True)
    from ahns_tf.atomic import write_results
    write_results(args.output, result, report(result))
    plot(result, args.output + ".png")
    print(report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
