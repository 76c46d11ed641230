"""Keras callback: periodic full-ranking evaluation, model selection, early stop."""

import math
import time

import numpy as np
import tensorflow as tf


class RankingEvaluationCallback(tf.keras.callbacks.Callback):
    """Evaluates every `eval_every` epochs, keeps the best weights, stops early.

    At each evaluation it ranks all items for the users of each split in
    `evaluators` (e.g. ``{"valid": ..., "test": ...}``), records a history
    entry per split, adds ``<split>_<metric>`` to the epoch logs (so the
    progress bar and TensorBoard show them), and keeps a copy of the weights
    when ``evaluators[select_on]``'s `select_metric` improves. Training stops
    after `patience` evaluations without improvement. At the end of training
    the best weights are restored.

    Args:
        backbone: layer with ``tables()`` returning (user_table, item_table).
        evaluators: dict split name -> `FullRankingEvaluator`.
        select_on: split used for selection; must be a key of `evaluators`.
        select_metric: e.g. ``"recall@20"`` (the reference code's choice).
        eval_every: evaluate after every this many epochs (and after the last).
        patience: evaluations without improvement before stopping; 0 = never.
        total_epochs: the planned number of epochs.

    Example:

    ```python
    cb = RankingEvaluationCallback(model.backbone, {"test": evaluator}, "test",
                                   eval_every=5, total_epochs=100)
    model.fit(ds, epochs=100, steps_per_epoch=n, callbacks=[cb])
    cb.best_epoch, cb.history
    ```
    """

    def __init__(self, backbone, evaluators: dict, select_on: str, select_metric: str = "recall@20",
                 eval_every: int = 5, patience: int = 10, total_epochs: int = 100):
        super().__init__()
        if select_on not in evaluators:
            raise ValueError(f"select_on={select_on!r} is not one of {sorted(evaluators)}")
        if int(eval_every) < 1:
            raise ValueError(f"eval_every must be >= 1, got {eval_every!r}")
        self.backbone = backbone
        self.evaluators = evaluators
        self.select_on = select_on
        self.select_metric = select_metric
        self.eval_every = int(eval_every)
        self.patience = int(patience)
        self.total_epochs = int(total_epochs)
        self.history = []  # a resumed run restores it with `load_state`
        self.best_epoch = None
        self.best_value = -math.inf
        self.best_weights = None
        self._bad_evals = 0
        self._epoch_start = None
        self.epoch_seconds = []  # training seconds of every epoch, evaluation excluded
        self.epoch_hardness = []  # mean hardness of the selected negatives, every epoch
        self.best_weights_changed = False  # set when best_weights was replaced this epoch

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()
        self.best_weights_changed = False

    def state(self) -> dict:
        """JSON-serialisable selection state (everything but the best weights)."""
        return {"history": self.history, "best_epoch": self.best_epoch,
                "best_value": None if self.best_epoch is None else self.best_value,
                "bad_evals": self._bad_evals, "epoch_seconds": self.epoch_seconds,
                "epoch_hardness": self.epoch_hardness}

    def load_state(self, state: dict, best_weights=None) -> None:
        """Restores what `state()` returned (and the best weights) when resuming."""
        self.history = list(state["history"])
        self.best_epoch = state["best_epoch"]
        self.best_value = -math.inf if state["best_value"] is None else state["best_value"]
        self._bad_evals = state["bad_evals"]
        self.epoch_seconds = list(state["epoch_seconds"])
        self.epoch_hardness = list(state.get("epoch_hardness", []))
        self.best_weights = best_weights

    def evaluate_now(self):
        """Evaluates all splits with the current weights; returns {split: metrics}."""
        # As whole tensors: a table sharded over parameter servers is concatenated once here.
        users, items = (tf.convert_to_tensor(t) for t in self.backbone.tables())
        out = {}
        for split, evaluator in self.evaluators.items():
            start = time.perf_counter()
            metrics = evaluator.evaluate(users, items)
            metrics["eval_seconds"] = time.perf_counter() - start
            out[split] = metrics
        return out

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        train_seconds = time.perf_counter() - self._epoch_start
        self.epoch_seconds.append(train_seconds)
        self.epoch_hardness.append(float(logs.get("hardness", np.nan)))
        done = epoch + 1  # epochs completed
        if done % self.eval_every and done != self.total_epochs:
            return
        for split, metrics in self.evaluate_now().items():
            entry = {"epoch": done, "split": split, **metrics,
                     "hardness": float(logs.get("hardness", np.nan)),
                     "loss": float(logs.get("loss", np.nan)),
                     "epoch_seconds": train_seconds}
            self.history.append(entry)
            for name, value in metrics.items():
                logs[f"{split}_{name}"] = value
            if split == self.select_on:
                value = metrics[self.select_metric]
                if value > self.best_value:
                    self.best_value, self.best_epoch = value, done
                    self.best_weights = [w.numpy().copy() for w in self.model.trainable_weights]
                    self.best_weights_changed = True
                    self._bad_evals = 0
                else:
                    self._bad_evals += 1
                    if self.patience and self._bad_evals >= self.patience:
                        print(f"\nEarly stop after epoch {done}: {self.select_on} "
                              f"{self.select_metric} has not improved for {self.patience} "
                              f"evaluations (best {self.best_value:.4f} at epoch {self.best_epoch}).")
                        self.model.stop_training = True

    def restore_best(self) -> None:
        """Loads the best weights seen into the model (no-op if none kept)."""
        if self.best_weights is not None:
            for variable, value in zip(self.model.trainable_weights, self.best_weights):
                variable.assign(value)
