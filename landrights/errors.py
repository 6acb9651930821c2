"""Domain errors and the one mapping from them to HTTP statuses.

Services raise these; views flash them, the API renders them as
``{"error": {"code", "message", "field"}}``. Messages are lazy translations,
so a service raises them without a request and the edge renders them in the
user's language.
"""
from flask_babel import lazy_gettext as _l


class DomainError(Exception):
    """A rule of the registry refused the request."""

    status = 400
    code = "invalid"

    def __init__(self, message, *, field: str | None = None, rule: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field
        self.rule = rule


class ValidationFailed(DomainError):
    """Input breaks a rule on its shape or value."""

    status = 422
    code = "validation_failed"


class Several(ValidationFailed):
    """Several fields were refused at once: each is shown beside its own field (``each``)."""

    def __init__(self, each: list[DomainError]):
        super().__init__(each[0].message, field=each[0].field, rule=each[0].rule)
        self.each = each


class Unauthenticated(DomainError):
    """No valid session or token."""

    status = 401
    code = "unauthenticated"


class Forbidden(DomainError):
    """The actor's role or jurisdiction does not cover the request."""

    status = 403
    code = "forbidden"


class NotFound(DomainError):
    """The named record does not exist."""

    status = 404
    code = "not_found"


class Conflict(DomainError):
    """The request clashes with the registry's current state."""

    status = 409
    code = "conflict"


class TooManyAttempts(DomainError):
    """Too many failed logins: the account or address is throttled."""

    status = 429
    code = "too_many_attempts"


class Formatted:
    """A lazy message with %-parameters, rendered in the user's language when shown."""

    def __init__(self, message, params: dict):
        self.message, self.params = message, params

    def __str__(self) -> str:
        return str(self.message) % self.params


def forbidden() -> Forbidden:
    """Return the standard 403 for a record outside the actor's jurisdiction."""
    return Forbidden(_l("You do not have permission to see or change this record."))
