"""The reports' figures (matplotlib, headless), each written atomically (`save_figure`).

Example: ``figure7({"rns": 0.23, "ahns_p2": 0.62}, "results/tools-fig7.png", "tools")``.
"""

import matplotlib

matplotlib.use("Agg")  # files only; no display needed
import matplotlib.pyplot as plt  # noqa: E402  pylint: disable=g-import-not-at-top

from ahns_tf.atomic import atomic_file  # noqa: E402  pylint: disable=g-import-not-at-top

FIG5_METHODS = ("rns", "dns", "dens", "ahns_p2")


def figure5(runs: dict, path: str, title: str = "") -> str:
    """Fig. 5 of ``runs = {method: metrics.json}`` (RNS, DNS, DENS and AHNS_{p=-2} when
    present, else all) written to `path`: mean hardness per epoch, test NDCG@20 per evaluation."""
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


def figure7(seconds: dict, path: str, title: str = "") -> str:
    """Fig. 7, one bar per ``seconds = {label: seconds per training epoch}``, written to `path`."""
    fig, ax = plt.subplots(figsize=(max(8, 0.9 * len(seconds)), 3.5))
    bars = ax.bar(list(seconds), list(seconds.values()), color="tab:blue")
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
