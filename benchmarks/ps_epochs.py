r"""Does an epoch under --strategy parameter_server do the work of an epoch on one device?

    python -m benchmarks.ps_epochs --label before --data-dir ../shared/data/ahns
    python -m benchmarks.ps_epochs --label after --data-dir ../shared/data/ahns

AHNS on tools, reference protocol, seed 2024, 10 epochs, evaluated after 5 and 10: one device
once, then a 2-worker + 2-PS in-process cluster three times on a quiet machine and three times
beside two busy-looping processes (the machine busy, as the red team saw it). Each run in its
own process (`benchmarks.lab.run_child`). Results under ``--label`` are added to
``ps-epochs.json``/``.md`` (so the code before and after a change sit side by side).
"""

import argparse
import json
import os
import subprocess
import sys

from ahns_tf.atomic import atomic_write_text
from benchmarks import lab, report

STEM = "ps-epochs"


def _child(kind: str, data_dir: str, run_dir: str, out: str) -> None:
    """One run in this process; its Recall@20 per evaluation and s/epoch go to `out`."""
    from ahns_tf.config import TrainConfig  # pylint: disable=import-outside-toplevel
    from ahns_tf.training import train  # pylint: disable=import-outside-toplevel
    cluster = {"strategy": "parameter_server", "local_cluster": "2,2"} if kind == "ps" else {}
    result = train(TrainConfig(dataset="tools", data_dir=data_dir, select_on="test", epochs=10,
                               eval_every=5, patience=0, output_dir=run_dir, **cluster),
                   export=False, verbose=0, overwrite=True)
    atomic_write_text(out, json.dumps({
        "recall@20": {h["epoch"]: h["recall@20"] for h in result["history"]},
        "epoch_seconds": result["median_epoch_seconds"]}))
    os._exit(0)  # an in-process cluster's servers would outlive a normal exit


def markdown(payload: dict, stem: str) -> str:
    lines = [f"# {STEM}: an epoch under parameter servers against one device", ""]
    lines += [f"- {label}: {report.produced_by(entry)}." for label, entry in
              payload["labels"].items()]
    lines += ["",
             "Test Recall@20 (%) of AHNS on tools after 5 and 10 epochs (reference protocol, "
             "seed 2024). ps = 2 workers + 2 parameter servers in one process; busy = two "
             "busy-looping processes beside it on the 2-core machine.", ""]
    rows = []
    for label, entry in payload["labels"].items():
        for name, run in entry["runs"].items():
            rows.append([label, name] + [f"{100 * run['recall@20'][e]:.2f}" for e in ("5", "10")]
                        + [f"{run['epoch_seconds']:.2f}"])
    finding = ["", payload["finding"]] if payload.get("finding") else []
    return "\n".join(lines + report.table(["code", "run", "R@20 after 5", "R@20 after 10",
                                           "s/epoch"], rows) + finding) + "\n"


def main(argv=None) -> int:
    parser = report.parser(__doc__, "benchmarks.ps_epochs")
    parser.add_argument("--label", required=True, help="names the code measured")
    parser.add_argument("--data-dir", default="../shared/data/ahns")
    parser.add_argument("--work-dir", default="runs/ps-epochs")
    parser.add_argument("--child", help=argparse.SUPPRESS)  # one run, in its own process
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return _child(args.child, args.data_dir, args.work_dir, args.out)
    stem = os.path.join(args.output, STEM)
    if args.report_only:
        return report.rerender(stem, markdown, argv=argv)
    payload = report.load(stem + ".json", {"labels": {}})
    def run(kind, name):
        return lab.run_child("benchmarks.ps_epochs", f"{args.work_dir}/{name}.json", "--label",
                             args.label, "--child", kind, "--data-dir", args.data_dir,
                             "--work-dir", f"{args.work_dir}/{name}")

    runs = {"one device": run("none", "one")}
    for busy in (False, True):
        hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
                for _ in range(2 if busy else 0)]
        try:
            for i in range(3):
                name = f"ps {'busy' if busy else 'quiet'} {i + 1}"
                runs[name] = run("ps", name.replace(" ", "-"))
        finally:
            for hog in hogs:
                hog.kill()
    payload["labels"][args.label] = {"provenance": report.provenance(argv), "runs": runs,
                                     "machine": report.machine()}
    payload.update(provenance=report.provenance(argv), machine=report.machine())
    os.makedirs(args.output, exist_ok=True)
    report.publish(stem, payload, markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
