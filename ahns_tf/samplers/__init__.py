"""Negative samplers: candidate sampling, then one small selector per method.

The selectors are registered by name in `ahns_tf.registry.SAMPLERS` (the
``--sampler`` values); `make_selector` builds one from its name.
"""

from ahns_tf._keras_setup import use_legacy_keras

use_legacy_keras()

# pylint: disable=wrong-import-position
from ahns_tf.registry import SAMPLERS  # noqa: E402
from ahns_tf.samplers.ahns import AdaptiveHardnessSelector, ideal_negative_score  # noqa: E402
from ahns_tf.samplers.candidates import UninteractedCandidateSampler  # noqa: E402
from ahns_tf.samplers.cuco import CurriculumSelector  # noqa: E402
from ahns_tf.samplers.dens import DisentangledSelector  # noqa: E402
from ahns_tf.samplers.dns import DynamicSelector  # noqa: E402
from ahns_tf.samplers.dns_mn import TopNRandomSelector  # noqa: E402
from ahns_tf.samplers.mining import NegativeMiner  # noqa: E402
from ahns_tf.samplers.mixgcf import PositiveMixingSelector  # noqa: E402
from ahns_tf.samplers.rns import RandomSelector  # noqa: E402
from ahns_tf.samplers.selector import NegativeSelector, candidate_scores  # noqa: E402
from ahns_tf.samplers.ssm import SampledSoftmaxSelector  # noqa: E402


def make_selector(method: str, **params) -> NegativeSelector:
    """Builds the registered selector of `method`, taking only the parameters it declares.

    Args:
        method: a name in `ahns_tf.registry.SAMPLERS`.
        **params: settings; those the method does not declare are ignored.

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
    entry = SAMPLERS[method]
    names = entry.params if isinstance(entry.params, dict) else {p: p for p in entry.params}
    return entry.load()(**{arg: params[field] for field, arg in names.items() if field in params})
