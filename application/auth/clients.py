"""OAuth clients, administered: create, list, read, change, rotate the secret, delete.

Clients defined by configuration (BALLAST_CLIENTS_FILE) are not changed through the API
(409), like users. Every change that takes power away (disable, delete, a scope taken away)
revokes every token of the client at once with one cut-off, on every instance; every change
is an auth event naming the client and the acting user. The secret is answered once, at
creation and rotation, and kept only as a keyed hash.
"""

import attrs

from application.auth.access import require_role
from application.auth.events import EventRecorder
from domain.clients import (
    AUDIENCE_MAX,
    AUDIENCE_PATTERN,
    NAME_MAX,
    NAME_PATTERN,
    Client,
    ClientPage,
    ClientPolicy,
    client_id_problem,
    parse_scopes,
)
from domain.errors import ConfiguredClientError, NotFoundError, ValidationError
from domain.events import AuthEventType
from domain.ports import ClientRegistry, ClientSecrets, Clock, IdSource, RevocationList
from domain.tokens import TokenClaims, client_cutoff
from domain.users import Role, UserSource

MAX_CLIENTS_PAGE = 1000


def _name(raw: object) -> str:
    if not isinstance(raw, str) or not NAME_PATTERN.fullmatch(raw):
        raise ValidationError.single("name", f"must be 1-{NAME_MAX} characters, none a control")
    return raw


def _audience(raw: object) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or not AUDIENCE_PATTERN.fullmatch(raw):
        raise ValidationError.single(
            "audience", f"must be 1-{AUDIENCE_MAX} characters, none a control"
        )
    return raw


async def _stored(clients: ClientRegistry, client_id: str) -> Client:
    client = None if client_id_problem(client_id) else await clients.get(client_id)
    if client is None:
        raise NotFoundError("client", client_id)
    return client


def _changeable(client: Client) -> Client:
    if client.source is UserSource.FILE:
        raise ConfiguredClientError(client.client_id)
    return client


@attrs.define
class CutOffClient:
    """Every token of a client issued until now dies, on every instance (the revocation
    list is replicated): one entry, however many tokens."""

    revocations: RevocationList
    clock: Clock
    policy: ClientPolicy

    async def __call__(self, client_id: str) -> None:
        now = self.clock.now()
        await self.revocations.revoke(client_cutoff(client_id, now, self.policy.token_ttl))


@attrs.frozen
class NewClient:
    """A created client and its secret, shown this once."""

    client: Client
    secret: str = attrs.field(repr=False)


@attrs.define
class CreateClient:
    clients: ClientRegistry
    secrets: ClientSecrets
    ids: IdSource
    clock: Clock
    policy: ClientPolicy
    events: EventRecorder

    async def __call__(
        self, caller: TokenClaims, name: object, scopes: object, audience: object, client: str
    ) -> NewClient:
        require_role(caller, Role.ADMIN)
        self.policy.require_clients()
        errors = []
        parsed: dict[str, object] = {}
        for field, parse in (
            ("name", lambda: _name(name)),
            ("scopes", lambda: parse_scopes(scopes, self.policy.scopes)),
            ("audience", lambda: _audience(audience)),
        ):
            try:
                parsed[field] = parse()
            except ValidationError as e:
                errors += e.errors
        if errors:
            raise ValidationError(errors)
        secret = self.secrets.new_secret()
        created = Client(
            client_id=self.ids.new_id(),
            name=_name(name),
            secret_hash=self.secrets.hash(secret),
            scopes=parse_scopes(scopes, self.policy.scopes),
            audience=_audience(audience),
            created_at=self.clock.now(),
        )
        await self.clients.add(created)
        await self.events.record(
            AuthEventType.CLIENT_CREATED, created.client_id, client, actor=caller.sub
        )
        return NewClient(created, secret)


@attrs.define
class ListClients:
    clients: ClientRegistry

    async def __call__(self, caller: TokenClaims, limit: int, cursor: str | None) -> ClientPage:
        require_role(caller, Role.ADMIN)
        if not 1 <= limit <= MAX_CLIENTS_PAGE:
            raise ValidationError.single("limit", f"must be between 1 and {MAX_CLIENTS_PAGE}")
        if cursor is not None and client_id_problem(cursor):
            raise ValidationError.single("cursor", "is not a cursor from a previous page")
        return await self.clients.page(limit, cursor)


@attrs.define
class GetClient:
    clients: ClientRegistry

    async def __call__(self, caller: TokenClaims, client_id: str) -> Client:
        require_role(caller, Role.ADMIN)
        return await _stored(self.clients, client_id)


CHANGEABLE = ("name", "scopes", "audience", "disabled")


@attrs.define
class UpdateClient:
    """Disabling, or taking a scope away, revokes every token the client holds."""

    clients: ClientRegistry
    cut_off: CutOffClient
    policy: ClientPolicy
    events: EventRecorder

    async def __call__(
        self, caller: TokenClaims, client_id: str, changes: dict[str, object], client: str
    ) -> Client:
        require_role(caller, Role.ADMIN)
        unknown = sorted(set(changes) - set(CHANGEABLE))
        if unknown:
            raise ValidationError.single(unknown[0], "is not a field of a client that can change")
        disabled = changes.get("disabled")
        if disabled is not None and not isinstance(disabled, bool):
            raise ValidationError.single("disabled", "must be true or false")
        current = _changeable(await _stored(self.clients, client_id))
        updated = attrs.evolve(
            current,
            name=_name(changes["name"]) if changes.get("name") is not None else current.name,
            scopes=(
                parse_scopes(changes["scopes"], self.policy.scopes)
                if changes.get("scopes") is not None
                else current.scopes
            ),
            audience=_audience(changes["audience"]) if "audience" in changes else current.audience,
            disabled=current.disabled if disabled is None else disabled,
        )
        if updated == current:
            return current
        await self.clients.put(updated)
        newly_disabled = updated.disabled and not current.disabled
        if _weakened(current, updated):
            await self.cut_off(client_id)
        kind = AuthEventType.CLIENT_DISABLED if newly_disabled else AuthEventType.CLIENT_UPDATED
        await self.events.record(kind, client_id, client, actor=caller.sub)
        return updated


@attrs.define
class DeleteClient:
    """Every token of the client is refused from now on; it can get no new one."""

    clients: ClientRegistry
    cut_off: CutOffClient
    events: EventRecorder

    async def __call__(self, caller: TokenClaims, client_id: str, client: str) -> None:
        require_role(caller, Role.ADMIN)
        _changeable(await _stored(self.clients, client_id))
        await self.clients.remove(client_id)
        await self.cut_off(client_id)
        await self.events.record(AuthEventType.CLIENT_DELETED, client_id, client, actor=caller.sub)


@attrs.define
class SeedClients:
    """Configuration (BALLAST_CLIENTS_FILE) is authoritative for the clients it defines, like
    the users file: they replace stored ones, and a client it defined before and no longer
    lists is removed. Either way, a change that takes power away (disabled, a scope or the
    audience changed, removed) revokes every token the client holds.

    Run at start and again whenever a store may have lost them (a Redis restarted empty); a
    client stored exactly as configured is not written again."""

    clients: ClientRegistry
    cut_off: CutOffClient

    async def __call__(self, configured: list[Client]) -> list[str]:
        """Seeds the clients; answers the ids of the clients it removed."""
        for wanted in configured:
            client = attrs.evolve(wanted, source=UserSource.FILE)
            current = await self.clients.get(client.client_id)
            if current == client:
                continue
            await self.clients.put(client)
            if current is not None and _weakened(current, client):
                await self.cut_off(client.client_id)
        listed = {c.client_id for c in configured}
        dropped = sorted(await self.clients.configured_ids() - listed)
        for client_id in dropped:
            await self.clients.remove(client_id)
            await self.cut_off(client_id)
        return dropped


def _weakened(before: Client, after: Client) -> bool:
    """Whether the change takes power away: its tokens must then die."""
    return (
        (after.disabled and not before.disabled)
        or bool(before.scopes - after.scopes)
        or after.audience != before.audience
    )


@attrs.define
class RotateClientSecret:
    """A new secret; the one it replaces keeps working for `secret_overlap` seconds, so a
    fleet can roll (a secret replaced before that is forgotten at once)."""

    clients: ClientRegistry
    secrets: ClientSecrets
    clock: Clock
    policy: ClientPolicy
    events: EventRecorder

    async def __call__(self, caller: TokenClaims, client_id: str, client: str) -> str:
        require_role(caller, Role.ADMIN)
        current = _changeable(await _stored(self.clients, client_id))
        secret = self.secrets.new_secret()
        rotated = attrs.evolve(
            current,
            secret_hash=self.secrets.hash(secret),
            previous_hash=current.secret_hash,
            previous_until=self.clock.now() + self.policy.secret_overlap,
        )
        await self.clients.put(rotated)
        await self.events.record(
            AuthEventType.CLIENT_SECRET_ROTATED, client_id, client, actor=caller.sub
        )
        return secret
