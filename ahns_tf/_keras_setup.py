"""Selects Keras 2 (tf-keras) for TensorFlow, and checks the choice where TensorFlow is used.

TensorFlow 2.16+ ships Keras 3, but TensorFlow Recommenders 0.7.7 needs Keras 2.
TensorFlow picks the Keras behind ``tf.keras`` the first time ``tf.keras`` is
touched, reading ``TF_USE_LEGACY_KERAS``. `select_legacy_keras` sets that
variable (``import ahns_tf`` calls it; it imports nothing), and
`use_legacy_keras`, called by every subpackage that builds Keras objects,
checks that the choice took effect, failing with instructions when it did not
(for example when another library touched ``tf.keras`` before ``ahns_tf`` was
imported).
"""

import os

_TRUTHY = ("1", "true", "yes")


def select_legacy_keras() -> None:
    """Sets ``TF_USE_LEGACY_KERAS=1`` unless it is already set to a true value (no import).

    Example:

    >>> select_legacy_keras(); os.environ["TF_USE_LEGACY_KERAS"] in _TRUTHY
    True
    """
    if os.environ.get("TF_USE_LEGACY_KERAS", "").lower() not in _TRUTHY:
        os.environ["TF_USE_LEGACY_KERAS"] = "1"


def use_legacy_keras() -> None:
    """Sets ``TF_USE_LEGACY_KERAS=1``, imports TensorFlow and verifies ``tf.keras`` is tf-keras.

    Raises:
        ImportError: if ``tf.keras`` already resolved to Keras 3, or tf-keras is
        not installed.
    """
    select_legacy_keras()
    try:
        import tf_keras  # noqa: F401  pylint: disable=g-import-not-at-top,unused-import
    except ImportError as e:
        raise ImportError(
            "ahns_tf needs Keras 2 from the 'tf-keras' package: run "
            "`pip install -e .` in the ahns-tf checkout (or `pip install tf-keras`)."
        ) from e
    import tensorflow as tf  # pylint: disable=g-import-not-at-top

    name = getattr(tf.keras, "__name__", "")
    if not name.startswith("tf_keras"):
        raise ImportError(
            "tf.keras is already bound to Keras 3 (%s), but ahns_tf and TensorFlow "
            "Recommenders need Keras 2. Import ahns_tf before anything that uses "
            "tf.keras, or export TF_USE_LEGACY_KERAS=1 before starting Python." % name)
