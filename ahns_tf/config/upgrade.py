"""Stored configs (progress.json, metrics.json) of earlier versions, read in today's terms."""


def upgrade_saved(values: dict) -> dict:
    """A stored config dict (progress.json, metrics.json) in today's terms.

    Before ``--split`` applied to the text format, a text run stored the flag's
    then default ``random``, which meant the files' own split, ``given`` today.
    Such a dict is told by the absence of ``memory_budget_gb`` (recorded since
    the same version).

    Example:

    >>> upgrade_saved({"dataset": "tools", "data_file": None, "split": "random"})["split"]
    'given'
    """
    values = dict(values)
    text = not values.get("data_file") and not str(values.get("dataset", "")).startswith("tfds:")
    if "memory_budget_gb" not in values and text and values.get("split") == "random":
        values["split"] = "given"
    return values

