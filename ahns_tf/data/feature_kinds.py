"""The kinds of a feature column: how its values become tokens, and its vocabulary.

Every kind maps one entity's value to a list of token ids within its column:
``0`` is "no value" (the entity has no row in the feature file, or the cell is
empty), ``1`` is a value the vocabulary does not know, and ``2, 3, ...`` are
the vocabulary's entries, learnt from the training entities only.

* ``category``: the value as one token (e.g. an occupation);
* ``multi``: tokens split by a separator, ``multi:|`` by default (genres);
* ``number``: its quantile bucket among the training values, ``number:10``
  buckets by default (a year, an age);
* ``text``: lower-cased words (a title), the words seen at least twice.

Example:

```python
column = FeatureColumn.fit("genres", "multi", ["Comedy|Drama", "Drama"])
column.tokens(["Drama|Horror", None])  # [[3, 1], [0]]: Drama, unknown; no value
```
"""

import dataclasses
import math
import re
from typing import Optional, Sequence

import numpy as np

KINDS = ("category", "multi", "number", "text")
#: Token ids every column reserves.
MISSING, UNKNOWN = 0, 1
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def _present(value) -> bool:
    return value is not None and value == value and str(value).strip() != ""  # NaN != NaN


@dataclasses.dataclass(frozen=True)
class FeatureColumn:
    """One column of a feature file: its kind, its option and its vocabulary.

    Attributes:
        name: the column's name in the file.
        kind: one of `KINDS`.
        option: the ``multi`` separator or the ``number`` of buckets ("" otherwise).
        vocabulary: the known tokens (``number``: the bucket edges, as text).
    """

    name: str
    kind: str
    option: str = ""
    vocabulary: tuple = ()

    @classmethod
    def fit(cls, name: str, kind: str, values: Sequence, option: str = "") -> "FeatureColumn":
        """The column with the vocabulary of `values` (the training entities' values).

        Raises:
            ValueError: an unknown kind or option (naming the column).
        """
        if kind not in KINDS:
            raise ValueError(f"feature column {name!r}: kind {kind!r} is not one of "
                             f"{', '.join(KINDS)}")
        option = option or {"multi": "|", "number": "10"}.get(kind, "")
        if kind == "number":
            if not option.isdigit() or int(option) < 1:
                raise ValueError(f"feature column {name!r}: number:{option} needs a count of "
                                 f"buckets >= 1")
            numbers = np.asarray([float(v) for v in values if _present(v)], np.float64)
            quantiles = np.linspace(0, 1, int(option) + 1)[1:-1]
            edges = np.unique(np.quantile(numbers, quantiles)) if numbers.size else []
            return cls(name, kind, option, tuple(repr(float(e)) for e in edges))
        column = cls(name, kind, option)
        counts = {}
        for value in values:
            for token in column._split(value):
                counts[token] = counts.get(token, 0) + 1
        least = 2 if kind == "text" else 1
        return cls(name, kind, option, tuple(sorted(t for t, n in counts.items() if n >= least)))

    def _split(self, value) -> list:
        """The raw tokens of one value (an empty list for no value)."""
        if not _present(value):
            return []
        text = str(value)
        if self.kind == "multi":
            return [t.strip() for t in text.split(self.option) if t.strip()]
        if self.kind == "text":
            return _WORD.findall(text.lower())
        return [text.strip()]

    @property
    def size(self) -> int:
        """Token ids this column uses: missing, unknown, and its vocabulary (or buckets)."""
        return 2 + len(self.vocabulary) + (1 if self.kind == "number" else 0)

    def tokens(self, values: Sequence) -> list:
        """Each value's token ids (a list each; ``[MISSING]`` for no value).

        Example:

        >>> FeatureColumn.fit("year", "number", [1990, 1995, 2000], "2").tokens([1999, None])
        [[3], [0]]
        """
        if self.kind == "number":
            edges = np.asarray([float(e) for e in self.vocabulary], np.float64)
            out = []
            for value in values:
                number = float(value) if _present(value) else math.nan
                out.append([MISSING] if math.isnan(number)
                           else [2 + int(np.searchsorted(edges, number, side="right"))])
            return out
        index = {token: i + 2 for i, token in enumerate(self.vocabulary)}
        return [[index.get(t, UNKNOWN) for t in self._split(v)] or [MISSING] for v in values]

    def describe(self) -> str:
        """E.g. ``genres: multi (|), 19 tokens``."""
        what = {"multi": f" ({self.option})", "number": f" ({len(self.vocabulary) + 1} buckets)"}
        known = "" if self.kind == "number" else f", {len(self.vocabulary)} tokens"
        return f"{self.name}: {self.kind}{what.get(self.kind, '')}{known}"


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def infer_kind(values: Sequence, numeric: bool) -> str:
    """The kind a column's values suggest: numbers, ``|``-separated tokens, words, or one token.

    Example:

    >>> infer_kind(["Comedy|Drama", "Drama"], numeric=False)
    'multi'
    >>> infer_kind(["1995", "", "1990"], numeric=False)
    'number'
    """
    present = [str(v) for v in values if _present(v)]
    if numeric or (present and all(_is_number(v) for v in present)):
        return "number"   # also numbers read as text (a CSV column with empty cells)
    if any("|" in v for v in present):
        return "multi"
    words = np.mean([len(v.split()) for v in present]) if present else 0.0
    return "text" if words >= 2 else "category"


def parse_kinds(text: Optional[str], flag: str) -> dict:
    """``"title=text,genres=multi:|,year=number:5,zip=skip"`` -> ``{column: (kind, option)}``.

    Raises:
        ValueError: naming `flag` and the part that is not ``column=kind[:option]``.

    Example:

    >>> parse_kinds("year=number:5,zip=skip", "--item-feature-kinds")
    {'year': ('number', '5'), 'zip': ('skip', '')}
    >>> parse_kinds("tags=multi:,,year=number", "--item-feature-kinds")
    {'tags': ('multi', ','), 'year': ('number', '')}
    """
    kinds = {}
    # Split at the commas that start the next "column=": "genres=multi:,,year=number" keeps
    # the comma separator of genres.
    for part in re.split(r",(?=[^,=]+=)", text or ""):
        if not part.strip():
            continue
        name, _, kind = part.partition("=")
        kind, _, option = kind.strip().partition(":")
        if not name.strip() or kind not in KINDS + ("skip",):
            raise ValueError(f"{flag}: {part.strip()!r} is not column=kind[:option] with kind "
                             f"one of {', '.join(KINDS)}, skip")
        kinds[name.strip()] = (kind, option)
    return kinds
