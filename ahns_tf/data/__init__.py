"""Reading, validating, filtering and splitting interaction data; no TensorFlow.

The data path of a run, the same for every source (`ahns_tf.data.load.load_data`):

* read (`sources`: the text format `read_text`, CSV/TSV/Parquet `read_table`, TFDS
  `read_tfds`, whose columns `read_columns` types and checks with `read_values` and
  `read_time`; the paper's files located and verified by `paper_files`) -> a `Log`;
* filter (`filter`): ``--min-rating``, duplicates, k-core;
* rows (`vocabulary` for raw ids) and split (`split`);
* the `RecDataset` (`dataset`), checked against the settings (`checks`), and,
  for raw ids, saved with the run (`run_data`).
"""

from ahns_tf.data.dataset import RecDataset, build_dataset, make_dataset
from ahns_tf.data.load import load_dataset
from ahns_tf.data.interactions import (DataFormatError, DuplicateInteractionsWarning,
                                       Interactions)
from ahns_tf.data.paper_files import BENCHMARKS, ChecksumError, locate
from ahns_tf.data.read_text import read_interactions
from ahns_tf.data.split import holdout_split
