r"""Table 2, Fig. 5 and Fig. 7 on one dataset, each method with its methods.json settings.

    python -m pipelines.benchmark --dataset tools --methods all --data-dir ../shared/data/ahns

(its command line). Writes ``<dataset>[-valid].json`` (method -> metrics.json), ``.md`` (next to
Table 2, with what was tried for each method more than 5% from it), ``-fig5.png``, ``-fig7.png``.
"""

import functools
import json
import os

from benchmarks import lab, paper, report

#: Relative distance to Table 2 beyond which a report explains the gap.
BAND = 0.05


def results_stem(output_dir: str, dataset: str, protocol: str = "test") -> str:
    """``<output_dir>/<dataset>`` for the paper's protocol, ``<dataset>-<protocol>`` otherwise."""
    return os.path.join(output_dir, dataset if protocol == "test" else f"{dataset}-{protocol}")


def run_benchmark(dataset: str, methods: list, settings: dict, output_dir: str, work_dir: str,
                  verbose=2, overwrite: bool = False, command: str = None,
                  **overrides) -> dict:
    """Trains each of `methods` (resuming interrupted runs, keeping finished ones) and reports.

    Args:
        settings: the methods' specs (`benchmarks.lab.load_method_settings`).
        output_dir: where ``<dataset>.json``, ``.md`` and the figures go; `work_dir`: the runs.
        overwrite: train every method afresh (after changing its settings); else a stored row
            stands if `benchmarks.lab.same_run` says so.
        command: recorded with each run (default: this process's); `verbose`: Keras'.
        **overrides: TrainConfig fields for every method; ``select_on`` defaults to ``"test"``.

    Returns:
        ``{method: metrics.json content}``, in Table 2's order.
    """
    protocol = overrides["select_on"] = overrides.get("select_on") or "test"
    stem = results_stem(output_dir, dataset, protocol)
    results = report.load(stem + ".json", {})  # other methods' rows are kept
    configs = {m: lab.method_config(m, settings[m], dataset, **overrides,
                                    output_dir=os.path.join(work_dir, f"{dataset}-{protocol}-{m}"))
               for m in methods}
    render = functools.partial(markdown, settings=settings)
    for method, result in lab.run_missing(configs, results, command, overwrite=overwrite,
                                          verbose=verbose):
        results[method] = result
        results = {m: results[m] for m in paper.METHOD_ORDER if m in results}
        report.publish(stem, results, render, figures, echo=False)
    return results


def gap_section(dataset: str, results: dict, settings: dict, results_dir: str = None) -> list:
    """Markdown lines on each method more than `BAND` from Table 2 on Recall@20 or NDCG@20: its
    settings, their source, the grid searched (linking ``search-<dataset>-<method>.md`` when
    `results_dir` holds it) and its ``gap_notes``; then the notes of methods within the band."""
    lines, notes = [], []
    for method, run in results.items():
        row, spec = paper.row(dataset, method), settings.get(method)
        if not row or spec is None:
            continue
        gaps = {metric: 100 * run["test"][metric] / row[i] - 1      # Table 2 is in %
                for i, metric in enumerate(paper.METRICS[:2]) if metric in run["test"]}
        outside = {m: g for m, g in gaps.items() if abs(g) > BAND}
        note = spec.get("gap_notes", {}).get(dataset)
        if not outside:
            if note:
                notes.append(f"- **{method}** (within 5%): {note}")
            continue
        # What the run actually used (methods.json may have changed since).
        used = {k: run.get("config", {}).get(k, v) for k, v in dict(
            spec.get("default", {}), **spec.get("datasets", {}).get(dataset, {})).items()
            if k != "sampler"}
        searched = {name: grid.get(dataset) if isinstance(grid, dict) else grid
                    for name, grid in spec.get("searched", {}).items()}
        searched = {name: grid for name, grid in searched.items() if grid}
        where = f"search-{dataset}-{method}.md"
        found = results_dir and os.path.isfile(os.path.join(results_dir, where))
        record = "" if not searched else (
            f" (results: [{where}]({where}))" if found else
            " (results not committed yet; `python -m benchmarks.search` records them)")
        text = ", ".join(f"{m} {100 * g:+.1f}%" for m, g in outside.items())
        lines.append(f"- **{method}** ({text}): settings {json.dumps(used)} "
                     f"({spec.get('source', 'no source recorded')}); searched: "
                     f"{json.dumps(searched) if searched else 'nothing yet'}{record}."
                     + (f" {note}" if note else ""))
    if lines:
        lines = ["## Outside the 5% band", "",
                 "Methods more than 5% (relative) from Table 2 on Recall@20 or NDCG@20, with what "
                 "was tried (benchmarks/methods.json):", ""] + lines + [""]
    if notes:
        lines += ["## Notes on methods within the band", ""] + notes + [""]
    return lines


def markdown(results: dict, stem: str, settings: dict = None) -> str:
    """The Table 2 report of ``results = {method: metrics.json}`` stored at `stem`; with
    methods.json's `settings`, the methods outside the 5% band get a paragraph on what was tried
    (`gap_section`)."""
    config = next(iter(results.values()))["config"]
    dataset, protocol = config["dataset"], config["select_on"]
    label = ("reference protocol: best epoch chosen on the test set" if protocol == "test" else
             "validation protocol: best epoch chosen on a 10% hold-out of train.txt")
    lines = [f"# {dataset}: Table 2 methods ({label})", "",
             f"{len(results)} of {len(paper.METHOD_ORDER)} methods done (settings: "
             f"benchmarks/methods.json). Produced by (recorded with each row):", ""]
    lines += report.run_origins(results) + [
        "", "Paper values: Table 2 of Lai et al. (2024), percent. diff = (ours - paper) / paper.",
        "s/epoch is the median epoch time as the run went; when runs share the machine with "
        "other jobs it is inflated unevenly, so compare speed on an idle machine "
        "(`python -m benchmarks.speed`, e.g. benchmarks/results/ml-1m-speed.md).", "",
        "| method | best epoch | R@20 | paper | diff | N@20 | paper | diff | N@50 | paper | diff "
        "| s/epoch |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for method, run in results.items():
        row, cells = paper.row(dataset, method), []
        for i, metric in enumerate(paper.METRICS):
            if metric not in run["test"]:  # run with other cut-offs (--ks)
                cells += ["—", "—", "—"]
                continue
            ours = 100 * run["test"][metric]
            cells += ([f"{ours:.2f}", f"{row[i]:.2f}", f"{100 * (ours - row[i]) / row[i]:+.1f}%"]
                      if row else [f"{ours:.2f}", "—", "—"])
        lines.append(f"| {method} | {run['best_epoch']} | " + " | ".join(cells)
                     + f" | {run['median_epoch_seconds']:.2f} |")
    best = {m: max(results, key=lambda k: results[k]["test"].get(m, -1.0))
            for m in paper.METRICS[:2]}
    lines += ["", f"Best on Recall@20: **{best['recall@20']}**; on NDCG@20: "
              f"**{best['ndcg@20']}**.", ""]
    if protocol != "test":
        lines += ["Table 2 was measured under the reference protocol; under this one the model "
                  "trains on 90% of train.txt and the epoch is chosen without seeing the test "
                  "split, so lower numbers are expected and the 5% band does not apply.", ""]
    elif settings:
        lines += gap_section(dataset, results, settings, os.path.dirname(stem))
    name = os.path.basename(stem)
    return "\n".join(lines + [f"![Fig. 5]({name}-fig5.png)", f"![Fig. 7]({name}-fig7.png)", ""])


def figures(results: dict, stem: str) -> None:
    """Fig. 5 and Fig. 7 of the runs, as ``<stem>-fig5.png`` and ``<stem>-fig7.png``."""
    from benchmarks import plots  # pylint: disable=import-outside-toplevel  (matplotlib)
    config = next(iter(results.values()))["config"]
    dataset, protocol = config["dataset"], config["select_on"]
    plots.figure5(results, stem + "-fig5.png", f"{dataset} ({protocol} protocol)")
    plots.figure7({m: r["median_epoch_seconds"] for m, r in results.items()},
                  stem + "-fig7.png", f"{dataset}: training time per epoch")
