"""Runs several samplers on one dataset and reports them next to the paper's Table 2."""

import json
import os

from ahns_tf import paper, plots
from ahns_tf.config import TrainConfig
from ahns_tf.atomic import atomic_write_text
from ahns_tf.config import identity_fields
from ahns_tf.provenance import code_fingerprint, describe
from ahns_tf.runs.progress import ProgressFiles, changed_settings
from ahns_tf.training import phase_dirs, train


def load_method_settings(path: str) -> dict:
    """Reads a methods file (see benchmarks/methods.json) into {method: spec}."""
    with open(path) as f:
        methods = json.load(f)["methods"]
    unknown = set(methods) - set(paper.METHOD_ORDER)
    if unknown:
        raise ValueError(f"{path}: unknown methods {sorted(unknown)}; known: "
                         f"{', '.join(paper.METHOD_ORDER)}")
    return methods


def parse_methods(text: str, settings: dict) -> list:
    """``'all'`` or a comma list of method names -> the list, checked against `settings`.

    Raises:
        ValueError: a name is neither a Table 2 method nor in `settings`.

    Example:

    >>> parse_methods("rns, ahns_p2", {"rns": {}, "ahns_p2": {}})
    ['rns', 'ahns_p2']
    """
    methods = (list(paper.METHOD_ORDER) if text == "all"
               else [m.strip() for m in text.split(",") if m.strip()])
    unknown = [m for m in methods if m not in settings]
    if unknown:
        raise ValueError(f"unknown method(s) {unknown}; choose from "
                         f"{', '.join(paper.METHOD_ORDER)} or 'all'")
    return methods


def method_config(method: str, spec: dict, dataset: str, **overrides) -> TrainConfig:
    """The TrainConfig of `method` on `dataset`: defaults < file < overrides."""
    values = dict(spec.get("default", {}))
    values.update(spec.get("datasets", {}).get(dataset, {}))
    values.update({k: v for k, v in overrides.items() if v is not None})
    values["dataset"] = dataset
    if "ks" in values:
        values["ks"] = tuple(values["ks"])
    return TrainConfig(**values)


#: Config fields that locate files rather than define the run.
_PLACE_FIELDS = ("data_dir",) + identity_fields(TrainConfig)


def trained_by(result, fingerprint: str) -> bool:
    """Whether a stored metrics.json was trained, every epoch of it, by the library
    code whose `ahns_tf.provenance.code_fingerprint` is `fingerprint`."""
    return (result or {}).get("provenance", {}).get("code_fingerprints") == [fingerprint]


def train_current(config: TrainConfig, fingerprint: str, **kwargs) -> dict:
    """`train`, except that a run folder begun by other library code is trained afresh.

    A result table must not mix code versions: a finished or half-done run left
    in ``config.output_dir`` by other code (its progress.json names other code
    fingerprints, or none) is discarded before training, not returned or resumed.
    """
    config = config.resolved()
    folders = ([*phase_dirs(config.output_dir), phase_dirs(config.output_dir, True)[1]]
               if config.refit else [config.output_dir])           # --refit: two runs
    for folder in folders:
        files = ProgressFiles(folder)
        if files.paths():
            progress = files.latest() or {}              # {} when none is readable
            if progress.get("code_fingerprints", ["unknown"]) != [fingerprint]:
                kwargs = dict(kwargs, overwrite=True)
    return train(config, **kwargs)


def same_run(result, config: TrainConfig, fingerprint: str) -> bool:
    """Whether a stored metrics.json came from `config` (file locations aside) and
    from the library code whose `code_fingerprint` is `fingerprint` (so one table
    never mixes rows from different code)."""
    if not result or "config" not in result or not trained_by(result, fingerprint):
        return False
    return not changed_settings(result["config"], config.resolved().to_json(),
                                TrainConfig().to_json(), ignore=_PLACE_FIELDS)


def run_benchmark(dataset: str, methods, settings: dict, output_dir: str, work_dir: str,
                  verbose=2, overwrite: bool = False, command: str = None, **overrides) -> dict:
    """Trains each method (resuming finished or interrupted runs) and writes reports.

    Args:
        dataset: dataset name.
        methods: method names (keys of `settings`).
        settings: from `load_method_settings`.
        output_dir: where ``<dataset>.json``, ``<dataset>.md`` and the figures go.
        work_dir: where each method's run directory goes.
        verbose: Keras verbosity.
        overwrite: train every listed method afresh instead of resuming its
            run (needed after changing its settings). A stored row is reused
            only if it has the same settings and was trained by the same
            library code (`ahns_tf.provenance.code_fingerprint`).
        command: the command line recorded with each run (default: this
            process's; see `ahns_tf.provenance`).
        **overrides: TrainConfig fields applied to every method (epochs,
            select_on, data_dir, ...).

    Returns:
        ``{method: metrics.json content}``.

    Example:

    ```python
    run_benchmark("tools", ["rns", "ahns_p2"], load_method_settings("benchmarks/methods.json"),
                  "benchmarks/results", "runs/benchmark", data_dir="../shared/data/ahns")
    ```
    """
    protocol = overrides.get("select_on") or "valid"
    suffix = "" if protocol == "test" else f"-{protocol}"
    existing = os.path.join(output_dir, f"{dataset}{suffix}.json")
    results = {}
    if os.path.isfile(existing):  # keep other methods' results when running a subset
        with open(existing) as f:
            results = json.load(f)
    fingerprint = code_fingerprint()
    for method in methods:
        config = method_config(method, settings[method], dataset, **overrides)
        config.output_dir = os.path.join(work_dir, f"{dataset}-{protocol}-{method}")
        if not overwrite and same_run(results.get(method), config, fingerprint):
            continue  # finished earlier with these settings and this code
        results[method] = train_current(config, fingerprint, export=False, verbose=verbose,
                                        overwrite=overwrite, command=command)
        results = {m: results[m] for m in paper.METHOD_ORDER if m in results}
        write_reports(dataset, results, output_dir, protocol,
                      [m for m in paper.METHOD_ORDER if m in results or m in methods], settings)
    return results


#: Relative distance to Table 2 beyond which a report explains the gap.
BAND = 0.05


def gap_section(dataset: str, results: dict, settings: dict, results_dir: str = None) -> list:
    """Markdown lines for methods more than `BAND` from Table 2 on Recall@20 or NDCG@20.

    Each names the settings used, their source, the grid searched (from
    methods.json, ``searched: {setting: {dataset: [values]}}``) with a link to
    the search's results file (``search-<dataset>-<method>.md`` in
    `results_dir`, written by ``python -m benchmarks.search``) if it exists, and
    the dataset's ``gap_notes`` entry if there is one. Methods within the band
    that have a ``gap_notes`` entry for the dataset are listed after them, with
    that note.
    """
    lines, notes = [], []
    for method, run in results.items():
        row = paper.TABLE2.get(dataset, {}).get(method)
        if not row or method not in settings:
            continue
        gaps = {metric: 100 * run["test"][metric] / row[i] - 1      # Table 2 is in %
                for i, metric in enumerate(paper.METRICS[:2]) if metric in run["test"]}
        outside = {m: g for m, g in gaps.items() if abs(g) > BAND}
        spec = settings[method]
        if not outside:
            if dataset in spec.get("gap_notes", {}):
                notes.append(f"- **{method}** (within 5%): {spec['gap_notes'][dataset]}")
            continue
        used = dict(spec.get("default", {}), **spec.get("datasets", {}).get(dataset, {}))
        used.pop("sampler", None)
        # What the run actually used (methods.json may have changed since).
        used = {k: run.get("config", {}).get(k, v) for k, v in used.items()}
        searched = {}
        for name, grid in spec.get("searched", {}).items():
            if isinstance(grid, dict):   # {dataset: [values]}
                grid = grid.get(dataset)
            if grid:
                searched[name] = grid
        where = f"search-{dataset}-{method}.md"
        found = results_dir and os.path.isfile(os.path.join(results_dir, where))
        record = "" if not searched else (
            f" (results: [{where}]({where}))" if found else
            " (results not committed yet; `python -m benchmarks.search` records them)")
        text = ", ".join(f"{m} {100 * g:+.1f}%" for m, g in outside.items())
        lines.append(f"- **{method}** ({text}): settings {json.dumps(used)} "
                     f"({spec.get('source', 'no source recorded')}); searched: "
                     f"{json.dumps(searched) if searched else 'nothing yet'}{record}."
                     + (f" {spec['gap_notes'][dataset]}" if dataset in spec.get("gap_notes", {})
                        else ""))
    if lines:
        lines = ["## Outside the 5% band", "",
                 "Methods more than 5% (relative) from Table 2 on Recall@20 or NDCG@20, with what "
                 "was tried (benchmarks/methods.json):", ""] + lines + [""]
    if notes:
        lines += ["## Notes on methods within the band", ""] + notes + [""]
    return lines


def write_reports(dataset: str, results: dict, output_dir: str, protocol: str,
                  requested=None, settings=None) -> None:
    """Writes ``<dataset>.json``, ``<dataset>.md`` and the Fig. 5 / Fig. 7 PNGs.

    Args:
        dataset: dataset name.
        results: ``{method: metrics.json content}``.
        output_dir: where the files go.
        protocol: "test" or "valid".
        requested: the methods asked for (the header says how many are done).
        settings: from `load_method_settings`; when given, methods outside the
            5% band get a paragraph saying what was tried (`gap_section`).
    """
    suffix = "" if protocol == "test" else f"-{protocol}"
    stem = os.path.join(output_dir, f"{dataset}{suffix}")
    atomic_write_text(stem + ".json", json.dumps(results, indent=1))
    label = ("reference protocol: best epoch chosen on the test set" if protocol == "test" else
             "validation protocol: best epoch chosen on a 10% hold-out of train.txt")
    requested = list(requested or results)
    origins = {}  # the recorded command and commit of each row, as the rows were trained
    for method, run in results.items():
        origins.setdefault(describe(run.get("provenance")), []).append(method)
    lines = [f"# {dataset}: Table 2 methods ({label})", "",
             f"{len(results)} of {len(requested)} methods done (settings: "
             f"benchmarks/methods.json). Produced by (recorded with each row):", ""]
    lines += [f"- {', '.join(methods)}: {origin}" for origin, methods in origins.items()]
    lines += ["",
              "Paper values: Table 2 of Lai et al. (2024), percent. diff = (ours - paper) / paper.",
              "s/epoch is the median epoch time as the run went; when runs share the machine "
              "with other jobs it is inflated unevenly, so compare speed on an idle machine "
              "(benchmarks/results/core-speed.md).",
              "", "| method | best epoch | R@20 | paper | diff | N@20 | paper | diff | N@50 | paper "
              "| diff | s/epoch |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for method, run in results.items():
        row = paper.TABLE2.get(dataset, {}).get(method)
        cells = []
        for i, metric in enumerate(paper.METRICS):
            if metric not in run["test"]:  # run with other cut-offs (--ks)
                cells += ["—", "—", "—"]
                continue
            ours = 100 * run["test"][metric]
            if row:
                cells += [f"{ours:.2f}", f"{row[i]:.2f}", f"{100 * (ours - row[i]) / row[i]:+.1f}%"]
            else:
                cells += [f"{ours:.2f}", "—", "—"]
        lines.append(f"| {method} | {run['best_epoch']} | " + " | ".join(cells)
                     + f" | {run['median_epoch_seconds']:.2f} |")
    sampled = [f"{method} ({n['evaluated']} of {n['with_heldout_items']} users)"
               for method, run in results.items()
               for split, n in run.get("evaluated_users", {}).items()
               if split == "test" and n["evaluated"] < n["with_heldout_items"]]
    if sampled:
        lines += ["", "Test metrics on a seeded sample of users (--eval-users): "
                  + ", ".join(sampled) + "."]
    best = {m: max(results, key=lambda k: results[k]["test"].get(m, -1.0))
            for m in paper.METRICS[:2]}
    lines += ["", f"Best on Recall@20: **{best['recall@20']}**; on NDCG@20: "
              f"**{best['ndcg@20']}**.", ""]
    if protocol != "test":
        lines += ["Table 2 was measured under the reference protocol; under this one the model "
                  "trains on 90% of train.txt and the epoch is chosen without seeing the test "
                  "split, so lower numbers are expected and the 5% band does not apply.", ""]
    elif settings:
        lines += gap_section(dataset, results, settings, output_dir)
    lines += [f"![Fig. 5]({os.path.basename(stem)}-fig5.png)",
              f"![Fig. 7]({os.path.basename(stem)}-fig7.png)", ""]
    atomic_write_text(stem + ".md", "\n".join(lines))
    plots.figure5(results, stem + "-fig5.png", f"{dataset} ({protocol} protocol)")
    plots.figure7(results, stem + "-fig7.png", f"{dataset}: training time per epoch")
