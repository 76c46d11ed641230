"""The ``pipelines.train`` flags and the docs' flag table, both read from `TrainConfig`'s fields.

Example:

```python
parser = argparse.ArgumentParser()
add_config_flags(parser)          # --dataset, --sampler, --alpha, ... with help and choices
print(markdown_table())           # docs/flags.md
```
"""

import argparse
import dataclasses

from ahns_tf.config.settings import SECTIONS, choices_of, flag, kind_of
from ahns_tf.config.train_config import TrainConfig


def _help(field) -> str:
    text = field.metadata["help"]
    if field.default is not None and "default" not in text:
        text += f" (default: {_shown(field.default)})"
    return text.replace("%", "%%")  # argparse formats help with %


def _shown(value) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, tuple):
        return " ".join(map(str, value))
    return str(value)


def add_config_flags(parser: argparse.ArgumentParser) -> None:
    """Adds one flag per `TrainConfig` field, each defaulting to None ("not given").

    Values are typed (int, float, str; ``--ks`` takes several integers;
    ``--refit`` is a switch) and choices are checked by argparse; bounds are
    checked by `TrainConfig.resolved`.
    """
    for field in dataclasses.fields(TrainConfig):
        kind = kind_of(TrainConfig, field.name)
        if kind is bool:
            parser.add_argument(flag(field.name), action="store_true", default=None,
                                help=_help(field))
        elif kind is tuple:
            parser.add_argument(flag(field.name), type=int, nargs="+", default=None,
                                help=_help(field))
        else:
            parser.add_argument(flag(field.name), type=kind, default=None,
                                choices=choices_of(field), help=_help(field))


def config_values(args: argparse.Namespace) -> dict:
    """The `TrainConfig` fields given on the command line (those not None)."""
    return {f.name: getattr(args, f.name) for f in dataclasses.fields(TrainConfig)
            if getattr(args, f.name, None) is not None}


def markdown_table() -> str:
    """The flag table of docs/flags.md, one section per `SECTIONS` entry.

    Example:

    >>> "| `--num-candidates` |" in markdown_table()
    True
    """
    lines = ["# Training flags", "",
             "Every `python -m pipelines.train` flag, generated from `TrainConfig` "
             "(`ahns_tf/config/train_config.py`); `python -m pipelines.train --help` prints the "
             "same. A `--config FILE` takes the same names with `_` (`num_candidates`).", ""]
    fields = dataclasses.fields(TrainConfig)
    for section, title in SECTIONS.items():
        lines += [f"## {title}", "", "| flag | default | meaning |", "|---|---|---|"]
        for field in fields:
            if field.metadata["section"] != section:
                continue
            choices = choices_of(field)
            meaning = field.metadata["help"]
            if choices:
                meaning += " (one of: " + ", ".join(f"`{c}`" for c in choices) + ")"
            default = "" if field.default is None else f"`{_shown(field.default)}`"
            lines.append(f"| `{flag(field.name)}` | {default} | {meaning} |")
        lines.append("")
    return "\n".join(lines)


def all_flags() -> set:
    """Every flag name `add_config_flags` adds (for checking the docs)."""
    return {flag(f.name) for f in dataclasses.fields(TrainConfig)}
