"""Run directories: per-epoch checkpoints, resuming, numeric guards, locking.

The errors, the lock and the progress files import no TensorFlow; the Keras
callbacks are in `ahns_tf.runs.checkpoint` (`ResumableRun`) and
`ahns_tf.runs.guard` (`NumericGuard`).
"""

from ahns_tf.runs.errors import (CorruptRunError, NonFiniteLossError, RunConflictError,
                                 RunLockedError, UnwritableDirError)
from ahns_tf.runs.lock import RunLock
from ahns_tf.runs.writable import check_writable
