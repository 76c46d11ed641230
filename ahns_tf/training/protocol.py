"""`train`: one run, or the honest protocol (epochs chosen on validation, retrained, test once).

`train` runs a config as it says: one ordinary run (`ahns_tf.training.run`),
or, with ``--refit``, two of them. The paper (and the reference code) pick
each run's best epoch on the test split. ``--select-on valid`` picks it on a
validation split instead (a held-out 10% of train.txt by default,
``valid.txt`` if present, or the ``--split``/``--valid-ratio`` part), but then
trains without it. ``--refit`` closes that gap, as scikit-learn's ``refit``
does for a grid search:

1. **select**: train without the validation split, evaluating on it every
   ``eval_every`` epochs; the test split is never evaluated (its result has no
   ``test`` entry). The best validation epoch ``E`` is kept.
2. **refit**: train afresh on all of train.txt (with the folder's
   ``valid.txt`` when the epochs were chosen on one; a log: its training and
   validation parts) for exactly ``E`` epochs and evaluate the test split
   once, after the last epoch.

Each phase is an ordinary run in its own sub-folder (``select/``, ``refit/``;
``refit-with-valid/`` when the refit also trains on valid.txt)
with its own checkpoints, so an interrupted refit resumes where it stopped;
``<output_dir>/metrics.json`` holds the refit run's result, labelled with the
protocol and the selection run's validation metrics.
"""

import dataclasses
import json
import os

from ahns_tf.atomic import atomic_write_text
from ahns_tf.config import TrainConfig
from ahns_tf.data import sources
from ahns_tf.runs import RunConflictError, RunLock
from ahns_tf.runs.files import RunFiles
from ahns_tf.training import labels
from ahns_tf.training.inputs import load_for
from ahns_tf.training.run import run_once


def train(config: TrainConfig, dataset=None, export: bool = True, verbose=None,
          overwrite: bool = False, callbacks=(), evaluate_test: bool = True,
          command: str = None) -> dict:
    """Trains, selects the best epoch, writes metrics.json and exports a SavedModel.

    The run checkpoints every epoch into ``config.output_dir``; calling `train`
    again with the same config resumes after the last completed epoch (see
    `ahns_tf.runs.checkpoint`), and a finished run returns its metrics.json.
    Before any training, the output (and export) folders are checked to be
    writable and the data to fit the settings (`ahns_tf.data.checks`); the
    run then holds an exclusive lock on ``config.output_dir`` until it returns.
    With ``config.refit`` it is two such runs (`train_with_refit`).

    Args:
        config: the run's configuration (resolved here).
        dataset: a preloaded dataset; loaded from `config` when None.
        export: write the SavedModel to ``config.export_dir``.
        verbose: Keras verbosity; defaults to a progress bar on a terminal and
            one line per epoch otherwise.
        overwrite: discard an earlier run in ``config.output_dir`` instead of
            resuming it.
        callbacks: extra Keras callbacks, run before the checkpointing ones.
        evaluate_test: set False to never touch the test split (hyperparameter
            searches); needs ``select_on='valid'``; the result then has no
            ``test`` entry.
        command: the command line recorded in the result's ``provenance``
            (`ahns_tf.provenance`); defaults to this process's.

    Returns:
        The content of ``<output_dir>/metrics.json``.

    Raises:
        RunConflictError: ``output_dir`` holds a run with other settings.
        RunLockedError: another process is using ``output_dir``.
        CorruptRunError: no kept checkpoint of ``output_dir`` can be read.
        UnwritableDirError: ``output_dir`` or ``export_dir`` cannot be written.
        DataSettingsError, DataFormatError: the data does not fit the settings.
        NonFiniteLossError: the loss or the weights became NaN/inf; the last
            good epoch's checkpoint is kept.

    Example:

    ```python
    result = train(TrainConfig(dataset="tools", data_dir="../shared/data/ahns"))
    result["test"]["recall@20"]
    ```
    """
    config = config.resolved()
    if not config.refit:
        return run_once(config, dataset, export=export, verbose=verbose, overwrite=overwrite,
                        callbacks=callbacks, evaluate_test=evaluate_test, command=command)
    if dataset is not None or not evaluate_test:
        raise ValueError("--refit loads its own splits and evaluates test once; call it "
                         "without a preloaded dataset or evaluate_test=False")
    return train_with_refit(config, export=export, overwrite=overwrite, verbose=verbose,
                            callbacks=callbacks, command=command)


def phase_dirs(output_dir: str, with_valid_file: bool = False) -> tuple:
    """The folders of the two phases' runs: ``(<output_dir>/select, <output_dir>/refit)``.

    A refit phase that also trains on the folder's valid.txt runs in
    ``refit-with-valid/`` instead, so a refit phase begun on train.txt alone
    (by a version that left valid.txt out) is never returned or resumed as
    if it had trained on both: its settings are the same, its data is not.
    """
    refit = "refit-with-valid" if with_valid_file else "refit"
    return os.path.join(output_dir, "select"), os.path.join(output_dir, refit)


def train_with_refit(config: TrainConfig, export: bool = True, overwrite: bool = False,
                     **train_kwargs) -> dict:
    """Runs the select and refit phases; returns the refit run's labelled metrics.

    Args:
        config: the run's configuration; needs ``select_on='valid'``.
        export: export the refit model (the selection model is never exported).
        overwrite: discard earlier runs of both phases.
        **train_kwargs: passed to `run_once` for both phases
            (``verbose``, ``callbacks``, ``command``).

    Returns:
        The content of ``<output_dir>/metrics.json``: the refit run's result
        with ``protocol`` (naming the validation split the epochs were chosen
        on), ``selected_on='valid+refit'`` and a ``refit`` entry
        (selected epoch, validation metrics at it, the two runs' folders).

    Raises:
        ValueError: ``select_on`` is not ``'valid'``.
        Everything `train` raises.

    Example:

    ```python
    result = train_with_refit(TrainConfig(dataset="tools", data_dir="../shared/data/ahns"))
    result["refit"]["selected_epoch"], result["test"]["recall@20"]
    ```
    """
    config = config.resolved()
    if config.select_on != "valid":
        raise ValueError(f"--refit chooses the epochs on validation: it needs --select-on "
                         f"valid, got {config.select_on!r}")
    valid_file = sources.valid_file(config)
    select_dir, refit_dir = phase_dirs(config.output_dir, with_valid_file=bool(valid_file))
    with RunLock(config.output_dir):  # the two runs and the labelled result, as one run
        top = RunFiles(config.output_dir)
        if os.path.isfile(os.path.join(config.output_dir, "progress.json")):
            if not overwrite:
                raise RunConflictError(
                    f"{config.output_dir} holds a run without --refit; --refit keeps its two "
                    f"runs in select/ and refit/ beside a result of its own: choose another "
                    f"--output-dir, or --overwrite")
            top.clear()
        return _select_then_refit(config, valid_file, select_dir, refit_dir, export, overwrite,
                                  train_kwargs)


def _select_then_refit(config, valid_file, select_dir, refit_dir, export, overwrite,
                       train_kwargs) -> dict:
    """`train_with_refit`'s two runs, holding the top folder's lock."""
    select = dataclasses.replace(config, refit=False, output_dir=select_dir)
    chosen = run_once(select.resolved(), export=False, overwrite=overwrite, evaluate_test=False,
                      **train_kwargs)
    epochs = int(chosen["best_epoch"])
    # The whole train.txt (select_on='test' holds nothing out), and the folder's valid.txt if
    # the epochs were chosen on one; evaluated only after epoch E.
    refit = dataclasses.replace(config, refit=False, select_on="test", epochs=epochs,
                                eval_every=epochs, patience=0, output_dir=refit_dir)
    dataset = load_for(refit, train_on_valid_file=True) if valid_file else None
    result = run_once(refit.resolved(), dataset=dataset, export=export, overwrite=overwrite,
                      **train_kwargs)
    # The split the selection run chose on (a run finished before metrics.json recorded it:
    # the config's words, assuming no valid.txt).
    validation = chosen.get("validation_split") or labels.validation_split(config, None)
    result = dict(result, config=config.to_json(),
                  protocol=labels.refit_protocol(
                      config, validation, valid_file and os.path.basename(valid_file)),
                  selected_on="valid+refit", validation_split=validation,
                  refit={"selected_epoch": epochs, "valid": chosen["valid"],
                         "select_dir": select.output_dir, "refit_dir": refit.output_dir})
    RunFiles(config.output_dir).record("metrics.json", os.path.basename(select.output_dir) + "/",
                                       os.path.basename(refit.output_dir) + "/")
    atomic_write_text(os.path.join(config.output_dir, "metrics.json"),
                      json.dumps(result, indent=2, sort_keys=True))
    return result
