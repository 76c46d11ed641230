"""KerasTuner search, on validation, of the space a sampler declares (AHNS: alpha, beta, M;
and p, and LightGCN's layers)."""

import dataclasses
import json
import math
import os
from typing import Optional

from ahns_tf._keras_setup import use_legacy_keras

use_legacy_keras()  # before keras_tuner, which imports Keras
# pylint: disable=wrong-import-position
import keras_tuner  # noqa: E402

from ahns_tf.atomic import atomic_write_text  # noqa: E402
from ahns_tf.config import TrainConfig  # noqa: E402
from ahns_tf.registry import SAMPLERS  # noqa: E402
from ahns_tf.runs import NonFiniteLossError  # noqa: E402
from ahns_tf.training import build_model, load_for, train  # noqa: E402

#: AHNS's powers searched with ``search_p`` (the paper's p in {-1, -2}).
POWERS = (-1, -2)


class AHNSHyperModel(keras_tuner.HyperModel):
    """Declares the search space; `config_for` turns a trial's values into a TrainConfig.

    The space is the one the base config's sampler declares in
    `ahns_tf.registry.SAMPLERS` (``search``): for AHNS the paper's, ``alpha``
    and ``beta`` in {0.1, 0.2, ..., 1.0} and ``num_candidates`` (M) in
    {4, 8, 16, 32, 64}; plus ``p`` in {-1, -2} when `search_p`, otherwise ``p``
    stays the base config's. With `layers`, trials train the LightGCN backbone
    and ``layers`` (L) is searched among those values; ``0`` is MF exactly, so
    ``layers=(0, 1, 2, 3)`` searches the backbone too. Any other registered
    backbone of the base config is trained as it is.

    Args:
        base: the TrainConfig every trial starts from (dataset, sampler,
            backbone, epochs, ...).
        search_p: also search p (samplers that take p).
        layers: LightGCN propagation layers to search, e.g. ``(0, 1, 2, 3)``;
            None keeps the base config's backbone (MF by default).

    Example:

    ```python
    hm = AHNSHyperModel(TrainConfig(dataset="tools", epochs=30))
    hp = keras_tuner.HyperParameters(); hm.declare(hp)
    hm.config_for(hp, "/tmp/trial").alpha  # 0.1, the first value
    ```
    """

    def __init__(self, base: TrainConfig, search_p: bool = False, layers=None):
        super().__init__(name=base.sampler, tunable=True)
        self.base = dataclasses.replace(base, select_on="valid")
        if search_p and "p" not in SAMPLERS[base.sampler].params:
            raise ValueError(f"--search-p: --sampler {base.sampler} takes no p")
        self.search_p = search_p
        self.layers = None if layers is None else [int(v) for v in layers]
        if self.layers is not None:
            if not self.layers or min(self.layers) < 0:
                raise ValueError(f"--layers must list integers >= 0, got {layers!r}")
            self.base = dataclasses.replace(self.base, backbone="lightgcn")

    def declare(self, hp) -> dict:
        """Declares this search's hyperparameters on `hp`; returns their values for a trial."""
        values = {}
        for name, spec in SAMPLERS[self.base.sampler].info.get("search", {}).items():
            values[name] = (hp.Float(name, spec[1], spec[2], step=spec[3]) if spec[0] == "float"
                            else hp.Choice(name, list(spec[1])))
        if self.search_p:
            values["p"] = hp.Choice("p", list(POWERS))
        if self.layers is not None:
            values["layers"] = hp.Choice("layers", self.layers)
        return values

    def config_for(self, hp, output_dir: str) -> TrainConfig:
        values = {k: clean_value(v) for k, v in self.declare(hp).items()}
        return dataclasses.replace(self.base, output_dir=output_dir, **values)

    def build(self, hp):
        """Builds the Keras model of a trial (for inspection; the tuner trains via `train`)."""
        config = self.config_for(hp, "unused").resolved()
        return build_model(config, load_for(config))


def clean_value(value):
    """A grid value without float noise: 0.1 + 0.1 + 0.1 -> 0.3 (6 decimals kept).

    Example:

    >>> clean_value(0.30000000000000004), clean_value(8)
    (0.3, 8)
    """
    return round(value, 6) if isinstance(value, float) else value


class AHNSTuner(keras_tuner.engine.base_tuner.BaseTuner):
    """A tuner whose `run_trial` trains with `ahns_tf.training.train`.

    keras-tuner 1.4.8's stock `Tuner.run_trial` rejects tf-keras models when
    Keras 3 is installed (keras-tuner issue 1039), so this subclasses
    `BaseTuner` and overrides `run_trial`, the documented custom-training path.
    Each trial trains in ``<trial dir>/run`` (resumable), evaluates only the
    validation split (the test split is never read), and returns its
    validation metrics; a NaN/inf loss raises `FailedTrialError`, so the
    search goes on.

    Args:
        hypermodel: an `AHNSHyperModel`.
        oracle: a KerasTuner oracle (random, Bayesian or grid).
        **kwargs: passed to `BaseTuner` (directory, project_name, overwrite).
    """

    def __init__(self, hypermodel: AHNSHyperModel, oracle, **kwargs):
        super().__init__(oracle=oracle, hypermodel=hypermodel, **kwargs)

    def trial_config(self, trial) -> TrainConfig:
        run_dir = os.path.join(self.get_trial_dir(trial.trial_id), "run")
        return self.hypermodel.config_for(trial.hyperparameters, run_dir)

    def run_trial(self, trial, *args, **kwargs):
        config = self.trial_config(trial)
        try:
            result = train(config, export=False, verbose=0, evaluate_test=False)
        except NonFiniteLossError as e:
            raise keras_tuner.errors.FailedTrialError(str(e)) from e
        metrics = dict(result["valid"])
        if not all(math.isfinite(v) for v in metrics.values()):
            raise keras_tuner.errors.FailedTrialError(f"non-finite validation metrics {metrics}")
        return metrics


def make_oracle(kind: str, objective: str, max_trials: int, seed: int = 0):
    """The KerasTuner oracle for ``--tuner {bayesian,random,grid}``, maximising `objective`."""
    goal = keras_tuner.Objective(objective, direction="max")
    oracles = {"bayesian": keras_tuner.oracles.BayesianOptimizationOracle,
               "random": keras_tuner.oracles.RandomSearchOracle,
               "grid": keras_tuner.oracles.GridSearchOracle}
    if kind not in oracles:
        raise ValueError(f"--tuner must be one of {', '.join(oracles)}, got {kind!r}")
    return oracles[kind](objective=goal, max_trials=max_trials, seed=seed)


def completed_trials(tuner) -> list:
    """Completed trials as dicts of hyperparameters and metrics, best first (ties: lower id)."""
    name = tuner.oracle.objective.name
    rows = []
    for trial in tuner.oracle.trials.values():
        if trial.status != "COMPLETED":
            continue
        metrics = {m: trial.metrics.get_best_value(m) for m in trial.metrics.metrics}
        values = {k: clean_value(v) for k, v in trial.hyperparameters.values.items()}
        rows.append({"trial_id": trial.trial_id, **values, **metrics})
    return sorted(rows, key=lambda r: (-r.get(name, -math.inf), int(r["trial_id"])))


def write_best(tuner, path: str, dataset: str, origin: Optional[dict] = None,
               settings: Optional[dict] = None) -> dict:
    """Writes best.json: the winner under the training flags' names, with its objective
    (and ``select_metric``/``ks``, so a run from it selects epochs as the trials did), and
    `origin` (`ahns_tf.provenance.provenance` of the search's command) as ``provenance``.
    `settings` (the search's ``--config`` file) go beside them, so ``--config best.json``
    trains on the same log, features and flags as the trials."""
    rows = completed_trials(tuner)
    if not rows:
        raise RuntimeError("no trial completed; see the trial messages above")
    best = rows[0]
    names = tuple(tuner.oracle.trials[best["trial_id"]].hyperparameters.values) + ("p",)
    payload = {"hyperparameters": {k: best[k] for k in names if k in best},
               "objective": {"name": tuner.oracle.objective.name,
                             "value": best[tuner.oracle.objective.name], "split": "valid"},
               # Training flags beside the winner: `--config best.json` then chooses its epochs
               # on the metric the search maximised (over the same cut-offs), as each trial did.
               "select_metric": tuner.oracle.objective.name,
               "ks": list(tuner.hypermodel.base.ks),
               "dataset": dataset, "trial_id": best["trial_id"],
               "completed_trials": len(rows),
               "failed_trials": sum(t.status == "FAILED" for t in tuner.oracle.trials.values())}
    base = tuner.hypermodel.base
    if "p" not in payload["hyperparameters"] and "p" in SAMPLERS[base.sampler].params:
        payload["hyperparameters"]["p"] = base.p
    # --config best.json then trains the searched sampler and backbone
    payload["hyperparameters"].update(sampler=base.sampler, backbone=base.backbone)
    if origin is not None:
        payload["provenance"] = origin
    for key, value in (settings or {}).items():
        if key not in payload and key not in payload["hyperparameters"]:
            payload[key] = list(value) if isinstance(value, tuple) else value
    atomic_write_text(path, json.dumps(payload, indent=2))
    return payload
