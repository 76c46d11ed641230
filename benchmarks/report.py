"""The report writer: every tool's command line, results files and ``--report-only``, one way.

A tool keeps what it measured in a payload (``provenance``, ``machine``, its numbers) and renders
it with ``markdown(payload, stem)`` (and ``figures(payload, stem)`` if it draws any), e.g.
``publish(os.path.join(args.output, "serving"), payload, markdown)``.
"""

import argparse
import json
import os
import platform
import sys
from typing import Callable, Optional, Sequence

from ahns_tf.atomic import atomic_write_text
from ahns_tf.provenance import describe, payload_origin, provenance

#: The committed results folder, beside this module.
RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def parser(doc: str, module: str) -> argparse.ArgumentParser:
    """A tool's parser: `doc` as its help, with ``--output`` and ``--report-only``."""
    out = argparse.ArgumentParser(prog=f"python -m {module}", description=doc,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    out.add_argument("--output", default=RESULTS, help="results folder (default: "
                                                       "benchmarks/results)")
    out.add_argument("--report-only", action="store_true",
                     help="run nothing: re-write the .md (and figures) from the stored .json")
    return out


def machine() -> dict:
    """What a measurement ran on: ``{"cpus", "memory_gib", "platform"}``."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"cpus": os.cpu_count(), "memory_gib": round(memory), "platform": platform.platform()}


def produced_by(payload: dict) -> str:
    """A report's provenance line (no full stop): ``Produced by `<command>` at commit ...,
    TensorFlow ... on <machine>``; the machine only if recorded (older files: a string)."""
    where = payload.get("machine")
    where = f" on {where if isinstance(where, str) else json.dumps(where)}" if where else ""
    return f"Produced by {payload_origin(payload)}{where}"


def run_origins(runs: dict) -> list:
    """Markdown lines ``- <run>, <run>: `<command>` at commit ...``, one per recorded origin."""
    origins = {}
    for name, run in runs.items():
        origins.setdefault(describe((run or {}).get("provenance")), []).append(name)
    return [f"- {', '.join(names)}: {origin}" for origin, names in origins.items()]


def table(header: list, rows) -> list:
    """Markdown lines of a table: the `header` cells, then each row's (``["| a | b |", "|---|---|",
    "| 1 | x |"]`` for ``table(["a", "b"], [[1, "x"]])``)."""
    def line(cells):
        return "|" + "".join(f" {cell} |" if str(cell) else " |" for cell in cells)
    return [line(header), "|" + "---|" * len(header)] + [line(cells) for cells in rows]


def load(path: str, default=None):
    """The JSON content of `path`, or `default` when there is no such file."""
    if not os.path.exists(path):
        return default
    with open(path) as f:
        return json.load(f)


def publish(stem: str, payload: dict, markdown: Callable, figures: Optional[Callable] = None,
            echo: bool = True) -> str:
    """Writes ``<stem>.json`` then ``<stem>.md`` (each atomically: a failed write keeps the old
    file), draws the `figures`, prints the report if `echo`, returns it.

    Args:
        stem: the path without suffix, e.g. ``benchmarks/results/tools-ahns-seeds``.
        markdown: ``markdown(payload, stem) -> str``; `figures`: ``figures(payload, stem)``.
    """
    text = markdown(payload, stem)
    atomic_write_text(stem + ".json", json.dumps(payload, indent=1))
    atomic_write_text(stem + ".md", text)
    if figures:
        figures(payload, stem)
    if echo:
        print(text, end="")
    return text


def rerender(stem: str, markdown: Callable, figures: Optional[Callable] = None,
             argv: Optional[Sequence[str]] = None) -> int:
    """``--report-only``: the report of the stored ``<stem>.json``, left as it is (no committed
    number changes), with a line under the title naming this command beside the original one.
    Returns 0, or 2 (said on stderr) when there is no stored .json."""
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
