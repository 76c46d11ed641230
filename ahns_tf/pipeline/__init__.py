"""The tf.data input pipeline."""

from ahns_tf.pipeline.input import steps_per_epoch, training_pairs
