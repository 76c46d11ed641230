"""A training run's configuration: `TrainConfig`, its checks, ``--config`` files and flags.

Imports no TensorFlow: the flags, ``--help`` and every check work before a
model exists.
"""

from ahns_tf.config.file import ConfigFileError, load_config_file
from ahns_tf.config.settings import identity_fields
from ahns_tf.config.train_config import (MAX_NUM_CANDIDATES, OPTIMIZERS, STRATEGIES,
                                         TrainConfig)
