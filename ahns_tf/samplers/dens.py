"""DENS: disentangled negative sampling (Lai et al., WSDM 2023)."""

import tensorflow as tf

from ahns_tf.samplers.selector import NegativeSelector


def _softplus_logsumexp(margins):
    """``log(1 + sum_k exp(margins_k))`` over the last axis, stably."""
    return tf.nn.softplus(tf.reduce_logsumexp(margins, axis=-1))


@tf.keras.utils.register_keras_serializable(package="ahns_tf")
class DisentangledSelector(NegativeSelector):
    """Gates split items into relevant and irrelevant factors; picks on both.

    As in the reference code (MF, one hop): a positive gate
    ``g+ = sigmoid(W_item e_pos + W_user e_u)`` gives the positive's relevant
    part ``r+ = e_pos * g+``; a negative gate
    ``g- = sigmoid(W_neg e_cand + W_pos r+)`` gives each candidate's relevant
    part ``e_cand * g-``. The candidate maximising
    ``e_u . ((1 - alpha) e_cand - e_cand * g-)`` is the negative. The gates
    learn only from the auxiliary disentangling loss (`auxiliary_loss`),
    weighted by `gamma`, which contrasts relevant and irrelevant parts of the
    positive and the chosen negative with four BPR terms.

    Args:
        dim: embedding size.
        alpha: weight of the whole candidate in the selection score. Defaults to 0.5.
        gamma: weight of the auxiliary loss. Defaults to 0.5 (the reference's).
        **kwargs: passed to `tf.keras.layers.Layer`.

    Example:

    ```python
    dens = DisentangledSelector(dim=64, alpha=0.5, gamma=0.5)
    dens(u, p, cands)["indices"]; dens.auxiliary_loss(u, p, negs)
    ```
    """

    def __init__(self, dim: int, alpha: float = 0.5, gamma: float = 0.5, **kwargs):
        super().__init__(**kwargs)
        if not float(gamma) >= 0:
            raise ValueError(f"DENS needs gamma >= 0, got {gamma!r}")
        self.dim, self.alpha, self.gamma = int(dim), float(alpha), float(gamma)
        dense = lambda name: tf.keras.layers.Dense(self.dim, name=name)  # noqa: E731
        self.user_gate, self.item_gate = dense("user_gate"), dense("item_gate")
        self.pos_gate, self.neg_gate = dense("pos_gate"), dense("neg_gate")
        for gate in (self.user_gate, self.item_gate, self.pos_gate, self.neg_gate):
            gate.build([None, self.dim])

    def _relevant_parts(self, user_emb, pos_emb, neg_emb):
        """Relevant parts of the positive [B, D] and of negatives [B, K, D]."""
        pos_r = pos_emb * tf.sigmoid(self.item_gate(pos_emb) + self.user_gate(user_emb))
        gate_n = tf.sigmoid(self.neg_gate(neg_emb) + self.pos_gate(pos_r)[:, None, :])
        return pos_r, neg_emb * gate_n

    def select(self, user_emb, pos_emb, cand_emb, epoch):
        _, cand_r = self._relevant_parts(user_emb, pos_emb, cand_emb)          # [B, M, D]
        chooser = (1.0 - self.alpha) * cand_emb - cand_r                        # [B, M, D]
        scores = tf.linalg.matvec(chooser, user_emb)                            # [B, M]
        return {"indices": tf.argmax(scores, axis=1)[:, None]}                 # [B, 1]

    def auxiliary_loss(self, user_emb, pos_emb, neg_emb):
        """``gamma / 4`` times the four disentangling BPR terms of the reference code.

        Args:
            user_emb: [B, D]; pos_emb: [B, D]; neg_emb: [B, K, D] chosen negatives.

        Returns:
            A scalar.
        """
        if self.gamma == 0:
            return tf.constant(0.0)
        pos_r, neg_r = self._relevant_parts(user_emb, pos_emb, neg_emb)
        pos_ir, neg_ir = pos_emb - pos_r, neg_emb - neg_r
        s_pos_r = tf.reduce_sum(user_emb * pos_r, -1)                           # [B]
        s_pos_ir = tf.reduce_sum(user_emb * pos_ir, -1)                         # [B]
        s_neg_r = tf.linalg.matvec(neg_r, user_emb)                             # [B, K]
        s_neg_ir = tf.linalg.matvec(neg_ir, user_emb)                           # [B, K]
        terms = [tf.nn.softplus(s_pos_ir - s_pos_r),
                 _softplus_logsumexp(s_neg_r - s_neg_ir),
                 _softplus_logsumexp(s_neg_r - s_pos_r[:, None]),
                 _softplus_logsumexp(s_pos_ir[:, None] - s_neg_ir)]
        return self.gamma * tf.add_n([tf.reduce_mean(t) for t in terms]) / 4.0

    def get_config(self):
        config = super().get_config()
        config.update({"dim": self.dim, "alpha": self.alpha, "gamma": self.gamma})
        return config
