"""Figures of the paper, drawn from runs' metrics.json contents (matplotlib, PNG)."""

import matplotlib

matplotlib.use("Agg")  # files only; no display needed
import matplotlib.pyplot as plt  # noqa: E402  pylint: disable=g-import-not-at-top

from ahns_tf.atomic import atomic_file  # noqa: E402  pylint: disable=g-import-not-at-top

FIG5_METHODS = ("rns", "dns", "dens", "ahns_p2")


def figure5(runs: dict, path: str, title: str = "") -> str:
    """Fig. 5: mean hardness per epoch and test NDCG@20 per evaluation.

    Args:
        runs: method name -> metrics.json content (uses RNS, DNS, DENS and
            AHNS_{p=-2} when present, else every run).
        path: PNG file to write.
        title: figure title.

    Returns:
        `path`.
    """
    chosen = {m: r for m, r in runs.items() if m in FIG5_METHODS} or runs
    first = next(iter(chosen.values()))["test"]
    ndcg = "ndcg@20" if "ndcg@20" in first else min(
        (k for k in first if k.startswith("ndcg@")), key=lambda k: int(k.split("@")[1]))
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for method, run in chosen.items():
        hardness = run.get("epoch_hardness", [])
        left.plot(range(1, len(hardness) + 1), hardness, label=method)
        points = [(h["epoch"], h[ndcg]) for h in run["history"] if h["split"] == "test"]
        if points:
            right.plot(*zip(*points), marker="o", markersize=3, label=method)
    left.set(xlabel="epoch", ylabel="mean hardness (s(u,i-) / s(u,i+))",
             title="hardness of selected negatives (axis clipped to [-0.5, 1.5])")
    right.set(xlabel="epoch", ylabel=f"test {ndcg.upper()}", title=ndcg.upper())
    # The first epochs divide by near-zero positive scores; keep the paper's range in view.
    left.set_ylim(-0.5, 1.5)
    for ax in (left, right):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    return save_figure(fig, path)


def figure7(runs: dict, path: str, title: str = "") -> str:
    """Fig. 7: median training seconds per epoch of each method (bar chart)."""
    methods = list(runs)
    seconds = [runs[m]["median_epoch_seconds"] for m in methods]
    fig, ax = plt.subplots(figsize=(8, 3.5))
    bars = ax.bar(methods, seconds, color="tab:blue")
    ax.bar_label(bars, fmt="%.2f")
    ax.set(ylabel="seconds per training epoch", title=title or "training time per epoch")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return save_figure(fig, path)


def save_figure(fig, path: str) -> str:
    """Writes `fig` as a PNG atomically (never a half-written file) and closes it."""
    try:
        with atomic_file(path, "wb") as f:
            fig.savefig(f, dpi=110, format="png")
    finally:
        plt.close(fig)
    return path


def figure6(trials: list, path: str, k: int = 20, title: str = "") -> str:
    """Fig. 6: Recall@K and NDCG@K against alpha and against beta, from tuning trials.

    Each trial is a dot; the line joins the mean over trials sharing a value
    (the other hyperparameters vary, unlike the paper's one-at-a-time study).

    Args:
        trials: dicts with ``alpha``, ``beta`` and metrics such as ``ndcg@20``.
        path: PNG file to write.
        k: the cut-off to plot.
        title: figure title.

    Returns:
        `path`.
    """
    fig, axes = plt.subplots(2, 2, figsize=(10, 7))
    for row, metric in enumerate((f"recall@{k}", f"ndcg@{k}")):
        for col, name in enumerate(("alpha", "beta")):
            ax = axes[row][col]
            points = [(t[name], t[metric]) for t in trials if name in t and metric in t]
            if points:
                xs, ys = zip(*points)
                ax.scatter(xs, ys, s=14, alpha=0.6)
                means = {}
                for x, y in points:
                    means.setdefault(round(x, 6), []).append(y)
                keys = sorted(means)
                ax.plot(keys, [sum(means[x]) / len(means[x]) for x in keys], color="tab:red",
                        label="mean over trials")
                ax.legend()
            ax.set(xlabel=name, ylabel=f"valid {metric}")
            ax.grid(alpha=0.3)
    fig.suptitle(title or "AHNS hyperparameter study (validation split)")
    fig.tight_layout()
    return save_figure(fig, path)
