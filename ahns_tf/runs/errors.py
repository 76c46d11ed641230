"""What a run raises when it cannot go on; each message says what to do."""


class RunConflictError(ValueError):
    """The output directory holds a different run."""


class CorruptRunError(ValueError):
    """No kept checkpoint of a run can be read; the message names the files."""


class RunLockedError(RuntimeError):
    """Another process holds the run directory; the message names its pid."""


class NonFiniteLossError(FloatingPointError):
    """Training produced a NaN or infinite loss; the message says where."""


class UnwritableDirError(OSError):
    """A folder a run must write to cannot be created or written; names the flag."""
