"""One definition of the training flags: --help, the checks, the docs table and every command
the README and docs show come from `TrainConfig`'s fields."""

import dataclasses
import glob
import json
import os
import re
import shlex

import pytest

from ahns_tf.config import TrainConfig
from ahns_tf.config.flags import markdown_table
from ahns_tf.config.settings import kind_of

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = [os.path.join(REPO, "README.md")] + sorted(glob.glob(os.path.join(REPO, "docs", "*.md")))


def test_docs_flag_table_is_generated_from_the_config():
    with open(os.path.join(REPO, "docs", "flags.md")) as f:
        written = f.read()
    assert written == markdown_table(), (
        "docs/flags.md is stale; regenerate it: python -c \"from ahns_tf.config.flags import "
        "markdown_table; print(markdown_table(), end='')\" > docs/flags.md")


def test_every_field_has_help_a_section_and_a_flag_in_the_table():
    table = markdown_table()
    for field in dataclasses.fields(TrainConfig):
        assert field.metadata.get("help"), field.name
        assert f"| `--{field.name.replace('_', '-')}` |" in table


def test_config_round_trips_through_json():
    config = TrainConfig(dataset="tools", ks=(10, 20), alpha=0.3, refit=True,
                         data_file="x.csv", split="temporal").resolved()
    stored = json.loads(json.dumps(config.to_json()))          # as metrics.json holds it
    assert TrainConfig.from_json(stored) == config
    assert kind_of(TrainConfig, "ks") is tuple and TrainConfig.from_json(stored).ks == (10, 20)


def test_from_json_names_an_unknown_setting():
    with pytest.raises(ValueError, match=r"unknown settings \['betta'\]"):
        TrainConfig.from_json({"betta": 0.1})


def test_a_text_run_stored_by_the_previous_version_keeps_its_files_split():
    # Before --split applied to the text format, its runs stored split "random" (the flag's
    # default then), meaning the files' own split; such a config has no memory_budget_gb.
    old = {k: v for k, v in TrainConfig(dataset="tools").to_json().items()
           if k != "memory_budget_gb"}
    old["split"] = "random"
    assert TrainConfig.from_json(old).resolved().split == "given"
    new = dict(old, memory_budget_gb=16.0)                     # today's: random means random
    assert TrainConfig.from_json(new).resolved().split == "random"


def _commands(module: str):
    """The argument lists of every `python -m <module>` command in the README and docs."""
    for path in DOCS:
        with open(path) as f:
            text = f.read().replace("\\\n", " ")              # join continued lines
        for line in text.splitlines():
            for match in re.finditer(rf"python -m {re.escape(module)}\b([^`|#]*)", line):
                words = shlex.split(match.group(1).replace("...", ""), posix=True)
                yield path, [w for w in words if not w.startswith(("<", "$")) and w != "--help"]


@pytest.mark.parametrize("module", ["pipelines.train", "pipelines.export", "tuning.search"])
def test_every_documented_command_parses(module):
    import importlib
    cli = importlib.import_module(module)
    parser = cli.build_parser()
    for action in parser._actions:  # a command may show only some flags; check those it shows
        action.required = False
    found = 0
    for path, words in _commands(module):
        flags = [w for w in words if w.startswith("--")]
        _, unknown = parser.parse_known_args(words)
        bad = [w for w in unknown if w.startswith("--")]
        assert not bad, f"{os.path.relpath(path, REPO)}: `python -m {module}` with unknown {bad}"
        found += bool(flags)
    assert found, f"no documented `python -m {module}` command found"
