"""One definition per setting: its default, help, type, choices and bounds.

`setting` declares a `TrainConfig` field together with everything said about
it; the ``pipelines.train`` flags (`ahns_tf.config.flags`), the ``--config``
file checks (`ahns_tf.config.file`), the value checks here and the docs'
flag table are all read from that one declaration.
"""

import dataclasses
import math
import typing

#: Sections of the flag table, in the order a run uses them.
SECTIONS = {
    "data": "Data sources: the paper's text format, your own logs, TFDS",
    "logs": "Columns of a log with raw ids",
    "split": "Filtering and splitting (every source)",
    "features": "Feature files and feature towers (--backbone towers)",
    "sampler": "Negative sampler",
    "model": "Model and optimizer",
    "training": "Training",
    "evaluation": "Evaluation and model selection",
    "output": "Output and export",
}


def setting(default, help: str, section: str, *, choices=None, minimum=None, above=None,
            maximum=None, identity: bool = True):
    """A dataclass field carrying its own documentation and checks.

    Args:
        default: the default value (None: unset; a per-dataset or per-method
            default may fill it in, see `TrainConfig.resolved`).
        help: one line for ``--help`` and the docs.
        section: a key of `SECTIONS`.
        choices: allowed values, or a function returning them (a registry's
            names, read when a flag is parsed or checked).
        minimum: smallest allowed value (``>=``).
        above: values must be greater than this (``>``).
        maximum: largest allowed value (``<=``).
        identity: False for a setting that does not change what a run
            computes (where files go, memory limits): a run resumed with
            another value is the same run.

    Returns:
        A `dataclasses.field`.
    """
    if section not in SECTIONS:
        raise ValueError(f"unknown section {section!r}")
    return dataclasses.field(default=default, metadata={
        "help": help, "section": section, "choices": choices, "minimum": minimum,
        "above": above, "maximum": maximum, "identity": identity})


def flag(name: str) -> str:
    """``num_candidates`` -> ``--num-candidates``."""
    return "--" + name.replace("_", "-")


def kind_of(cls, name: str) -> type:
    """The value type of a field: int, float, str, bool or tuple (Optional stripped).

    Example:

    >>> from ahns_tf.config import TrainConfig
    >>> kind_of(TrainConfig, "alpha"), kind_of(TrainConfig, "ks")
    (<class 'float'>, <class 'tuple'>)
    """
    hint = typing.get_type_hints(cls)[name]
    if typing.get_origin(hint) in (tuple, typing.Tuple):
        return tuple
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    return args[0] if args else hint


def choices_of(field) -> typing.Optional[tuple]:
    """A field's allowed values (registries are read now), or None."""
    choices = field.metadata.get("choices")
    return tuple(choices()) if callable(choices) else choices


def check_value(config, field) -> None:
    """Checks one field's value against its declared type, choices and bounds.

    Raises:
        ValueError: naming the flag and the value, e.g.
            ``--batch-size must be >= 1, got 0``.
    """
    value = getattr(config, field.name)
    if value is None:
        return
    meta, name = field.metadata, flag(field.name)
    kind = kind_of(type(config), field.name)
    if kind is float and not math.isfinite(float(value)):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    choices = choices_of(field)
    if choices is not None and value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(str, choices))}, got {value!r}")
    for op, bound in ((">=", meta.get("minimum")), (">", meta.get("above")),
                      ("<=", meta.get("maximum"))):
        if bound is not None and not compare(value, op, bound):
            raise ValueError(f"{name} must be {op} {bound}, got {value!r}")


def compare(value, op: str, bound) -> bool:
    """``value op bound`` for op in ``> >= < <=`` (NaN compares False).

    Example:

    >>> compare(0.5, ">", 0), compare(float("nan"), ">=", 0)
    (True, False)
    """
    return {">": value > bound, ">=": value >= bound, "<": value < bound,
            "<=": value <= bound}[op]


def identity_fields(cls) -> tuple:
    """Fields declared ``identity=False``: they do not change what a run computes."""
    return tuple(f.name for f in dataclasses.fields(cls) if not f.metadata.get("identity", True))


def folder_name(dataset: str) -> str:
    """The folder (and served model) name of a dataset: ``tfds:movielens/1m-ratings`` ->
    ``movielens-1m-ratings``; other names as they are.

    Example:

    >>> folder_name("tfds:movielens/1m-ratings"), folder_name("tools")
    ('movielens-1m-ratings', 'tools')
    """
    return dataset[5:].replace("/", "-") if dataset.startswith("tfds:") else dataset
