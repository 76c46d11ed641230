"""Run directories: per-epoch checkpoints, resuming, numeric guards, locking."""

from ahns_tf.runs.checkpoint import CorruptRunError, ResumableRun, RunConflictError
from ahns_tf.runs.guard import NonFiniteLossError, NumericGuard
from ahns_tf.runs.lock import RunLock, RunLockedError
from ahns_tf.runs.writable import UnwritableDirError, check_writable
