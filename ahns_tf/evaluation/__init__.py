"""Full-ranking metrics and the evaluation callback."""

from ahns_tf.evaluation.callback import RankingEvaluationCallback
from ahns_tf.evaluation.ranking import FullRankingEvaluator, streaming_top_k, topk_metrics
