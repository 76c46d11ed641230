"""`TrainConfig`: every setting of a training run, each declared once with its help and bounds."""

import dataclasses
import json
from typing import Optional, Tuple

from ahns_tf.config.settings import folder_name, setting
from ahns_tf.config.upgrade import upgrade_saved
from ahns_tf.data.split import SPLITS
from ahns_tf.registry import BACKBONES, SAMPLERS, source_of

#: --optimizer values (`ahns_tf.models.optimizers.choose_optimizer`).
OPTIMIZERS = ("auto", "adam", "lazy_adam")
#: --strategy values (`ahns_tf.training.strategy`).
STRATEGIES = ("none", "mirrored", "multi_worker", "parameter_server")
#: M when neither the flag nor the sampler's defaults set it.
DEFAULT_NUM_CANDIDATES = 32
#: Upper bound of M (--num-candidates, and SSM's --num-negatives). Each step scores
#: batch_size x M candidates; the paper searches M <= 64, and 10,000,000 would take hours
#: per epoch, so larger values are refused.
MAX_NUM_CANDIDATES = 1024


@dataclasses.dataclass
class TrainConfig:
    """Everything a training run depends on; stored in metrics.json.

    ``None`` fields take per-dataset / per-method defaults in `resolved()`.
    Field names match the ``pipelines.train`` flags (``num_candidates`` is
    ``--num-candidates``, the paper's M); each field's help, choices and
    bounds are declared with it (`ahns_tf.config.settings.setting`).

    Example:

    >>> TrainConfig(dataset="tools").resolved().num_candidates
    32
    """

    # -- data sources (the text format, --data-file, tfds:), filtering and splitting
    dataset: str = setting("tools", "ml-1m, phones, sports, tools, the name of your own folder in "
                           "--data-dir, or tfds:NAME", "data")
    data_dir: Optional[str] = setting(None, "folder with <dataset>/train.txt and test.txt "
                                      "(default: $AHNS_DATA_DIR, else ~/.cache/ahns_tf, where "
                                      "benchmark data is downloaded)", "data")
    num_users: Optional[int] = setting(None, "declared number of users; a larger id in the data "
                                       "is an error naming its line", "data", minimum=1)
    num_items: Optional[int] = setting(None, "declared number of items; a larger id in the data "
                                       "is an error naming its line", "data", minimum=1)
    validation_fraction: float = setting(0.1, "--select-on valid: share of train.txt held out "
                                         "(seeded; valid.txt is used instead when present)",
                                         "split")
    data_file: Optional[str] = setting(None, "a log with raw ids, one interaction a row: .csv, "
                                       ".tsv (.gz allowed) or .parquet with a header; --dataset "
                                       "then only names the run", "data")
    user_col: str = setting("user_id", "user id column", "logs")
    item_col: str = setting("item_id", "item id column", "logs")
    time_col: Optional[str] = setting(None, "time column, numbers or ISO 8601 (default: "
                                      "timestamp, when the log has it)", "logs")
    rating_col: Optional[str] = setting(None, "numeric rating column", "logs")
    min_rating: Optional[float] = setting(None, "keep interactions rated >= this (needs "
                                          "--rating-col)", "split")
    min_user_interactions: int = setting(1, "k-core: drop users with fewer interactions, "
                                         "repeatedly with --min-item-interactions", "split",
                                         minimum=1)
    min_item_interactions: int = setting(1, "k-core: drop items with fewer interactions",
                                         "split", minimum=1)
    split: Optional[str] = setting(None, "given (the source's own parts: the text format's "
                                   "files; its default), random (per user, seeded; the default "
                                   "for logs), leave_one_out (each user's last interaction by "
                                   "time is test, the one before it validation) or temporal "
                                   "(one global time cutoff)", "split", choices=SPLITS)
    test_ratio: float = setting(0.2, "random: share of each user's interactions for test; "
                                "temporal: share of all, the latest", "split")
    valid_ratio: float = setting(0.1, "random/temporal: share for validation under --select-on "
                                 "valid", "split")
    tfds_data_dir: Optional[str] = setting(None, "--dataset tfds:NAME: the TFDS data folder "
                                           "(read offline)", "data")
    # -- feature files (a log with raw ids; --backbone towers)
    item_features: Optional[str] = setting(None, "a CSV/TSV/Parquet file of item features, one "
                                           "row per item, keyed by the log's item id column",
                                           "features")
    user_features: Optional[str] = setting(None, "a CSV/TSV/Parquet file of user features, one "
                                           "row per user, keyed by the log's user id column",
                                           "features")
    item_feature_kinds: Optional[str] = setting(None, "kinds of item feature columns, e.g. "
                                                "title=text,genres=multi:|,year=number:10,"
                                                "zip=skip (category, multi, number, text, "
                                                "skip); the others are inferred", "features")
    user_feature_kinds: Optional[str] = setting(None, "kinds of user feature columns, as "
                                                "--item-feature-kinds", "features")
    tower_dense: bool = setting(False, "pass each tower's sum through a dense layer of --dim "
                                "units", "features")
    # -- negative sampler
    sampler: str = setting("ahns", "negative sampler", "sampler", choices=SAMPLERS.names)
    alpha: Optional[float] = setting(None, "AHNS alpha > 0 (default: the reference setting for "
                                     "the dataset); DENS alpha (default 0.5)", "sampler")
    beta: Optional[float] = setting(None, "AHNS beta > 0 (default: the reference setting for the "
                                    "dataset)", "sampler")
    p: float = setting(-2.0, "AHNS power p < 0", "sampler")
    num_negatives: int = setting(4, "SSM: K uniform negatives in the sampled-softmax loss",
                                 "sampler", minimum=1, maximum=MAX_NUM_CANDIDATES)
    num_candidates: Optional[int] = setting(None, "M, candidate negatives per positive (default: "
                                            "per dataset / sampler, else 32)", "sampler",
                                            minimum=1, maximum=MAX_NUM_CANDIDATES)
    top_n: int = setting(1, "DNS(M, N): pick uniformly among the top N of the M candidates",
                         "sampler", minimum=1)
    gamma: float = setting(0.5, "DENS: weight of the disentangling loss", "sampler", minimum=0.0)
    temperature: float = setting(1.0, "scores are divided by it in the loss (SSM's "
                                 "temperature)", "sampler", above=0.0)
    # -- model and optimizer
    backbone: str = setting("mf", "mf: matrix factorization (the paper's); lightgcn: embeddings "
                            "propagated over the training graph (--layers times)", "model",
                            choices=BACKBONES.names)
    layers: int = setting(3, "LightGCN: propagation layers L (0 is MF exactly)", "model",
                          minimum=0)
    dim: int = setting(64, "embedding size", "model", minimum=1)
    optimizer: str = setting("auto", "adam: dense Adam as in the reference code (every row moves "
                             "every step); lazy_adam: only the rows in the batch (a different "
                             "update); auto: adam up to 100,000 user+item rows, lazy_adam above",
                             "model", choices=OPTIMIZERS)
    lr: float = setting(1e-3, "learning rate", "model", above=0.0)
    l2: float = setting(1e-4, "weight of the L2 term on the embeddings of a step", "model",
                        minimum=0.0)
    memory_budget_gb: float = setting(16.0, "refuse an id range whose embedding tables and Adam "
                                      "slots, (users + items) x dim x 4 bytes x 3, exceed this "
                                      "many GB", "model", above=0.0, identity=False)
    # -- training
    epochs: int = setting(100, "training epochs (at most: see --patience)", "training",
                          minimum=1)
    batch_size: int = setting(2048, "(user, positive item) pairs per step, over all replicas",
                              "training", minimum=1)
    seed: int = setting(2024, "data split, initialisation, shuffling and sampling are all "
                        "functions of it", "training")
    steps_per_execution: int = setting(8, "training steps per call of the compiled step",
                                       "training", minimum=1)
    strategy: str = setting("none", "tf.distribute strategy: none (one device), mirrored (all GPUs "
                            "of this machine, or --cpu-devices N), multi_worker (machines listed "
                            "in TF_CONFIG), parameter_server (tables sharded over parameter "
                            "servers; TF_CONFIG or --local-cluster)", "training",
                            choices=STRATEGIES)
    cpu_devices: Optional[int] = setting(None, "--strategy mirrored: split the CPU into N "
                                         "logical devices (no GPU; each brings its own "
                                         "threads and memory, so at most 64)", "training",
                                         minimum=1, maximum=64)
    local_cluster: Optional[str] = setting(None, "--strategy parameter_server: start W workers "
                                           "and P parameter servers in this process on "
                                           "127.0.0.1, as 'W,P' (trials and tests)", "training")
    warm_start: Optional[str] = setting(None, "RUN_DIR of an earlier --data-file/tfds run: ids "
                                        "seen there start from their embeddings, new ids from "
                                        "fresh ones", "training")
    refit: bool = setting(False, "choose the epochs on validation, retrain on all of train for "
                          "that many epochs, then evaluate test once (needs --select-on valid)",
                          "training")
    # -- evaluation and model selection
    eval_every: int = setting(5, "evaluate every N epochs", "evaluation", minimum=1)
    patience: int = setting(10, "evaluations without improvement before stopping (0: never stop "
                            "early)", "evaluation", minimum=0)
    select_on: str = setting("valid", "split that picks the best epoch: valid (a validation "
                             "split) or test (the reference code's protocol: all of train.txt, "
                             "best epoch on test)", "evaluation", choices=("valid", "test"))
    select_metric: str = setting("recall@20", "metric that picks the best epoch, <metric>@<k> "
                                 "with k in --ks", "evaluation")
    ks: Tuple[int, ...] = setting((20, 50), "cut-offs K of the metrics", "evaluation")
    eval_batch_size: int = setting(4096, "users ranked at a time", "evaluation", minimum=1)
    eval_users: Optional[int] = setting(None, "evaluate a fixed, seeded sample of this many users "
                                        "per split (large catalogues; default: all users with "
                                        "held-out items)", "evaluation", minimum=1)
    # -- output and export
    output_dir: Optional[str] = setting(None, "where metrics.json, checkpoints and TensorBoard "
                                        "logs go (default: runs/<dataset>-<sampler>)", "output",
                                        identity=False)
    export_dir: Optional[str] = setting(None, "SavedModel base path (default: "
                                        "saved_models/<dataset>)", "output", identity=False)
    top_k: int = setting(20, "items returned by the exported serving signature", "output",
                         minimum=1)

    def resolved(self) -> "TrainConfig":
        """A copy with defaults filled in and every value checked.

        Raises:
            ValueError: an invalid value; the message names the flag and value.
        """
        from ahns_tf.config.checks import check  # pylint: disable=g-import-not-at-top
        c = dataclasses.replace(self)
        c.ks = tuple(int(k) for k in c.ks)
        entry = SAMPLERS[c.sampler]
        for name, value in entry.defaults_for(c.dataset).items():
            if getattr(c, name) is None:
                setattr(c, name, value)
        source = entry.info.get("num_candidates_from")
        if source:  # SSM: its K uniform negatives are its candidates
            if c.num_candidates not in (None, getattr(c, source)):
                raise ValueError(f"--sampler {c.sampler} uses its {getattr(c, source)} "
                                 f"(--{source.replace('_', '-')}) uniform candidates as "
                                 f"negatives; drop --num-candidates {c.num_candidates}")
            c.num_candidates = getattr(c, source)
        if c.num_candidates is None:
            c.num_candidates = DEFAULT_NUM_CANDIDATES
        if c.split is None:  # the source's own split if it has one
            c.split = "given" if source_of(c).info.get("given_split") else "random"
        name = folder_name(c.dataset)
        c.output_dir = c.output_dir or f"runs/{name}-{c.sampler}"
        c.export_dir = c.export_dir or f"saved_models/{name}"
        check(c)
        return c

    def to_json(self) -> dict:
        """The settings as a JSON-able dict (``ks`` as a list once dumped).

        Example:

        >>> TrainConfig(dataset="tools").to_json()["dataset"]
        'tools'
        """
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, values: dict) -> "TrainConfig":
        """The config a stored ``to_json()`` dict describes (progress.json, metrics.json).

        Settings added since the dict was written take their defaults.

        Raises:
            ValueError: a key that is no setting (named).

        Example:

        >>> TrainConfig.from_json(json.loads(json.dumps(TrainConfig().to_json()))).ks
        (20, 50)
        """
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise ValueError(f"unknown settings {unknown}: written by another version of "
                             f"ahns-tf?")
        values = upgrade_saved(values)
        if values.get("ks") is not None:
            values["ks"] = tuple(values["ks"])
        return cls(**values)

