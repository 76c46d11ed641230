"""Checks of a resolved `TrainConfig`: each field's declared bounds, then how fields go together.

Every message names the flag(s) and the value received, so ``pipelines.train``
can exit 2 with it before any data is read.
"""

import dataclasses

from ahns_tf.config.settings import check_value, compare, flag
from ahns_tf.data.read_columns import distinct_columns
from ahns_tf.registry import BACKBONES, SAMPLERS, source_of

#: The metrics ``--select-metric`` may name.
SELECT_METRICS = ("recall", "ndcg", "precision", "hit_rate")


def check(c) -> None:
    """Raises ValueError at the first problem of the resolved config `c`.

    Example:

    ```python
    check(TrainConfig(dataset="tools").resolved())  # passes
    ```
    """
    for field in dataclasses.fields(c):
        check_value(c, field)
    _check_component(c, "sampler", SAMPLERS[c.sampler])
    _check_component(c, "backbone", BACKBONES[c.backbone])
    _check_strategy(c)
    if c.refit not in (True, False):
        raise ValueError(f"--refit must be true or false, got {c.refit!r}")
    if c.refit and c.select_on != "valid":
        raise ValueError("--refit chooses the epochs on validation: drop --select-on test "
                         "(or --refit)")
    if not 0 < c.validation_fraction < 1:
        raise ValueError(f"validation_fraction must be in (0, 1), got {c.validation_fraction!r}")
    if not c.ks or min(c.ks) < 1:
        raise ValueError(f"--ks must be positive integers, got {c.ks!r}")
    _check_log_settings(c)
    metric, _, k = c.select_metric.partition("@")
    if metric not in SELECT_METRICS or not k.isdigit() or int(k) not in c.ks:
        raise ValueError(f"--select-metric must be <metric>@<k> with k in --ks {c.ks}, "
                         f"got {c.select_metric!r}")


def _check_component(c, kind: str, entry) -> None:
    """The bounds a sampler or backbone declares on its own fields (`ahns_tf.registry`)."""
    for name, op, bound in entry.bounds:
        value = getattr(c, name)
        limit = getattr(c, bound) if isinstance(bound, str) else bound
        if value is None or not compare(value, op, limit):
            shown = f"{flag(bound)}={limit}" if isinstance(bound, str) else bound
            raise ValueError(f"{flag(name)} must be {op} {shown} for --{kind} {entry.name}, "
                             f"got {value!r}")


def _check_strategy(c) -> None:
    """--strategy and the flags that go with it (`ahns_tf.training.strategy`)."""
    if c.cpu_devices is not None and (c.strategy != "mirrored" or int(c.cpu_devices) < 1):
        raise ValueError(f"--cpu-devices must be >= 1 and goes with --strategy mirrored; got "
                         f"--cpu-devices {c.cpu_devices!r} with --strategy {c.strategy}")
    if c.local_cluster is not None:
        if c.strategy != "parameter_server":
            raise ValueError(f"--local-cluster goes with --strategy parameter_server; got "
                             f"--local-cluster {c.local_cluster!r} with --strategy {c.strategy}")
        parts = str(c.local_cluster).split(",")
        if len(parts) != 2 or not all(p.strip().isdigit() and int(p) >= 1 for p in parts):
            raise ValueError(f"--local-cluster must be W,P with W workers >= 1 and P parameter "
                             f"servers >= 1, e.g. 2,2; got {c.local_cluster!r}")
    if c.refit and c.strategy in ("multi_worker", "parameter_server"):
        raise ValueError(f"--refit runs two trainings in one process, which is not supported "
                         f"with --strategy {c.strategy}; use --strategy none or mirrored, or "
                         f"train the selected number of epochs as a second job")
    refuse = BACKBONES[c.backbone].info.get("refuse_sharding")
    reason = refuse(c) if refuse and c.strategy == "parameter_server" else None
    if reason:
        raise ValueError(reason)


def _check_log_settings(c) -> None:
    """Checks the dataset name and the flags of logs (--data-file, tfds:NAME, --split, ...)."""
    name = c.dataset[len("tfds:"):] if c.dataset.startswith("tfds:") else c.dataset
    parts = name.replace("\\", "/").split("/")
    tfds = c.dataset.startswith("tfds:")
    if (name or not tfds) and ((not tfds and len(parts) > 1)
                               or any(p in ("", ".", "..") for p in parts)):
        raise ValueError(f"--dataset {c.dataset!r} is a name (of a folder in --data-dir, of the "
                         f"run and of its served model), not a path: use letters, digits, '-', "
                         f"'_' (a log file goes to --data-file)")
    if not 0 < c.test_ratio < 1 or not 0 <= c.valid_ratio < 1 or \
            c.test_ratio + c.valid_ratio >= 1:
        raise ValueError(f"--test-ratio must be in (0, 1) and --valid-ratio in [0, 1), with a "
                         f"sum below 1; got {c.test_ratio!r} and {c.valid_ratio!r}")
    if c.dataset.startswith("tfds:") and (c.data_file or len(c.dataset) == len("tfds:")):
        raise ValueError(f"--dataset {c.dataset!r}: give a TFDS name after 'tfds:' (e.g. "
                         f"tfds:movielens/1m-ratings), without --data-file")
    distinct_columns(c.user_col, c.item_col, c.time_col, c.rating_col)
    source = source_of(c)
    if c.split == "given" and not source.info.get("given_split"):
        raise ValueError(f"--split given: a {source.name} source comes without a split of its "
                         f"own; use --split random, leave_one_out or temporal")
    if c.warm_start and not source.info.get("raw_ids"):
        raise ValueError("--warm-start needs a log with raw ids (--data-file or --dataset "
                         "tfds:NAME): rows are matched by raw id")
    if c.warm_start and c.strategy == "parameter_server":
        raise ValueError("--warm-start with --strategy parameter_server is not supported "
                         "(sharded tables); warm-start with --strategy none or mirrored")
    for side in ("item", "user"):
        raw = source.info.get("raw_ids")
        if getattr(c, f"{side}_feature_kinds") and not getattr(c, f"{side}_features"):
            raise ValueError(f"--{side}-feature-kinds declares the columns of --{side}-features "
                             f"FILE; give the file too, or drop it")
        readers = [n for n in BACKBONES.names() if BACKBONES[n].info.get("reads_features")]
        if getattr(c, f"{side}_features") and (c.backbone not in readers or not raw):
            raise ValueError(f"--{side}-features goes with --backbone {' or '.join(readers)} and "
                             f"a log with raw ids (--data-file or --dataset tfds:NAME), got "
                             f"--backbone {c.backbone}" + ("" if raw else " and the text format"))
    refuse = BACKBONES[c.backbone].info.get("refuse_warm_start")
    reason = refuse(c) if refuse and c.warm_start else None
    if reason:
        raise ValueError(reason)
