"""Reading, validating, locating and splitting interaction data."""

from ahns_tf.data.dataset import RecDataset, build_dataset, load_dataset
from ahns_tf.data.reader import (DataFormatError, DuplicateInteractionsWarning,
                                 Interactions, read_interactions)
from ahns_tf.data.sources import BENCHMARKS, ChecksumError, locate
from ahns_tf.data.splits import holdout_split
