r"""Seconds per training epoch and per evaluation, each row in its own process: Fig. 7, and ours
against the reference's own loop (its PyTorch re-write) in the same run.

    python -m benchmarks.speed --dataset ml-1m --data-dir ../shared/data/ahns
    python -m benchmarks.speed --dataset tools --methods ahns_p2 --layers 3 0 \
        --reference per-draw vectorised --epochs 6 --data-dir ../shared/data/ahns

Writes ``<dataset>-speed.{json,md}`` and ``<dataset>-speed-fig7.png`` (see benchmarks/README.md).
"""

import argparse
import json
import os
import statistics
import sys
import tempfile

from ahns_tf.atomic import atomic_write_text
from ahns_tf.provenance import provenance
from benchmarks import lab, report

#: ``--reference`` -> the re-write's (sampling, evaluation) (`benchmarks.reference_torch`).
REFERENCE = {"per-draw": ("per-draw", "per-user"), "vectorised": ("vectorised", "numpy")}


def plan(methods: list, layers: list, references: list, settings: dict) -> dict:
    """``{row name: {"method", "layers", "reference", "versus"}}`` in the order they are measured,
    e.g. ``ahns_p2-lightgcn3``, then ``reference-ahns_p2-lightgcn3-per-draw`` versus it."""
    rows = {}
    for method in methods:
        for hops in layers:
            ours = method + (f"-lightgcn{hops}" if hops else "")
            rows[ours] = {"method": method, "layers": hops, "reference": None, "versus": None}
            if settings[method]["default"]["sampler"] in ("rns", "dns", "ahns"):  # re-written
                rows.update({f"reference-{ours}-{how}": dict(rows[ours], reference=how, versus=ours)
                             for how in references})
    return rows


def measure_ours(config) -> dict:
    """Epoch and evaluation seconds of `config` evaluated after every epoch (evaluation is not in
    the epoch seconds and draws no random numbers); the first evaluation (tracing) left out."""
    from ahns_tf.training import train  # pylint: disable=import-outside-toplevel
    result = train(config, export=False, verbose=0, overwrite=True)
    return {"epoch_seconds": result["epoch_seconds"],
            "eval_seconds": [h["eval_seconds"] for h in result["history"]][1:]}


def measure_reference(config, how: str) -> dict:
    """The reference's loop (re-written) on `config`'s settings: its epochs, each followed by
    a full evaluation (as ours: `measure_ours`), with PyTorch on every core (as TensorFlow)."""
    import torch  # pylint: disable=import-outside-toplevel
    from ahns_tf.data.sources import locate  # pylint: disable=import-outside-toplevel
    from benchmarks import reference_torch as ref  # pylint: disable=import-outside-toplevel
    c, paths = config, locate(config.dataset, config.data_dir)
    loop = ref.ReferenceLoop(argparse.Namespace(
        ns=c.sampler, alpha=c.alpha, beta=c.beta, p=c.p, n_negs=c.num_candidates, dim=c.dim,
        batch_size=c.batch_size, lr=c.lr, l2=c.l2, threads=os.cpu_count(),
        context_hops=c.layers if c.backbone == "lightgcn" else 0,
        **dict(zip(("sampling", "evaluation"), REFERENCE[how]))),
        c.seed, ref.read_lines(paths["train"]), ref.read_lines(paths["test"]))
    seconds = [(loop.train_epoch(), loop.evaluate()[2]) for _ in range(c.epochs)]
    return {"epoch_seconds": [s[0] for s in seconds], "eval_seconds": [s[1] for s in seconds],
            "threads": torch.get_num_threads(), "torch": torch.__version__}


def rows_of(payload: dict) -> dict:
    """A speed file's rows (older files hold ``seconds``: ours on MF, training time only)."""
    return payload.get("rows") or {
        m: {"layers": 0, "num_candidates": s["num_candidates"],
            "train_s_per_epoch": s["median_epoch_seconds"]} for m, s in payload["seconds"].items()}


def markdown(payload: dict, stem: str) -> str:
    """The report: one row per measurement, then the reference / ours ratios of the run."""
    rows = rows_of(payload)
    first = next(iter(rows))
    lines = [f"# {payload['dataset']}: seconds per training epoch, one measurement at a time "
             "(Fig. 7)", "", f"{report.produced_by(payload)}. {payload['epochs']} epochs per row "
             "(settings from benchmarks/methods.json); train = median s/epoch over epochs 2..; "
             "eval = median s of a full evaluation of all test users after each epoch (propagation "
             "included; the first, tracing, left out)."
             + (" Each row in its own process; load = the 1-minute load average before / after "
                "it (other work on the machine slows a row down)." if "rows" in payload else ""),
             ""]
    first_s = rows[first]["train_s_per_epoch"]
    lines += report.table(
        ["row", "backbone", "M", "train s/epoch", f"vs {first}", "eval s", "load"],
        [[name, f"LightGCN L={r['layers']}" if r["layers"] else "MF", r["num_candidates"],
          f"{r['train_s_per_epoch']:.3f}", f"{r['train_s_per_epoch'] / first_s:.2f}x"]
         + ([f"{r['eval_s']:.3f}", f"{r['load_before']:.2f} / {r['load_after']:.2f}"]
            if "eval_s" in r else ["—", "—"]) for name, r in rows.items()])
    ratios = [[name] + [f"{r[k] / rows[r['versus']][k]:.1f}x"
                        for k in ("train_s_per_epoch", "eval_s")]
              for name, r in rows.items() if r.get("versus")]
    if ratios:
        lines += ["", "The reference's loop (its PyTorch re-write) against ours, in this run:", ""]
        lines += report.table(["row", "train: reference / ours", "eval: reference / ours"], ratios)
    return "\n".join(lines + ["", f"![Fig. 7]({os.path.basename(stem)}-fig7.png)", ""])


def figures(payload: dict, stem: str) -> None:
    """Fig. 7 of our rows, ``<stem>-fig7.png``."""
    from benchmarks import plots  # pylint: disable=import-outside-toplevel  (matplotlib)
    plots.figure7({n: r["train_s_per_epoch"] for n, r in rows_of(payload).items()
                   if not r.get("reference")}, stem + "-fig7.png",
                  f"{payload['dataset']}: training time per epoch (idle machine)")


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = report.parser(__doc__, "benchmarks.speed")
    parser.add_argument("--dataset", default="ml-1m")
    parser.add_argument("--methods", default="all", help="'all' or a comma list")
    parser.add_argument("--methods-file", default=lab.METHODS_FILE)
    parser.add_argument("--data-dir")
    parser.add_argument("--layers", type=int, nargs="+", default=[0], help="0: MF; L: LightGCN")
    parser.add_argument("--reference", nargs="*", default=[], choices=sorted(REFERENCE))
    parser.add_argument("--epochs", type=int, default=5, help="epochs per row (>= 3)")
    for hidden in ("--child", "--out"):    # one row, run by `main` in a process of its own
        parser.add_argument(hidden, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    stem = os.path.join(args.output, f"{args.dataset}-speed")
    if args.report_only:
        return report.rerender(stem, markdown, figures, argv)
    if args.epochs < 3:
        parser.error("--epochs must be >= 3 (the first epoch, tracing, is not counted)")
    try:
        settings = lab.load_method_settings(args.methods_file)
        rows = plan(lab.parse_methods(args.methods, settings), args.layers, args.reference,
                    settings)
        if args.reference:
            import torch  # noqa: F401  pylint: disable=import-outside-toplevel,unused-import
    except ValueError as error:
        parser.error(str(error))
    except ImportError:
        parser.error("--reference needs PyTorch, which is not a project dependency: "
                     "pip install torch --index-url https://download.pytorch.org/whl/cpu")
    if args.child:  # one row, in its own process (started below)
        method, hops, how = (rows[args.child][k] for k in ("method", "layers", "reference"))
        with tempfile.TemporaryDirectory(prefix="ahns-speed-") as work:
            config = lab.method_config(
                method, settings[method], args.dataset, data_dir=args.data_dir, select_on="test",
                epochs=args.epochs, eval_every=1, patience=0, output_dir=work,
                backbone="lightgcn" if hops else "mf", layers=hops).resolved()
            row = measure_reference(config, how) if how else measure_ours(config)
        atomic_write_text(args.out, json.dumps(dict(row, num_candidates=config.num_candidates)))
        return 0
    payload = {"provenance": provenance(argv), "dataset": args.dataset, "epochs": args.epochs,
               "machine": report.machine(), "rows": {}}
    for name in rows:
        row = dict(rows[name], load_before=os.getloadavg()[0])
        with tempfile.TemporaryDirectory(prefix="ahns-speed-") as work:
            row.update(lab.run_child("benchmarks.speed", os.path.join(work, "row.json"), *argv,
                                     "--child", name))
        payload["rows"][name] = dict(row, load_after=os.getloadavg()[0],
                                     train_s_per_epoch=statistics.median(row["epoch_seconds"][1:]),
                                     eval_s=statistics.median(row["eval_seconds"]))
        print(f"{name}: {payload['rows'][name]['train_s_per_epoch']:.3f} s/epoch", flush=True)
    report.publish(stem, payload, markdown, figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
