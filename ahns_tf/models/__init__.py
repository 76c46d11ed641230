"""The retrieval model: backbone, BPR loss, optimizer, TFRS model."""

from ahns_tf._keras_setup import use_legacy_keras

use_legacy_keras()

# pylint: disable=wrong-import-position
from ahns_tf.models.backbones import MatrixFactorization  # noqa: E402
from ahns_tf.models.lightgcn import LightGCN  # noqa: E402
from ahns_tf.models.losses import BPRLoss, l2_embedding_penalty  # noqa: E402
from ahns_tf.models.optimizers import FusedAdam, LazyAdam  # noqa: E402
from ahns_tf.models.shardable_adam import ShardableAdam, ShardableLazyAdam  # noqa: E402
from ahns_tf.models.retrieval import NegativeSamplingRetrievalModel  # noqa: E402
from ahns_tf.models.task import BPRTask  # noqa: E402
