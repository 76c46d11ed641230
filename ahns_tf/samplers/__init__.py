"""Negative samplers: candidate sampling, then one small selector per method.

`make_selector(method, **params)` builds the selector for a method name used on
the command line; `METHODS` lists them.
"""

from ahns_tf.samplers.ahns import AdaptiveHardnessSelector, ideal_negative_score
from ahns_tf.samplers.candidates import UninteractedCandidateSampler
from ahns_tf.samplers.cuco import CurriculumSelector
from ahns_tf.samplers.dens import DisentangledSelector
from ahns_tf.samplers.dns import DynamicSelector
from ahns_tf.samplers.dns_mn import TopNRandomSelector
from ahns_tf.samplers.mining import NegativeMiner
from ahns_tf.samplers.mixgcf import PositiveMixingSelector
from ahns_tf.samplers.rns import RandomSelector
from ahns_tf.samplers.selector import NegativeSelector, candidate_scores
from ahns_tf.samplers.ssm import SampledSoftmaxSelector

# method -> (selector class, the constructor arguments it takes from a config)
METHODS = {
    "rns": (RandomSelector, ()),
    "ssm": (SampledSoftmaxSelector, ("num_negatives",)),
    "dns": (DynamicSelector, ()),
    "dns_mn": (TopNRandomSelector, ("top_n", "seed")),
    "mixgcf": (PositiveMixingSelector, ("seed",)),
    "dens": (DisentangledSelector, ("dim", "alpha", "gamma")),
    "cuco": (CurriculumSelector, ("epochs",)),
    "ahns": (AdaptiveHardnessSelector, ("alpha", "beta", "p")),
}


def make_selector(method: str, **params) -> NegativeSelector:
    """Builds the selector of `method`, taking only the parameters it uses.

    Args:
        method: one of `METHODS`.
        **params: hyperparameters; those the method does not use are ignored.

    Returns:
        A `NegativeSelector`.

    Raises:
        ValueError: unknown method (the message lists the known ones).

    Example:

    >>> make_selector("ahns", alpha=0.5, beta=0.1, p=-2, epochs=100).p
    -2.0
    >>> make_selector("cuco", epochs=30).epochs
    30
    """
    if method not in METHODS:
        raise ValueError(f"unknown sampler {method!r}; choose one of {', '.join(METHODS)}")
    cls, names = METHODS[method]
    return cls(**{name: params[name] for name in names if name in params})
