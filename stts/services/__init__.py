"""Business operations: each owns its transaction and writes its audit event."""


class ServiceError(Exception):
    """A rule refused the operation; ``message`` is translatable and safe to show."""

    def __init__(self, message, *, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


class NotFound(ServiceError):
    pass


class Conflict(ServiceError):
    """The object changed since the form was loaded (optimistic locking)."""
