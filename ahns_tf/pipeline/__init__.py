"""The tf.data input pipeline."""

from ahns_tf._keras_setup import use_legacy_keras

use_legacy_keras()

# pylint: disable=wrong-import-position
from ahns_tf.pipeline.input import steps_per_epoch, training_pairs  # noqa: E402
