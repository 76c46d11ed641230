r"""Seconds per training epoch and per evaluation, one measurement at a time (Fig. 7), and ours
against the reference's loop measured in the same run.

    python -m benchmarks.speed --dataset ml-1m --data-dir ../shared/data/ahns
    python -m benchmarks.speed --dataset tools --methods ahns_p2 --layers 3 0 \
        --reference per-draw vectorised --epochs 6 --data-dir ../shared/data/ahns

The s/epoch columns of the Table 2 reports are taken as the runs went, often beside other jobs.
Here each method (settings from benchmarks/methods.json) on each backbone (``--layers``: 0 is
MF, L > 0 LightGCN with L layers) trains ``--epochs`` epochs in a process of its own (no two
measurements share thread pools or memory), one after the other. A row records the median
epoch time over epochs 2.. (the first traces) and the median time of a full evaluation of all
test users after training (propagation included; after one warm-up call). Each row starts once
the 1-minute load average is below ``--max-load`` (or after ``--max-wait`` s); the load before
and after it is recorded. Run it on an otherwise idle machine.

``--reference`` adds, after each row of an RNS, DNS or AHNS method, the reference's own loop on
the same settings, re-written in PyTorch (`benchmarks.reference_torch`; PyTorch is not a project
dependency), so that the two are compared within one run: ``per-draw`` keeps the reference's
costs (negatives drawn one at a time and users ranked one at a time, in Python),
``vectorised`` draws and ranks with numpy, to show where the reference's time goes. PyTorch gets
``--threads`` threads (default: the number of cores, TensorFlow's default pool size).

Writes ``<output>/<dataset>-speed.json``, ``.md`` and ``<dataset>-speed-fig7.png``.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

from ahns_tf.atomic import atomic_write_text
from ahns_tf.provenance import provenance
from benchmarks import lab, paper, report

#: ``--reference`` -> the re-write's (sampling, evaluation).
REFERENCE = {"per-draw": ("per-draw", "per-user"), "vectorised": ("vectorised", "numpy")}


def row_name(method: str, layers: int, reference: str = None) -> str:
    """``ahns_p2``, ``ahns_p2-lightgcn3`` or ``reference-ahns_p2-lightgcn3-per-draw``."""
    name = method + (f"-lightgcn{layers}" if layers else "")
    return f"reference-{name}-{reference}" if reference else name


def plan(methods: list, layers: list, references: list, settings: dict) -> dict:
    """``{row name: (method, layers, reference or None)}`` in the order they are measured."""
    rows = {}
    for method in methods:
        for hops in layers:
            rows[row_name(method, hops)] = (method, hops, None)
            if settings[method]["default"]["sampler"] in ("rns", "dns", "ahns"):
                rows.update({row_name(method, hops, how): (method, hops, how)
                             for how in references})
    return rows


def measure_ours(config, repeats: int) -> dict:
    """Trains `config` (resolved) and times ``repeats`` full evaluations of the test split."""
    import tensorflow as tf  # pylint: disable=import-outside-toplevel
    from ahns_tf.training import build_evaluators, load_for, train  # pylint: disable=import-outside-toplevel
    dataset = load_for(config)
    evaluator, seconds = build_evaluators(config, dataset)["test"], []

    class FullEvaluations(tf.keras.callbacks.Callback):
        def on_train_end(self, logs=None):
            for _ in range(repeats + 1):                       # the first call traces
                start = time.perf_counter()
                evaluator.evaluate(*self.model.backbone.tables())
                seconds.append(time.perf_counter() - start)

    result = train(config, dataset, export=False, verbose=0, overwrite=True,
                   callbacks=[FullEvaluations()])
    return {"epoch_seconds": result["epoch_seconds"], "eval_seconds": seconds[1:],
            "optimizer": result["optimizer"],
            "threads": tf.config.threading.get_intra_op_parallelism_threads() or os.cpu_count()}


def measure_reference(config, how: str, repeats: int, threads: int) -> dict:
    """The PyTorch re-write of the reference on `config`'s settings: its epochs, then
    ``repeats`` full evaluations."""
    import torch  # pylint: disable=import-outside-toplevel
    from ahns_tf.data.sources import locate  # pylint: disable=import-outside-toplevel
    from benchmarks.reference_torch import ReferenceLoop, read_lines  # pylint: disable=import-outside-toplevel
    paths = locate(config.dataset, config.data_dir)
    sampling, evaluation = REFERENCE[how]
    settings = argparse.Namespace(
        ns=config.sampler, alpha=config.alpha, beta=config.beta, p=config.p,
        n_negs=config.num_candidates, batch_size=config.batch_size, dim=config.dim, lr=config.lr,
        l2=config.l2, threads=threads, sampling=sampling, evaluation=evaluation,
        context_hops=config.layers if config.backbone == "lightgcn" else 0)
    loop = ReferenceLoop(settings, config.seed, read_lines(paths["train"]),
                         read_lines(paths["test"]))
    return {"epoch_seconds": [loop.train_epoch() for _ in range(config.epochs)],
            "eval_seconds": [loop.evaluate()[2] for _ in range(repeats)],
            "threads": torch.get_num_threads(), "torch": torch.__version__}


def measure(name: str, argv: list, args) -> dict:
    """Runs row `name` in its own process once the machine is quiet; returns its row."""
    start = time.monotonic()
    while os.getloadavg()[0] >= args.max_load and time.monotonic() - start < args.max_wait:
        time.sleep(10)
    row = {"waited_s": time.monotonic() - start, "load_before": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory(prefix="ahns-speed-") as work:
        out = os.path.join(work, "row.json")
        row.update(lab.run_process([sys.executable, "-m", "benchmarks.speed", *argv,
                                    "--child", name, "--out", out]))
        row.update(report.load(out))
    row.update(load_after=os.getloadavg()[0],
               train_s_per_epoch=statistics.median(row["epoch_seconds"][1:]),
               eval_s=statistics.median(row["eval_seconds"]))
    print(f"{name}: {row['train_s_per_epoch']:.3f} s/epoch, eval {row['eval_s']:.3f} s",
          flush=True)
    return row


def rows_of(payload: dict) -> dict:
    """The rows of a speed file (older files hold ``seconds``: ours, MF, training time only)."""
    if "rows" in payload:
        return payload["rows"]
    return {m: {"method": m, "layers": 0, "reference": None, "num_candidates": s["num_candidates"],
                "train_s_per_epoch": s["median_epoch_seconds"]}
            for m, s in payload["seconds"].items()}


def markdown(payload: dict, stem: str) -> str:
    """The report: one row per measurement, then the reference / ours ratios of the run."""
    rows = rows_of(payload)
    first = next(iter(rows))
    lines = [f"# {payload['dataset']}: seconds per training epoch, one measurement at a time "
             "(Fig. 7)", "",
             f"{report.produced_by(payload)}. {payload['epochs']} epochs per row, settings from "
             "benchmarks/methods.json; train = median s/epoch over epochs 2..; eval = median s of "
             "a full evaluation of all test users (propagation included)."]
    if "rows" in payload:
        lines[-1] += (" Each row in its own process, started once the 1-minute load average "
                      f"was below {payload['max_load']} (or after {payload['max_wait']:.0f} s); "
                      "load = the load average before / after it.")
    lines += ["", f"| row | backbone | M | train s/epoch | vs {first} | eval s | load |",
              "|---|---|---|---|---|---|---|"]
    for name, r in rows.items():
        eval_s, load = r.get("eval_s"), r.get("load_before")
        backbone = f"LightGCN L={r['layers']}" if r["layers"] else "MF"
        lines.append(f"| {name} | {backbone} | {r['num_candidates']} | "
                     f"{r['train_s_per_epoch']:.3f} | "
                     f"{r['train_s_per_epoch'] / rows[first]['train_s_per_epoch']:.2f}x | "
                     + (f"{eval_s:.3f}" if eval_s is not None else "—") + " | "
                     + (f"{load:.2f} / {r['load_after']:.2f}" if load is not None else "—") + " |")
    ratios = [(name, r, rows[row_name(r["method"], r["layers"])])
              for name, r in rows.items() if r.get("reference")]
    if ratios:
        lines += ["", "The reference's loop (its PyTorch re-write) against ours, in this run:", "",
                  "| row | train: reference / ours | eval: reference / ours |", "|---|---|---|"]
        lines += [f"| {name} | {ref['train_s_per_epoch'] / ours['train_s_per_epoch']:.1f}x | "
                  f"{ref['eval_s'] / ours['eval_s']:.1f}x |" for name, ref, ours in ratios]
    return "\n".join(lines + ["", f"![Fig. 7]({os.path.basename(stem)}-fig7.png)", ""])


def figures(payload: dict, stem: str) -> None:
    """Fig. 7 of our rows, ``<stem>-fig7.png``."""
    from benchmarks import plots  # pylint: disable=import-outside-toplevel  (matplotlib)
    plots.figure7({n: r["train_s_per_epoch"] for n, r in rows_of(payload).items()
                   if not r.get("reference")}, stem + "-fig7.png",
                  f"{payload['dataset']}: training time per epoch (idle machine)")


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="python -m benchmarks.speed", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="ml-1m")
    parser.add_argument("--methods", default="all",
                        help="'all' or a comma list of: " + ", ".join(paper.METHOD_ORDER))
    parser.add_argument("--layers", type=int, nargs="+", default=[0],
                        help="backbones: 0 = MF (the default), L > 0 = LightGCN with L layers")
    parser.add_argument("--reference", nargs="*", default=[], choices=sorted(REFERENCE),
                        help="also time the reference's loop (PyTorch re-write), at its own "
                             "cost (per-draw) and/or vectorised")
    parser.add_argument("--epochs", type=int, default=5, help="epochs per row (>= 3)")
    parser.add_argument("--eval-repeats", type=int, default=2, help="timed evaluations per row")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="PyTorch threads")
    parser.add_argument("--max-load", type=float, default=1.0,
                        help="start each row once the 1-minute load average is below this")
    parser.add_argument("--max-wait", type=float, default=300,
                        help="seconds to wait for --max-load before starting a row anyway")
    parser.add_argument("--data-dir")
    parser.add_argument("--methods-file", default=lab.METHODS_FILE)
    report.add_output_flags(parser)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    stem = os.path.join(args.output, f"{args.dataset}-speed")
    if args.report_only:
        return report.rerender(stem, markdown, figures, argv)
    if args.epochs < 3 or args.eval_repeats < 1:
        parser.error("--epochs must be >= 3 (the first epoch, with tracing, is not counted) "
                     "and --eval-repeats >= 1")
    try:
        settings = lab.load_method_settings(args.methods_file)
        rows = plan(lab.parse_methods(args.methods, settings), args.layers, args.reference,
                    settings)
    except ValueError as error:
        parser.error(str(error))
    if args.child:  # one row, in this process (`measure` started it)
        method, hops, how = rows[args.child]
        with tempfile.TemporaryDirectory(prefix="ahns-speed-") as work:
            config = lab.method_config(
                method, settings[method], args.dataset, data_dir=args.data_dir,
                select_on="test", epochs=args.epochs, eval_every=args.epochs, patience=0,
                backbone="lightgcn" if hops else "mf", layers=hops, output_dir=work).resolved()
            row = (measure_reference(config, how, args.eval_repeats, args.threads) if how
                   else measure_ours(config, args.eval_repeats))
        atomic_write_text(args.out, json.dumps(dict(row, method=method, layers=hops,
                                                    reference=how,
                                                    num_candidates=config.num_candidates)))
        return 0
    if args.reference:
        try:
            import torch  # noqa: F401  pylint: disable=import-outside-toplevel,unused-import
        except ImportError:
            parser.error("--reference needs PyTorch, which is not a project dependency: "
                         "pip install torch --index-url https://download.pytorch.org/whl/cpu")
    payload = {"provenance": provenance(argv), "dataset": args.dataset, "epochs": args.epochs,
               "machine": report.machine(), "max_load": args.max_load,
               "max_wait": args.max_wait, "rows": {}}
    for name in rows:
        payload["rows"][name] = measure(name, argv, args)
    report.publish(stem, payload, markdown, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
