"""The retrieval model: backbone, BPR loss, optimizer, TFRS model."""

from ahns_tf.models.backbones import MatrixFactorization
from ahns_tf.models.lightgcn import LightGCN
from ahns_tf.models.losses import BPRLoss, l2_embedding_penalty
from ahns_tf.models.optimizers import FusedAdam, LazyAdam, ShardableAdam, ShardableLazyAdam
from ahns_tf.models.retrieval import NegativeSamplingRetrievalModel
from ahns_tf.models.task import BPRTask
