"""Registries of samplers, backbones and data sources, by the names the flags use.

Each entry names its component as ``"module:attribute"`` and imports it only
when a model is built, so the configuration, its checks and ``--help`` work
without TensorFlow. An entry also says which `TrainConfig` fields the
component takes (``params``: only those reach its constructor), the defaults
it gives fields left unset, and the bounds it needs, so the flags, the config
checks, the tuner and warm starts pick a new component up from its entry.
Adding one is its module, one line here (or a `register` call in your own
code or test) and its test.

Example:

```python
from ahns_tf.registry import SAMPLERS
SAMPLERS.register("mine", "my_package.mine:MySelector", params=("alpha",))
# python -m pipelines.train --sampler mine ... now builds MySelector(alpha=...)
```
"""

import dataclasses
import importlib
from typing import Any, Callable, Dict, Tuple, Union


@dataclasses.dataclass(frozen=True)
class Entry:
    """One registered component.

    Attributes:
        name: the name used on the command line (``--sampler ahns``).
        target: ``"module:attribute"`` or the object itself (a class).
        params: `TrainConfig` fields passed to the constructor: a tuple of
            names, or a dict ``{field: constructor argument}``.
        defaults: values for fields left unset (None): ``{field: value}``,
            or per dataset ``{"*": {...}, "<dataset>": {...}}``.
        bounds: checks of this component's fields, ``(field, op, bound)``
            with op one of ``> >= < <=`` and bound a number or another
            field's name; `ahns_tf.config` names the flags when one fails.
        info: anything else the contract defines (see `SAMPLERS`, `BACKBONES`).
    """

    name: str
    target: Any
    params: Union[Tuple[str, ...], Dict[str, str]] = ()
    defaults: Dict[str, Any] = dataclasses.field(default_factory=dict)
    bounds: Tuple[Tuple[str, str, Any], ...] = ()
    info: Dict[str, Any] = dataclasses.field(default_factory=dict)

    def load(self):
        """The component (the class), imported on first use."""
        if not isinstance(self.target, str):
            return self.target
        module, _, attribute = self.target.partition(":")
        return getattr(importlib.import_module(module), attribute)

    def arguments(self, config) -> dict:
        """The constructor arguments this component takes from `config`.

        Example:

        >>> Entry("x", "m:X", params={"layers": "num_layers"}).arguments(
        ...     type("C", (), {"layers": 2})())
        {'num_layers': 2}
        """
        names = self.params if isinstance(self.params, dict) else {p: p for p in self.params}
        return {argument: getattr(config, field) for field, argument in names.items()}

    def defaults_for(self, dataset: str) -> dict:
        """The defaults of fields left unset, for `dataset` (per-dataset ones first)."""
        if "*" not in self.defaults:
            return dict(self.defaults)
        return dict(self.defaults.get(dataset, self.defaults["*"]))


class Registry:
    """Names -> `Entry`, in registration order.

    Args:
        kind: what it holds, for messages (``"sampler"``).
        flag: the flag that chooses one (``"--sampler"``).
    """

    def __init__(self, kind: str, flag: str):
        self.kind, self.flag = kind, flag
        self._entries: Dict[str, Entry] = {}

    def register(self, name: str, target, replace: bool = False, **fields) -> Entry:
        """Adds an entry (see `Entry` for the fields); returns it.

        Raises:
            ValueError: `name` is taken (pass ``replace=True`` to replace it).
        """
        if name in self._entries and not replace:
            raise ValueError(f"{self.kind} {name!r} is already registered; pick another name "
                             f"or pass replace=True")
        entry = Entry(name, target, **fields)
        self._entries[name] = entry
        return entry

    def unregister(self, name: str) -> None:
        """Removes an entry (e.g. a test's own); unknown names are ignored."""
        self._entries.pop(name, None)

    def names(self) -> tuple:
        """The registered names, in registration order."""
        return tuple(self._entries)

    def __contains__(self, name) -> bool:
        return name in self._entries

    def __getitem__(self, name: str) -> Entry:
        if name not in self._entries:
            raise ValueError(f"{self.flag} {name!r} is unknown; choose one of "
                             f"{', '.join(self._entries)}")
        return self._entries[name]


#: Negative selectors (`ahns_tf.samplers.selector.NegativeSelector` subclasses). Info:
#: ``num_candidates_from``: a field whose value is M (SSM uses its K uniform negatives);
#: ``search``: the tuner's space, ``{field: ("float", low, high, step) | ("choice", values)}``.
SAMPLERS = Registry("sampler", "--sampler")
SAMPLERS.register("rns", "ahns_tf.samplers.rns:RandomSelector", defaults={"num_candidates": 1})
SAMPLERS.register("ssm", "ahns_tf.samplers.ssm:SampledSoftmaxSelector", params=("num_negatives",),
                  info={"num_candidates_from": "num_negatives"})
SAMPLERS.register("dns", "ahns_tf.samplers.dns:DynamicSelector")
SAMPLERS.register("dns_mn", "ahns_tf.samplers.dns_mn:TopNRandomSelector", params=("top_n", "seed"),
                  bounds=(("top_n", "<=", "num_candidates"),))
SAMPLERS.register("mixgcf", "ahns_tf.samplers.mixgcf:PositiveMixingSelector", params=("seed",))
SAMPLERS.register("dens", "ahns_tf.samplers.dens:DisentangledSelector",
                  params=("dim", "alpha", "gamma"), defaults={"alpha": 0.5})
SAMPLERS.register("cuco", "ahns_tf.samplers.cuco:CurriculumSelector", params=("epochs",))
SAMPLERS.register("ahns", "ahns_tf.samplers.ahns:AdaptiveHardnessSelector",
                  params=("alpha", "beta", "p"),
                  # The reference README's settings (p = -2); other datasets get "*".
                  defaults={"*": {"alpha": 1.0, "beta": 0.1, "num_candidates": 32},
                            "ml-1m": {"alpha": 0.1, "beta": 0.4, "num_candidates": 16},
                            "phones": {"alpha": 1.0, "beta": 0.1, "num_candidates": 32},
                            "sports": {"alpha": 0.5, "beta": 0.1, "num_candidates": 32},
                            "tools": {"alpha": 1.0, "beta": 0.1, "num_candidates": 32}},
                  bounds=(("alpha", ">", 0), ("beta", ">", 0), ("p", "<", 0)),
                  # The paper's search space (Implementation Details), for `ahns_tf.tuner`.
                  info={"search": {"alpha": ("float", 0.1, 1.0, 0.1),
                                   "beta": ("float", 0.1, 1.0, 0.1),
                                   "num_candidates": ("choice", (4, 8, 16, 32, 64))}})

#: Backbones (`ahns_tf.models.backbones.Backbone` subclasses). Info, each a function of the
#: resolved config returning None (fine) or the reason it is refused:
#: ``refuse_sharding`` (--strategy parameter_server), ``refuse_warm_start`` (--warm-start: asked
#: of this run's config and of the earlier run's, read from its metrics.json); and
#: ``reads_features``: True if it reads --item-features / --user-features (`dataset.features`).
BACKBONES = Registry("backbone", "--backbone")
BACKBONES.register("mf", "ahns_tf.models.backbones:MatrixFactorization", params=("dim",))
BACKBONES.register(
    "lightgcn", "ahns_tf.models.lightgcn:LightGCN", params={"dim": "dim", "layers": "num_layers"},
    info={"refuse_sharding": lambda c: c.layers and (
              "--backbone lightgcn propagates over the whole tables every step, so sharding "
              "them over parameter servers saves nothing; use --strategy mirrored or "
              "multi_worker with LightGCN"),
          "refuse_warm_start": lambda c: (
              "--warm-start initialises MF embeddings; --backbone lightgcn saves propagated "
              "tables, which are not its layer-0 weights")})
BACKBONES.register(
    "towers", "ahns_tf.models.towers:FeatureTowers", params={"dim": "dim", "tower_dense": "dense"},
    info={"reads_features": True,
          "refuse_sharding": lambda c: (c.item_features or c.user_features) and (
              "--backbone towers computes its tables from whole feature tables every step, so "
              "sharding them over parameter servers saves nothing; use --strategy mirrored or "
              "multi_worker with feature towers"),
          "refuse_warm_start": lambda c: (c.item_features or c.user_features) and (
              "--warm-start copies id embeddings; a run with feature files saves embeddings "
              "that include its features, which are not its id weights")})

#: Data sources: functions ``config -> ahns_tf.data.log.Log`` (`ahns_tf.data.sources`). Info:
#: ``claims(config)``: whether the config names this source (the one with ``fallback`` is
#: asked last); ``raw_ids``: its ids are labels (a vocabulary, raw-id serving, warm starts);
#: ``given_split``: it comes with its own split (the default ``--split given``).
SOURCES = Registry("data source", "--data-file/--dataset")
SOURCES.register("file", "ahns_tf.data.sources:file_source",
                 info={"claims": lambda c: bool(c.data_file), "raw_ids": True})
SOURCES.register("tfds", "ahns_tf.data.sources:tfds_source",
                 info={"claims": lambda c: c.dataset.startswith("tfds:"), "raw_ids": True})
SOURCES.register("text", "ahns_tf.data.sources:text_source",
                 info={"claims": lambda c: True, "fallback": True, "given_split": True})


def source_of(config) -> Entry:
    """The `SOURCES` entry that reads `config`'s data (a fallback entry is asked last).

    Example:

    >>> from ahns_tf.config import TrainConfig
    >>> source_of(TrainConfig(dataset="mylog", data_file="mylog.csv")).name
    'file'
    """
    entries = sorted((SOURCES[n] for n in SOURCES.names()),
                     key=lambda e: bool(e.info.get("fallback")))
    return next(e for e in entries if e.info["claims"](config))
