"""What the edge knows of a request, for every layer inside it: one typed object in the
scope (under `KEY`), instead of string keys each layer reads by name."""

import attrs
from starlette.types import Scope

from domain.errors import BallastError
from domain.tokens import TokenClaims

KEY = "ballast"


@attrs.define(slots=True, eq=False)
class RequestState:
    request_id: str
    # The client's address, trusted proxies applied (client_address.py).
    client: str
    # Headers every answer to the request carries, errors included (its id, its rate
    # limit's): layers add theirs here, the edge sends them, so that no layer wraps `send`.
    response_headers: list[tuple[bytes, bytes]] = attrs.Factory(list)
    # Verifying the request's token, once (requests.verified): its claims or its error.
    verified: TokenClaims | BallastError | None = None


def request_state(scope: Scope) -> RequestState:
    """The request's state as the edge made it, or, where no edge runs (a layer mounted
    alone), one made here from the socket peer: every layer works with or without the edge."""
    state: RequestState | None = scope.get(KEY)
    if state is None:
        peer = scope.get("client")
        state = scope[KEY] = RequestState("", str(peer[0]) if peer else "unknown")
    return state
