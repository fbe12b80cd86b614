"""Who may do what: the one place a role is demanded."""

from domain.errors import ForbiddenError
from domain.tokens import TokenClaims
from domain.users import Role


def require_role(caller: TokenClaims, *roles: Role) -> None:
    if not any(caller.has_role(r) for r in roles):
        raise ForbiddenError(" or ".join(r.value for r in roles))
