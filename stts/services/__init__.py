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
    """The object changed since the form was loaded (optimistic locking). ``subject``: what
    changed, ``(object type, id, version the form had)``, when the refusal knows it, so the
    page can show the other user's change beside the input kept."""

    def __init__(self, message, *, field: str | None = None, subject=None):
        super().__init__(message, field=field)
        self.subject = subject


# Every id of a row is a 64-bit signed integer in the database: a number beyond it names no row.
# The URL converter (``<int:…>``) stops at the same bound.
MAX_ID = 2**63 - 1


def parse_id(value) -> int | None:
    """An id sent in a form, a query or a batch file, as an int the database can compare, or
    None for anything else: non-ASCII digits (``²``), signs, blanks inside, zero and numbers
    beyond ``MAX_ID`` included. The one way every id from outside the URL is read."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        if not (text.isascii() and text.isdigit()) or len(text) > 19:
            return None
        number = int(text)
    else:
        return None
    return number if 1 <= number <= MAX_ID else None


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
