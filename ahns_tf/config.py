"""Training configuration: one dataclass, its defaults, and its validation."""

import dataclasses
import math
from typing import Optional, Tuple

from ahns_tf.data.split_log import SPLITS
from ahns_tf.samplers import METHODS

#: The reference README's AHNS settings (p = -2), used when a flag is not given.
AHNS_DEFAULTS = {
    "ml-1m": {"alpha": 0.1, "beta": 0.4, "num_candidates": 16},
    "phones": {"alpha": 1.0, "beta": 0.1, "num_candidates": 32},
    "sports": {"alpha": 0.5, "beta": 0.1, "num_candidates": 32},
    "tools": {"alpha": 1.0, "beta": 0.1, "num_candidates": 32},
}
#: --optimizer values: dense Adam (the reference's update, every row every step), lazy Adam
#: (only the rows in the batch; cost independent of the tables, a different update), or auto:
#: dense Adam up to AUTO_SPARSE_ROWS table rows, lazy Adam above
#: (`ahns_tf.models.optimizers.choose_optimizer`).
OPTIMIZERS = ("auto", "adam", "lazy_adam")
#: --strategy values (`ahns_tf.distribute`): one device, MirroredStrategy,
#: MultiWorkerMirroredStrategy (TF_CONFIG), ParameterServerStrategy (sharded tables).
STRATEGIES = ("none", "mirrored", "multi_worker", "parameter_server")
#: --backbone values: matrix factorization (the paper's) or LightGCN (--layers propagations).
BACKBONES = ("mf", "lightgcn")
GENERIC_AHNS_DEFAULTS = {"alpha": 1.0, "beta": 0.1, "num_candidates": 32}
#: Candidates per method when --num-candidates is not given (SSM: --num-negatives).
DEFAULT_NUM_CANDIDATES = {"rns": 1}
#: DENS's alpha (weight of the whole candidate in its selection score) when not given.
DENS_DEFAULT_ALPHA = 0.5
#: Upper bound of M (--num-candidates, and SSM's --num-negatives). Each step scores
#: batch_size x M candidates; the paper searches M <= 64, and 10,000,000 would take hours
#: per epoch, so larger values are refused.
MAX_NUM_CANDIDATES = 1024
#: Float settings; each must be a finite number (inf and nan are refused).
FLOAT_FIELDS = ("alpha", "beta", "p", "gamma", "temperature", "lr", "l2", "validation_fraction",
                "min_rating", "test_ratio", "valid_ratio")
#: --split values for logs with raw ids (--data-file, tfds:NAME).
LOG_SPLITS = SPLITS


@dataclasses.dataclass
class TrainConfig:
    """Everything a training run depends on; stored in metrics.json.

    ``None`` fields take per-dataset / per-method defaults in `resolved()`.
    Field names match the ``pipelines.train`` flags (``num_candidates`` is
    ``--num-candidates``, the paper's M).

    Example:

    >>> TrainConfig(dataset="tools").resolved().num_candidates
    32
    """

    dataset: str = "tools"
    data_dir: Optional[str] = None
    sampler: str = "ahns"
    alpha: Optional[float] = None
    beta: Optional[float] = None
    p: float = -2.0
    num_candidates: Optional[int] = None
    num_negatives: int = 4
    top_n: int = 1
    gamma: float = 0.5
    temperature: float = 1.0
    epochs: int = 100
    batch_size: int = 2048
    lr: float = 1e-3
    l2: float = 1e-4
    dim: int = 64
    eval_every: int = 5
    patience: int = 10
    select_on: str = "valid"
    select_metric: str = "recall@20"
    ks: Tuple[int, ...] = (20, 50)
    validation_fraction: float = 0.1
    num_users: Optional[int] = None
    num_items: Optional[int] = None
    seed: int = 2024
    top_k: int = 20
    output_dir: Optional[str] = None
    export_dir: Optional[str] = None
    eval_batch_size: int = 4096
    eval_users: Optional[int] = None
    steps_per_execution: int = 8
    optimizer: str = "auto"
    backbone: str = "mf"
    layers: int = 3
    # Logs with raw ids (--data-file, --dataset tfds:NAME); see ahns_tf/data/log_dataset.py.
    data_file: Optional[str] = None
    user_col: str = "user_id"
    item_col: str = "item_id"
    time_col: Optional[str] = None      # None: "timestamp" when the log has it
    rating_col: Optional[str] = None
    min_rating: Optional[float] = None
    min_user_interactions: int = 1
    min_item_interactions: int = 1
    split: str = "random"
    test_ratio: float = 0.2
    valid_ratio: float = 0.1
    tfds_data_dir: Optional[str] = None
    warm_start: Optional[str] = None
    refit: bool = False
    strategy: str = "none"
    cpu_devices: Optional[int] = None
    local_cluster: Optional[str] = None

    def resolved(self) -> "TrainConfig":
        """A copy with defaults filled in and every value checked.

        Raises:
            ValueError: an invalid value; the message names the flag and value.
        """
        c = dataclasses.replace(self)
        c.ks = tuple(int(k) for k in c.ks)
        if c.sampler not in METHODS:
            raise ValueError(f"--sampler {c.sampler!r} is unknown; choose one of {', '.join(METHODS)}")
        if c.sampler == "ahns":
            defaults = AHNS_DEFAULTS.get(c.dataset, GENERIC_AHNS_DEFAULTS)
            for name, value in defaults.items():
                if getattr(c, name) is None:
                    setattr(c, name, value)
        if c.sampler == "dens" and c.alpha is None:
            c.alpha = DENS_DEFAULT_ALPHA
        if c.sampler == "ssm":
            if c.num_candidates not in (None, c.num_negatives):
                raise ValueError(f"SSM uses its {c.num_negatives} (--num-negatives) uniform "
                                 f"candidates as negatives; drop --num-candidates "
                                 f"{c.num_candidates}")
            c.num_candidates = c.num_negatives
        if c.num_candidates is None:
            c.num_candidates = DEFAULT_NUM_CANDIDATES.get(c.sampler, 32)
        # tfds:movielens/1m-ratings -> movielens-1m-ratings: one folder, a TF Serving model name
        name = c.dataset[5:].replace("/", "-") if c.dataset.startswith("tfds:") else c.dataset
        c.output_dir = c.output_dir or f"runs/{name}-{c.sampler}"
        c.export_dir = c.export_dir or f"saved_models/{name}"
        _check(c)
        return c

    def to_json(self) -> dict:
        return dataclasses.asdict(self)


def _positive(name, value, kind=float):
    if not kind(value) > 0:
        raise ValueError(f"--{name.replace('_', '-')} must be > 0, got {value!r}")


def _check(c: TrainConfig) -> None:
    for name in FLOAT_FIELDS:
        value = getattr(c, name)
        if value is not None and not math.isfinite(float(value)):
            raise ValueError(f"--{name.replace('_', '-')} must be a finite number, got {value!r}")
    if c.sampler == "ahns":
        _positive("alpha", c.alpha)
        _positive("beta", c.beta)
        if not float(c.p) < 0:
            raise ValueError(f"--p must be < 0 for AHNS, got {c.p!r}")
    for name in ("num_users", "num_items", "eval_users"):
        if getattr(c, name) is not None and int(getattr(c, name)) < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(c, name)!r}")
    if c.sampler == "dns_mn" and not 1 <= c.top_n <= c.num_candidates:
        raise ValueError(f"--top-n must be in [1, --num-candidates={c.num_candidates}], "
                         f"got {c.top_n!r}")
    _positive("temperature", c.temperature)
    if not float(c.gamma) >= 0:
        raise ValueError(f"--gamma must be >= 0, got {c.gamma!r}")
    for name in ("num_negatives", "top_n", "num_candidates", "epochs", "batch_size", "dim", "eval_every", "top_k",
                 "eval_batch_size", "steps_per_execution"):
        if int(getattr(c, name)) < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(c, name)!r}")
    for name in ("num_negatives", "num_candidates"):  # SSM: M = --num-negatives
        if int(getattr(c, name)) > MAX_NUM_CANDIDATES:
            raise ValueError(f"--{name.replace('_', '-')} must be <= {MAX_NUM_CANDIDATES}, "
                             f"got {getattr(c, name)!r}")
    _positive("lr", c.lr)
    if not float(c.l2) >= 0:
        raise ValueError(f"--l2 must be >= 0, got {c.l2!r}")
    if c.patience < 0:
        raise ValueError(f"--patience must be >= 0, got {c.patience!r}")
    if c.backbone not in BACKBONES:
        raise ValueError(f"--backbone must be one of {', '.join(BACKBONES)}, got {c.backbone!r}")
    if int(c.layers) < 0:
        raise ValueError(f"--layers must be >= 0, got {c.layers!r}")
    if c.optimizer not in OPTIMIZERS:
        raise ValueError(f"--optimizer must be one of {', '.join(OPTIMIZERS)}, "
                         f"got {c.optimizer!r}")
    _check_strategy(c)
    if c.select_on not in ("valid", "test"):
        raise ValueError(f"--select-on must be 'valid' or 'test', got {c.select_on!r}")
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
    if metric not in ("recall", "ndcg", "precision", "hit_rate") or not k.isdigit() \
            or int(k) not in c.ks:
        raise ValueError(f"--select-metric must be <metric>@<k> with k in --ks {c.ks}, "
                         f"got {c.select_metric!r}")


def _check_strategy(c: TrainConfig) -> None:
    """--strategy and the flags that go with it (`ahns_tf.distribute`)."""
    if c.strategy not in STRATEGIES:
        raise ValueError(f"--strategy must be one of {', '.join(STRATEGIES)}, got {c.strategy!r}")
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
    if c.strategy == "parameter_server":
        if c.backbone == "lightgcn" and c.layers:
            raise ValueError("--backbone lightgcn propagates over the whole tables every step, "
                             "so sharding them over parameter servers saves nothing; use "
                             "--strategy mirrored or multi_worker with LightGCN")


def _check_log_settings(c: TrainConfig) -> None:
    """Checks the flags of logs with raw ids (--data-file, tfds:NAME, --split, ...)."""
    if c.split not in LOG_SPLITS:
        raise ValueError(f"--split must be one of {', '.join(LOG_SPLITS)}, got {c.split!r}")
    if not 0 < c.test_ratio < 1 or not 0 <= c.valid_ratio < 1 or \
            c.test_ratio + c.valid_ratio >= 1:
        raise ValueError(f"--test-ratio must be in (0, 1) and --valid-ratio in [0, 1), with a "
                         f"sum below 1; got {c.test_ratio!r} and {c.valid_ratio!r}")
    for name in ("min_user_interactions", "min_item_interactions"):
        if int(getattr(c, name)) < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(c, name)!r}")
    if c.dataset.startswith("tfds:") and (c.data_file or len(c.dataset) == len("tfds:")):
        raise ValueError(f"--dataset {c.dataset!r}: give a TFDS name after 'tfds:' (e.g. "
                         f"tfds:movielens/1m-ratings), without --data-file")
    logs = bool(c.data_file) or c.dataset.startswith("tfds:")
    if c.warm_start and not logs:
        raise ValueError("--warm-start needs a log with raw ids (--data-file or --dataset "
                         "tfds:NAME): rows are matched by raw id")
    if c.warm_start and c.strategy == "parameter_server":
        raise ValueError("--warm-start with --strategy parameter_server is not supported "
                         "(sharded tables); warm-start with --strategy none or mirrored")
    if c.warm_start and c.backbone != "mf":
        raise ValueError(f"--warm-start initialises MF embeddings; --backbone {c.backbone} "
                         f"saves propagated tables, which are not its layer-0 weights")
