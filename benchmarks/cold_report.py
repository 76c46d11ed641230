"""The cold-start report (`benchmarks.cold_start`): mean and spread over seeds, paired
differences, the issue's checks, and the Markdown.

Example:

```python
summary = summarise(payload["runs"]["items"])
print(markdown(payload))
```
"""

import statistics

import numpy as np

from benchmarks import report

NAMES = {"random": "random", "popularity": "popularity (today's fallback)",
         "content": "content baseline", "mf_ahns": "MF + AHNS (new rows untrained)",
         "towers_rns": "towers + RNS", "towers_ahns": "towers + AHNS (tuned)"}
COLUMNS = ("new", "whole", "warm")
HEADERS = {"new": "among new", "whole": "whole catalogue", "warm": "warm items"}


def summarise(runs: dict) -> dict:
    """``{method: {column: {metric: {mean, std, values}}}}`` over the seeds of `runs`."""
    out = {}
    for name in next(iter(runs.values())):
        out[name] = {}
        for column in COLUMNS:
            if column not in runs[next(iter(runs))][name]:
                continue
            out[name][column] = {m: _stats([run[name][column][m] for run in runs.values()])
                                 for m in ("recall@20", "ndcg@20")}
    return out


def _stats(values: list) -> dict:
    return {"mean": statistics.fmean(values), "values": values,
            "std": statistics.stdev(values) if len(values) > 1 else 0.0}


def paired(runs: dict, a: str, b: str, column: str = "new") -> dict:
    """`a` minus `b` on Recall@20: the mean difference in points, in paired standard errors
    (of the seed-by-seed differences) and in unpaired ones (sqrt(sa^2 / n + sb^2 / n));
    NaN with one seed."""
    values = {m: [run[m][column]["recall@20"] for run in runs.values()] for m in (a, b)}
    diffs = np.subtract(values[a], values[b])
    n = len(diffs)
    if n < 2:
        return {"mean": float(diffs.mean()), "paired": float("nan"), "unpaired": float("nan")}
    se_paired = diffs.std(ddof=1) / np.sqrt(n)
    se_unpaired = np.sqrt((np.var(values[a], ddof=1) + np.var(values[b], ddof=1)) / n)
    with np.errstate(divide="ignore", invalid="ignore"):  # no spread: inf (or NaN for 0 / 0)
        return {"mean": float(diffs.mean()), "paired": float(diffs.mean() / se_paired),
                "unpaired": float(diffs.mean() / se_unpaired)}


def markdown(payload: dict, stem: str = "") -> str:
    """The report: one table per scenario, then the issue's checks."""
    lines = ["# Cold start on MovieLens 100K: new items and new users from their features", "",
             f"{report.produced_by(payload)}.", "", payload["description"], "",
             f"Seeds {', '.join(map(str, payload['seeds']))}; at most {payload['epochs']} "
             f"epochs; {payload['trials']} tuning trials per backbone, seed and scenario. Mean "
             "± sample std over the seeds, in %.", ""]
    for scenario, title in (("items", "New items (20% of items)"),
                            ("users", "New users (20% of users)")):
        summary = payload["summary"].get(scenario)
        if not summary:
            continue
        columns = [c for c in COLUMNS if c in next(iter(summary.values()))
                   or any(c in s for s in summary.values())]
        lines += [f"## {title}", "", *report.table(
            ["method"] + [f"{HEADERS[c]} {m}" for c in columns for m in ("R@20", "N@20")],
            [[NAMES[name]] + [f"{s[c][m]['mean']:.2f} ± {s[c][m]['std']:.2f}" if c in s else ""
                              for c in columns for m in ("recall@20", "ndcg@20")]
             for name, s in summary.items()]), ""]
    lines += ["## Checks", ""] + [f"- {line}" for line in payload["checks"]] + [
        "", "## Tuned AHNS settings (alpha, beta, M)", "", *report.table(
            ["scenario", "seed", "MF", "towers"],
            [[scenario, seed] + [f"{t[b]['alpha']}, {t[b]['beta']}, {t[b]['num_candidates']}"
                                 for b in ("mf", "towers")]
             for scenario, by_seed in payload["tuned"].items() for seed, t in by_seed.items()])]
    return "\n".join(lines) + "\n"


def checks(runs: dict, summary: dict) -> list:
    """The issue's done-when lines, each with its numbers and verdict."""
    out = []
    for other in ("content", "mf_ahns"):
        d = paired(runs, "towers_ahns", other)
        passed = min(d["paired"], d["unpaired"]) > 2
        out.append(f"towers + AHNS minus {NAMES[other]} on new-item Recall@20 (among new "
                   f"items): {d['mean']:+.2f} points, {d['paired']:.1f} paired and "
                   f"{d['unpaired']:.1f} unpaired standard errors: "
                   f"{'beats' if passed else 'does not beat'} it by more than two")
    warm = {n: summary[n]["warm"]["recall@20"]["mean"] for n in ("towers_ahns", "mf_ahns")}
    out.append(f"warm-item Recall@20: towers + AHNS {warm['towers_ahns']:.2f}, MF + AHNS "
               f"{warm['mf_ahns']:.2f} ({100 * (warm['towers_ahns'] / warm['mf_ahns'] - 1):+.1f}%"
               f"; the bar is -3%)")
    d = paired(runs, "towers_ahns", "towers_rns")
    out.append(f"AHNS minus RNS on the towers, new-item Recall@20: {d['mean']:+.2f} points "
               f"({d['paired']:.1f} paired standard errors)")
    return out

