"""The paper's Table 2 (Lai et al. 2024; percent, MF backbone), for the reports.

>>> row("tools", "ahns")  # a sampler run with the library's defaults (p = -2): AHNS_{p=-2}
[7.42, 4.05, 4.92]
"""

from typing import Optional

METRICS = ("recall@20", "ndcg@20", "ndcg@50")

#: dataset -> method -> [Recall@20, NDCG@20, NDCG@50] in percent (Lai et al. 2024, Table 2).
TABLE2 = {
    "ml-1m": {"rns": [22.86, 35.46, 37.41], "ssm": [24.87, 37.74, 39.71],
              "dns": [24.66, 36.64, 38.31], "mixgcf": [24.75, 37.54, 38.95],
              "dens": [25.07, 37.67, 39.11], "dns_mn": [25.09, 37.58, 39.22],
              "cuco": [25.12, 37.53, 39.20], "ahns_p1": [25.17, 37.72, 39.31],
              "ahns_p2": [25.51, 38.77, 40.57]},
    "phones": {"rns": [11.06, 5.98, 7.35], "ssm": [11.37, 6.13, 7.48],
               "dns": [12.08, 6.64, 7.99], "mixgcf": [12.20, 6.73, 8.13],
               "dens": [12.16, 6.68, 8.13], "dns_mn": [12.27, 6.75, 8.15],
               "cuco": [12.19, 6.68, 8.11], "ahns_p1": [13.02, 7.08, 8.71],
               "ahns_p2": [13.03, 7.14, 8.74]},
    "sports": {"rns": [6.73, 3.60, 4.68], "ssm": [7.08, 3.80, 4.87],
               "dns": [7.74, 4.25, 5.32], "mixgcf": [7.68, 4.32, 5.36],
               "dens": [7.90, 4.35, 5.50], "dns_mn": [7.84, 4.31, 5.35],
               "cuco": [7.68, 4.25, 5.36], "ahns_p1": [8.42, 4.58, 5.82],
               "ahns_p2": [8.52, 4.61, 5.81]},
    "tools": {"rns": [5.53, 2.99, 3.75], "ssm": [5.72, 3.10, 3.88],
              "dns": [6.66, 3.78, 4.52], "mixgcf": [6.82, 3.88, 4.59],
              "dens": [6.66, 3.76, 4.55], "dns_mn": [6.86, 3.76, 4.61],
              "cuco": [6.76, 3.82, 4.59], "ahns_p1": [7.27, 4.02, 4.95],
              "ahns_p2": [7.42, 4.05, 4.92]},
}

#: Benchmark method names, in Table 2's order.
METHOD_ORDER = ("rns", "ssm", "dns", "mixgcf", "dens", "dns_mn", "cuco", "ahns_p1", "ahns_p2")

#: The Table 2 row of a sampler run with the library's defaults (`benchmarks.seeds`).
SAMPLER_ROW = {"ahns": "ahns_p2", "rns": "rns", "dns": "dns"}


def row(dataset: str, method: str) -> Optional[list]:
    """Table 2's [Recall@20, NDCG@20, NDCG@50] of `method` (or sampler) on `dataset`, or None."""
    return TABLE2.get(dataset, {}).get(SAMPLER_ROW.get(method, method))
