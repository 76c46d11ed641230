"""What a run reports: the content of metrics.json, its one-screen summary, the embeddings file."""

import os

import numpy as np

from ahns_tf.atomic import atomic_savez
from ahns_tf.training import labels


def run_result(config, dataset, evaluation, evaluators, final: dict, model, run, origin: dict,
               train_seconds: float) -> dict:
    """The content of ``<output_dir>/metrics.json`` (without the export path).

    Args:
        config: the resolved `TrainConfig`.
        dataset: the `RecDataset` trained on.
        evaluation: the `RankingEvaluationCallback` (history, best epoch, timings).
        evaluators: ``{split: FullRankingEvaluator}``.
        final: ``{split: metrics}`` at the best epoch.
        model: the trained model (its optimizer's class is recorded).
        run: the `ResumableRun` (checkpoint timings, code fingerprints).
        origin: `ahns_tf.provenance.provenance` of this process.
        train_seconds: wall time of ``fit`` in this process.

    Returns:
        A JSON-able dict.
    """
    select_on = evaluation.select_on
    validation = labels.validation_split(config, labels.valid_file_name(dataset))
    result = {
        "config": config.to_json(),
        "provenance": dict(origin, code_fingerprints=run.code_fingerprints),
        "protocol": (labels.REFERENCE if select_on == "test"
                     else labels.selection_protocol(validation)),
        "selected_on": select_on,
        "optimizer": type(model.optimizer).__name__,  # what --optimizer (auto) resolved to
        "dataset": {"name": dataset.name, **dataset.stats()},
        "history": evaluation.history,
        "best_epoch": evaluation.best_epoch,
        "train_seconds": train_seconds,
        "epoch_seconds": evaluation.epoch_seconds,
        "epoch_hardness": evaluation.epoch_hardness,
        # saving best weights + checkpoint + progress after each epoch trained by this process
        "checkpoint_seconds": run.checkpoint_seconds,
        # the first epoch includes tracing the graph; the median skips that outlier
        "median_epoch_seconds": float(np.median(evaluation.epoch_seconds[1:] or
                                                evaluation.epoch_seconds)),
        "median_eval_seconds": {split: float(np.median(
            [h["eval_seconds"] for h in evaluation.history if h["split"] == split]))
            for split in evaluators},
        # Users ranked per split: all with held-out items, or a seeded sample (--eval-users).
        "evaluated_users": {split: {"evaluated": e.num_evaluated_users,
                                    "with_heldout_items": e.num_heldout_users}
                            for split, e in evaluators.items()},
    }
    for split in final:
        result[split] = {k: v for k, v in final[split].items() if k != "eval_seconds"}
    if select_on == "valid":  # what the epochs were chosen on (--refit's label reuses it)
        result["validation_split"] = validation
    return result


def save_embeddings(run_dir: str, user_table, item_table) -> str:
    """Saves the best epoch's embeddings as ``<run_dir>/embeddings.npz`` (atomically)."""
    return atomic_savez(os.path.join(run_dir, "embeddings.npz"),
                        user_embeddings=user_table, item_embeddings=item_table)


def summary(result: dict) -> str:
    """A one-screen text summary of a run's metrics.json content."""
    c = result["config"]
    lines = [f"ahns-tf run: {c['dataset']}  sampler={c['sampler']}"
             + (f" alpha={c['alpha']} beta={c['beta']} p={c['p']}" if c["sampler"] == "ahns" else "")
             + f"  M={c['num_candidates']}",
             f"protocol: {result['protocol']}" + "".join(
                 f"; {split}: a sample of {n['evaluated']} of {n['with_heldout_items']} users"
                 for split, n in result.get("evaluated_users", {}).items()
                 if n["evaluated"] < n["with_heldout_items"]),
             f"best epoch: {result['best_epoch']} of {c['epochs']}  "
             f"(median {result['median_epoch_seconds']:.2f} s per training epoch)",
             "test metrics at the best epoch:"]
    for name, value in sorted(result["test"].items()):
        lines.append(f"  {name:<14} {value:.4f}")
    if "written_by" in result:  # a multi-worker run's other worker
        lines.append("metrics.json, TensorBoard logs and the export are written by the chief")
        return "\n".join(lines)
    lines.append(f"metrics: {os.path.join(c['output_dir'], 'metrics.json')}")
    if "export_path" in result:
        lines.append(f"SavedModel: {result['export_path']}")
    return "\n".join(lines)
