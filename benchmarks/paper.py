"""The paper's Table 2 (Lai et al. 2024; percent, MF backbone), read from ``paper.json`` beside
this module (package data, like methods.json).

>>> row("tools", "ahns")  # a sampler run with the library's defaults (p = -2): AHNS_{p=-2}
[7.42, 4.05, 4.92]
"""

import json
import os
from typing import Optional

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "paper.json")) as _file:
    _PAPER = json.load(_file)
#: The reported metrics; dataset -> method -> their values in percent.
METRICS, TABLE2 = tuple(_PAPER["metrics"]), _PAPER["results"]
#: Benchmark method names, in Table 2's order.
METHOD_ORDER = ("rns", "ssm", "dns", "mixgcf", "dens", "dns_mn", "cuco", "ahns_p1", "ahns_p2")
#: The Table 2 row of a sampler run with the library's defaults (`benchmarks.seeds`).
SAMPLER_ROW = {"ahns": "ahns_p2", "rns": "rns", "dns": "dns"}


def row(dataset: str, method: str) -> Optional[list]:
    """Table 2's [Recall@20, NDCG@20, NDCG@50] of `method` (or sampler) on `dataset`, or None."""
    return TABLE2.get(dataset, {}).get(SAMPLER_ROW.get(method, method))
