"""The report writer: every tool's results written, re-rendered and attributed one way.

A tool keeps what it measured in a payload (``provenance``, ``machine``, its numbers) and
renders it with ``markdown(payload, stem) -> str``, plus ``figures(payload, stem)`` if it draws
any. `publish` writes ``<stem>.json`` and then ``<stem>.md``, each atomically
(`ahns_tf.atomic.write_results`: a failed write keeps the old file), draws the figures and
prints the report. `rerender` is every tool's ``--report-only``: the report again from the
stored .json, with a line naming the command that re-rendered it; nothing is run and the
.json is not rewritten, so no committed number changes.

Example:

```python
payload = {"provenance": provenance(argv), "machine": machine(), "results": rows}
publish(os.path.join(RESULTS, "serving"), payload, markdown)
```
"""

import argparse
import json
import os
import platform
import sys
from typing import Callable, Optional, Sequence

from ahns_tf.atomic import atomic_write_text, write_results
from ahns_tf.provenance import describe, payload_origin, provenance

#: The committed results folder, beside this module.
RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def machine() -> dict:
    """What a measurement ran on: ``{"cpus", "memory_gib", "platform"}``."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"cpus": os.cpu_count(), "memory_gib": round(memory), "platform": platform.platform()}


def produced_by(payload: dict) -> str:
    """The provenance line of a report, without the final full stop.

    Example: ``Produced by `python -m benchmarks.speed` at commit 0123456789, TensorFlow
    2.21.0 on {"cpus": 2, ...}`` (the machine only when the payload records one; older
    files recorded it as a string, shown as it is).
    """
    where = payload.get("machine")
    where = f" on {where if isinstance(where, str) else json.dumps(where)}" if where else ""
    return f"Produced by {payload_origin(payload)}{where}"


def run_origins(runs: dict) -> list:
    """Markdown lines naming the recorded command and commit of each run, grouped.

    Example: ``- rns, dns: `python -m pipelines.benchmark ...` at commit 0123456789,
    TensorFlow 2.21.0`` (runs trained by one command share a line).
    """
    origins = {}
    for name, run in runs.items():
        origins.setdefault(describe((run or {}).get("provenance")), []).append(name)
    return [f"- {', '.join(names)}: {origin}" for origin, names in origins.items()]


def load(path: str, default=None):
    """The JSON content of `path`, or `default` when there is no such file."""
    if not os.path.exists(path):
        return default
    with open(path) as f:
        return json.load(f)


def publish(stem: str, payload: dict, markdown: Callable, figures: Optional[Callable] = None,
            echo: bool = True) -> str:
    """Writes ``<stem>.json`` and ``<stem>.md`` (each atomically), draws the figures, prints.

    Args:
        stem: the path without suffix, e.g. ``benchmarks/results/tools-ahns-seeds``.
        payload: the JSON-serialisable results.
        markdown: ``markdown(payload, stem) -> str``, the report.
        figures: ``figures(payload, stem)``, drawing the report's PNGs, if any.
        echo: print the report.

    Returns:
        The report.
    """
    text = write_results(stem, payload, markdown(payload, stem), indent=1)
    if figures:
        figures(payload, stem)
    if echo:
        print(text, end="")
    return text


def add_output_flags(parser: argparse.ArgumentParser) -> None:
    """Adds ``--output`` (the results folder) and ``--report-only`` to a tool's parser."""
    parser.add_argument("--output", default=RESULTS,
                        help="results folder (default: benchmarks/results)")
    parser.add_argument("--report-only", action="store_true",
                        help="run nothing: re-write the .md (and figures) from the stored .json")


def rerender(stem: str, markdown: Callable, figures: Optional[Callable] = None,
             argv: Optional[Sequence[str]] = None) -> int:
    """``--report-only``: the report of the stored ``<stem>.json``, which is left as it is.

    The report gets, under its title, a line naming this command (`ahns_tf.provenance`)
    beside the original one.

    Args:
        stem: the results file without suffix.
        markdown: the tool's ``markdown(payload, stem)``.
        figures: the tool's ``figures(payload, stem)``, if any.
        argv: this command's arguments (default: the process's).

    Returns:
        0, or 2 (after saying so on stderr) when there is no stored .json.
    """
    payload = load(stem + ".json")
    if payload is None:
        print(f"error: --report-only: {stem}.json does not exist; run without it first",
              file=sys.stderr)
        return 2
    title, _, rest = markdown(payload, stem).partition("\n")
    text = (f"{title}\n\nRe-rendered from the stored {os.path.basename(stem)}.json (nothing "
            f"run) by {describe(provenance(argv))}.\n{rest}")
    atomic_write_text(stem + ".md", text)
    if figures:
        figures(payload, stem)
    print(text, end="")
    return 0
