"""The runner: the methods' settings, training that reuses finished runs, child processes.

``methods.json`` lies beside this module (package data when installed). A results file never
mixes settings or library code: `run_missing` trains only what `same_run` cannot reuse, e.g.
``run_missing({"rns": method_config("rns", spec, "tools", output_dir="runs/rns")}, {}, cmd)``.
"""

import json
import os
import subprocess
import sys
import time
from typing import Callable, Iterator, Optional

from ahns_tf.config import TrainConfig, identity_fields
from ahns_tf.provenance import code_fingerprint
from ahns_tf.runs.progress import ProgressFiles, changed_settings
from benchmarks.paper import METHOD_ORDER

#: The methods file, beside this module (whether installed or not).
METHODS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "methods.json")
#: Config fields that locate files rather than define the run.
_PLACE_FIELDS = ("data_dir",) + identity_fields(TrainConfig)


def load_method_settings(path: str = METHODS_FILE) -> dict:
    """``{method: spec}`` from a methods file; ValueError for a method not in Table 2."""
    with open(path) as f:
        methods = json.load(f)["methods"]
    unknown = set(methods) - set(METHOD_ORDER)
    if unknown:
        raise ValueError(f"{path}: unknown methods {sorted(unknown)}; known: "
                         f"{', '.join(METHOD_ORDER)}")
    return methods


def parse_methods(text: str, settings: dict) -> list:
    """``'all'`` or a comma list (``"rns, ahns_p2"``) -> the methods; ValueError for one not in
    `settings`."""
    methods = (list(METHOD_ORDER) if text == "all"
               else [m.strip() for m in text.split(",") if m.strip()])
    unknown = [m for m in methods if m not in settings]
    if unknown:
        raise ValueError(f"unknown method(s) {unknown}; choose from "
                         f"{', '.join(METHOD_ORDER)} or 'all'")
    return methods


def method_config(method: str, spec: dict, dataset: str, **overrides) -> TrainConfig:
    """`method`'s config on `dataset`: the `spec`'s ``default`` < its ``datasets[dataset]`` entry
    < `overrides` (None values ignored)."""
    values = dict(spec.get("default", {}), **spec.get("datasets", {}).get(dataset, {}))
    values.update({k: v for k, v in overrides.items() if v is not None}, dataset=dataset)
    if "ks" in values:
        values["ks"] = tuple(values["ks"])
    return TrainConfig(**values)


def trained_by(result: Optional[dict], fingerprint: str) -> bool:
    """Whether every epoch of a stored metrics.json ran on library code `fingerprint`."""
    return (result or {}).get("provenance", {}).get("code_fingerprints") == [fingerprint]


def same_run(result: Optional[dict], config: TrainConfig, fingerprint: str) -> bool:
    """Whether a stored metrics.json came from `config` (file places aside) and `fingerprint`."""
    if not result or "config" not in result or not trained_by(result, fingerprint):
        return False
    return not changed_settings(result["config"], config.resolved().to_json(),
                                TrainConfig().to_json(), ignore=_PLACE_FIELDS)


def train_current(config: TrainConfig, fingerprint: str, **kwargs) -> dict:
    """`ahns_tf.training.train(config, **kwargs)`, but a run folder begun by other library code
    is trained afresh (never resumed or returned)."""
    from ahns_tf import training  # pylint: disable=import-outside-toplevel  (TensorFlow)
    config = config.resolved()
    folders = ([*training.phase_dirs(config.output_dir),
                training.phase_dirs(config.output_dir, True)[1]]
               if config.refit else [config.output_dir])           # --refit: two runs
    for folder in folders:
        files = ProgressFiles(folder)
        if files.paths() and (files.latest() or {}).get("code_fingerprints") != [fingerprint]:
            kwargs = dict(kwargs, overwrite=True)
    return training.train(config, **kwargs)


def run_missing(configs: dict, stored: dict, command: Optional[str], same: Callable = same_run,
                overwrite: bool = False, verbose=2) -> Iterator:
    """Trains, one after the other, each config whose stored result cannot be reused.

    Args:
        configs: ``{key: TrainConfig}``, each with its own ``output_dir``.
        stored: ``{key: result}`` already in the results file.
        command: the command line recorded with each run (None: this process's).
        same: ``same(stored_result, config, fingerprint)``: whether it stands (`same_run`).
        overwrite: train every config afresh; `verbose`: Keras verbosity.

    Yields:
        ``(key, metrics.json content)`` after each run, for the caller to store and publish.
    """
    fingerprint = code_fingerprint()
    for key, config in configs.items():
        if overwrite or not same(stored.get(key), config, fingerprint):
            yield key, train_current(config, fingerprint, export=False, verbose=verbose,
                                     overwrite=overwrite, command=command)


def run_process(argv: list) -> dict:
    """Runs `argv` to its end: the child's seconds and peak RSS; SystemExit if it fails."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv)
    _, status, usage = os.wait4(proc.pid, 0)
    code = proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    if code != 0:
        raise SystemExit(f"{' '.join(argv)} failed with exit code {code}")
    return {"seconds": time.perf_counter() - start,
            "peak_rss_gib": usage.ru_maxrss * 1024 / 2**30}  # ru_maxrss is KiB on Linux


def run_child(module: str, out: str, *args: str) -> dict:
    """``python -m <module> <args> --out <out>`` in a process of its own: the JSON it wrote to
    `out`, with the child's ``seconds`` and ``peak_rss_gib``."""
    measured = run_process([sys.executable, "-m", module, *args, "--out", out])
    with open(out) as f:
        return dict(measured, **json.load(f))
