"""Business operations: each owns its transaction and writes its audit event."""


class ServiceError(Exception):
    """A rule refused the operation; ``message`` is translatable and safe to show."""

    def __init__(self, message, *, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


class NotFound(Exception):
    """The object does not exist or is not the user's (both look the same from outside).
    Not a refusal: the web layer answers it with the 404 page by one error handler, so
    views catch ``ServiceError`` for refusals and never see it."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


class Conflict(ServiceError):
    """The object changed since the form was loaded (optimistic locking)."""


# Versions of optimistic locking are counters that stay far below this.
MAX_VERSION = 2**31 - 1


def parse_version(value) -> int:
    """The version a form sent back, as an int the database can compare; -1 (no row's
    version, so a Conflict) for anything else, a number out of range included."""
    try:
        version = int(value)
    except (TypeError, ValueError):
        return -1
    return version if 0 <= version <= MAX_VERSION else -1
