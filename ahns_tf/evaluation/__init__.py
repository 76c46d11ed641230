"""Full-ranking metrics and the evaluation callback."""

from ahns_tf._keras_setup import use_legacy_keras

use_legacy_keras()

# pylint: disable=wrong-import-position
from ahns_tf.evaluation.callback import RankingEvaluationCallback  # noqa: E402
from ahns_tf.evaluation.ranking import (FullRankingEvaluator, streaming_top_k,  # noqa: E402
                                        topk_metrics)
