"""Domain errors. Each maps to exactly one HTTP problem type, in entrypoints/problems.py."""

import attrs


class BallastError(Exception):
    """Base of every error the domain or a use case raises on purpose."""


@attrs.frozen
class FieldError:
    """One invalid field, named as the request names it (e.g. ``amount``)."""

    field: str
    message: str


class ValidationError(BallastError):
    """Well-formed input with a missing or invalid field."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))

    @classmethod
    def single(cls, field: str, message: str) -> "ValidationError":
        return cls([FieldError(field, message)])


class InvalidCredentialsError(BallastError):
    """Unknown user or wrong password: deliberately indistinguishable."""

    def __init__(self) -> None:
        super().__init__("invalid username or password")


class InvalidTokenError(BallastError):
    """A token that is malformed, expired, revoked, of the wrong type or wrongly signed."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class MissingTokenError(BallastError):
    """No bearer token was sent where one is required."""

    def __init__(self) -> None:
        super().__init__("a bearer token is required")


class ForbiddenError(BallastError):
    """Authenticated, but the role does not allow the operation."""

    def __init__(self, needed: str) -> None:
        self.needed = needed
        super().__init__(f"this operation needs the role {needed}")


class InsufficientScopeError(ForbiddenError):
    """A client's token lacks the scope the operation needs (None: no scope grants it)."""

    def __init__(self, scope: str | None) -> None:
        self.scope = scope
        self.needed = scope or ""
        BallastError.__init__(
            self,
            f"this operation needs the scope {scope}"
            if scope
            else "no scope allows a client to call this operation",
        )


class NotFoundError(BallastError):
    """No such resource, or one the caller may not see."""

    def __init__(self, what: str, key: str) -> None:
        self.what = what
        self.key = key
        super().__init__(f"{what} {key!r} not found")


class UnknownTokenError(NotFoundError):
    """Revoking a token that is not a live token of this service: nothing to revoke. A state
    of the server, not a fault of the request's form, so a 404 rather than a 422."""

    def __init__(self, reason: str) -> None:
        self.what = "live token"
        self.key = ""
        self.reason = reason
        BallastError.__init__(self, f"not a live token of this service: {reason}")


class ConflictError(BallastError):
    """The resource already exists."""

    def __init__(self, what: str, key: str) -> None:
        self.what = what
        self.key = key
        super().__init__(f"{what} {key!r} already exists")


class ConfiguredUserError(BallastError):
    """The user is defined by configuration (the users file), which is authoritative."""

    def __init__(self, username: str) -> None:
        self.username = username
        super().__init__(
            f"user {username!r} is defined by configuration; change it there, not through the API"
        )


class ConfiguredClientError(BallastError):
    """The client is defined by configuration (the clients file), which is authoritative."""

    def __init__(self, client_id: str) -> None:
        self.client_id = client_id
        super().__init__(
            f"client {client_id!r} is defined by configuration; change it there,"
            " not through the API"
        )


class ClientsRefusedError(BallastError):
    """This server's configuration lets no OAuth client exist: it creates none and issues no
    client token (production without an https URL issuer). `reason` names the setting."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class OAuthError(BallastError):
    """An RFC 6749 §5.2 error of the token, revocation or introspection endpoint: answered
    in the OAuth format its clients parse (`error`, `error_description`)."""

    status = 400

    def __init__(self, error: str, description: str) -> None:
        self.error = error
        self.description = description
        super().__init__(description)


class InvalidClientError(OAuthError):
    """Unknown client, wrong secret or disabled client: deliberately indistinguishable.
    `basic` says the client authenticated with HTTP Basic (the 401 then names the realm)."""

    status = 401

    def __init__(self, basic: bool, description: str = "client authentication failed") -> None:
        self.basic = basic
        super().__init__("invalid_client", description)


class RateLimitedError(BallastError):
    """Too many requests for one limit key."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(f"rate limit exceeded, retry after {retry_after} s")


class DependencyUnavailableError(BallastError):
    """A dependency needed under the ``fail_closed`` policy is down."""

    def __init__(self, dependency: str, retry_after: int = 5) -> None:
        self.dependency = dependency
        self.retry_after = retry_after
        super().__init__(f"{dependency} is unavailable")


class InvalidTransitionError(BallastError):
    """A notification cannot move from its status to the one asked for."""

    def __init__(self, current: str, wanted: str) -> None:
        self.current = current
        self.wanted = wanted
        super().__init__(f"a {current} notification cannot become {wanted}")


class DeliveryError(BallastError):
    """A channel did not get a notification through; `reason` is kept on the notification.
    `retry_after` is the receiver's own word (429 or 503 with Retry-After), in seconds."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        self.reason = reason
        self.retry_after = retry_after
        super().__init__(reason)


class RatesUnavailableError(BallastError):
    """The live rates feed gave no usable table (down, slow, too big or malformed).

    Never reaches a client: the rates service keeps serving its last good table.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"rates feed unavailable: {reason}")


class RatesFeedNotConfiguredError(RatesUnavailableError):
    """No live feed was configured: serving the built-in table is a choice, not a fault."""
