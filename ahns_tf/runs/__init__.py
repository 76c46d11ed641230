"""Run directories: per-epoch checkpoints, resuming, and numeric guards."""

from ahns_tf.runs.checkpoint import ResumableRun, RunConflictError
from ahns_tf.runs.guard import NonFiniteLossError, NumericGuard
