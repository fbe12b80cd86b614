"""Who may do what: the one place a role is demanded."""

from domain.errors import ForbiddenError
from domain.tokens import TokenClaims
from domain.users import Role


def require_role(caller: TokenClaims, *roles: Role) -> None:
    """A client's token has no roles: what it may call is the scope each operation declares,
    checked before any use case runs (entrypoints/http/contract.py, `Endpoint`)."""
    if caller.client_id is not None:
        return
    if not any(caller.has_role(r) for r in roles):
        raise ForbiddenError(" or ".join(r.value for r in roles))
