"""Errors of this service that the shared set does not name."""

from yunying_shared.errors import DomainError


class Gone(DomainError):
    """The thing existed but can no longer be used (an expired coupon)."""

    status_code = 410
    title = "Gone"
    code = "gone"


def naming(error: type[DomainError], field: str, message: str, **extensions: object) -> DomainError:
    """A domain error in the project's shape: the detail, and `errors` naming the field."""
    return error(message, errors=[{"field": field, "message": message}], **extensions)
