"""The runner: the Table 2 methods' settings, and training that reuses what is already done.

``methods.json`` lies beside this module, so it is found the same way in a checkout and in an
installed package (setup.py ships it as package data). A results file must not mix settings or
library code: `run_missing` trains only the configs whose stored result differs (`same_run`),
and `train_current` never resumes a run folder begun by other library code. `run_process`
runs one measurement in a process of its own (its own peak memory, its own thread pools).

Example:

```python
from benchmarks import lab
settings = lab.load_method_settings()
configs = {m: lab.method_config(m, settings[m], "tools", data_dir="../shared/data/ahns")
           for m in ("rns", "ahns_p2")}
for method, result in lab.run_missing(configs, stored={}, command="python -m my.study"):
    print(method, result["test"]["recall@20"])
```
"""

import json
import os
import subprocess
import time
from typing import Callable, Iterator, Optional

from ahns_tf.config import TrainConfig, identity_fields
from ahns_tf.provenance import code_fingerprint
from ahns_tf.runs.progress import ProgressFiles, changed_settings
from benchmarks.paper import METHOD_ORDER

#: The methods file, beside this module (package data when installed).
METHODS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "methods.json")
#: Config fields that locate files rather than define the run.
_PLACE_FIELDS = ("data_dir",) + identity_fields(TrainConfig)


def load_method_settings(path: str = METHODS_FILE) -> dict:
    """Reads a methods file (default: `METHODS_FILE`) into ``{method: spec}``.

    Raises:
        ValueError: a method is not one of Table 2's (`benchmarks.paper.METHOD_ORDER`).
    """
    with open(path) as f:
        methods = json.load(f)["methods"]
    unknown = set(methods) - set(METHOD_ORDER)
    if unknown:
        raise ValueError(f"{path}: unknown methods {sorted(unknown)}; known: "
                         f"{', '.join(METHOD_ORDER)}")
    return methods


def parse_methods(text: str, settings: dict) -> list:
    """``'all'`` or a comma list of method names -> the list, checked against `settings`.

    Raises:
        ValueError: a name is neither a Table 2 method nor in `settings`.

    Example:

    >>> parse_methods("rns, ahns_p2", {"rns": {}, "ahns_p2": {}})
    ['rns', 'ahns_p2']
    """
    methods = (list(METHOD_ORDER) if text == "all"
               else [m.strip() for m in text.split(",") if m.strip()])
    unknown = [m for m in methods if m not in settings]
    if unknown:
        raise ValueError(f"unknown method(s) {unknown}; choose from "
                         f"{', '.join(METHOD_ORDER)} or 'all'")
    return methods


def method_config(method: str, spec: dict, dataset: str, **overrides) -> TrainConfig:
    """The TrainConfig of `method` on `dataset`: spec defaults < spec's dataset entry < overrides
    (None values ignored).

    Example:

    >>> method_config("dns", {"default": {"sampler": "dns", "num_candidates": 32},
    ...                       "datasets": {"ml-1m": {"num_candidates": 8}}}, "ml-1m").num_candidates
    8
    """
    values = dict(spec.get("default", {}))
    values.update(spec.get("datasets", {}).get(dataset, {}))
    values.update({k: v for k, v in overrides.items() if v is not None})
    values["dataset"] = dataset
    if "ks" in values:
        values["ks"] = tuple(values["ks"])
    return TrainConfig(**values)


def trained_by(result: Optional[dict], fingerprint: str) -> bool:
    """Whether a stored metrics.json was trained, every epoch of it, by the library code whose
    `ahns_tf.provenance.code_fingerprint` is `fingerprint`."""
    return (result or {}).get("provenance", {}).get("code_fingerprints") == [fingerprint]


def same_run(result: Optional[dict], config: TrainConfig, fingerprint: str) -> bool:
    """Whether a stored metrics.json came from `config` (file locations aside) and from the
    library code `fingerprint`, so that a table never mixes settings or code."""
    if not result or "config" not in result or not trained_by(result, fingerprint):
        return False
    return not changed_settings(result["config"], config.resolved().to_json(),
                                TrainConfig().to_json(), ignore=_PLACE_FIELDS)


def train_current(config: TrainConfig, fingerprint: str, **kwargs) -> dict:
    """`ahns_tf.training.train`, except that a run folder begun by other library code is
    trained afresh: a finished or half-done run in ``config.output_dir`` whose progress names
    other code fingerprints (or none) is discarded, never returned or resumed.

    Args:
        config: the run.
        fingerprint: the current `code_fingerprint`.
        **kwargs: passed to `train` (``export``, ``verbose``, ``overwrite``, ``command``, ...).

    Returns:
        The run's metrics.json content.
    """
    from ahns_tf import training  # pylint: disable=import-outside-toplevel  (TensorFlow)
    config = config.resolved()
    folders = ([*training.phase_dirs(config.output_dir),
                training.phase_dirs(config.output_dir, True)[1]]
               if config.refit else [config.output_dir])           # --refit: two runs
    for folder in folders:
        files = ProgressFiles(folder)
        if files.paths():
            progress = files.latest() or {}              # {} when none is readable
            if progress.get("code_fingerprints", ["unknown"]) != [fingerprint]:
                kwargs = dict(kwargs, overwrite=True)
    return training.train(config, **kwargs)


def run_missing(configs: dict, stored: dict, command: str, same: Callable = same_run,
                overwrite: bool = False, verbose=2) -> Iterator:
    """Trains, one after the other, each config whose stored result cannot be reused.

    Args:
        configs: ``{key: TrainConfig}`` (each with its own ``output_dir``).
        stored: ``{key: result}`` already in the results file.
        command: the command line recorded with each run.
        same: ``same(stored_result, config, fingerprint)``: whether the stored result stands
            (default `same_run`).
        overwrite: train every config afresh.
        verbose: Keras verbosity.

    Yields:
        ``(key, metrics.json content)`` after each run, for the caller to store and report.
    """
    fingerprint = code_fingerprint()
    for key, config in configs.items():
        if overwrite or not same(stored.get(key), config, fingerprint):
            yield key, train_current(config, fingerprint, export=False, verbose=verbose,
                                     overwrite=overwrite, command=command)


def run_process(argv: list) -> dict:
    """Runs `argv` as a child process and waits for it.

    Returns:
        ``{"seconds": wall seconds, "peak_rss_gib": the child's peak resident memory}``.

    Raises:
        SystemExit: the child failed (its exit code is named).
    """
    start = time.perf_counter()
    proc = subprocess.Popen(argv)
    _, status, usage = os.wait4(proc.pid, 0)
    code = proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    if code != 0:
        raise SystemExit(f"{' '.join(argv)} failed with exit code {code}")
    return {"seconds": time.perf_counter() - start,
            "peak_rss_gib": usage.ru_maxrss * 1024 / 2**30}  # ru_maxrss is KiB on Linux
