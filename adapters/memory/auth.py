"""Memory adapters of the auth ports."""

from collections.abc import Iterator

from adapters.memory.revocation_set import CompactIdSet
from adapters.memory.sorted_map import SortedMap
from adapters.memory.ttl_map import TtlMap
from adapters.skipped_records import SkippedRecords
from domain.events import MEMORY_EVENT_CURSOR, AuthEvent, AuthEventPage, own_event_cursor
from domain.json_values import renderable
from domain.ports import Clock
from domain.tokens import Revocation, RevocationKind, Rotation, TokenClaims
from domain.users import User, UserPage, UserSource


class MemoryUserDirectory:
    """Users by name; bounded so that a long outage cannot exhaust memory, and paged from
    the names kept sorted (`SortedMap`)."""

    def __init__(self, clock: Clock, max_users: int = 100_000) -> None:
        self._users: SortedMap[User] = SortedMap(clock, max_users, "user")

    async def get(self, username: str) -> User | None:
        return self._users.get(username)

    async def add(self, user: User) -> None:
        self._users.add(user.username, user)

    async def put(self, user: User) -> None:
        self._users.put(user.username, user)

    async def remove(self, username: str) -> None:
        self._users.remove(username)

    async def page(self, limit: int, after: str | None) -> UserPage:
        return UserPage(*self._users.page(limit, after))

    async def configured_names(self) -> set[str]:
        return {user.username for user in self._users.values() if user.source is UserSource.FILE}

    @property
    def dropped(self) -> int:
        return self._users.dropped


class MemoryRefreshTokenStore:
    """Each family's owner and current refresh token id, and each user's families; a family
    expires `ttl` after its last use.

    The per-user index may hold families that have since expired: it is pruned lazily (when
    a user's set doubles, and when the whole index outgrows twice the live families), so
    the cost per login stays O(1) amortized.
    """

    def __init__(self, clock: Clock, max_families: int = 1_000_000) -> None:
        self._current: TtlMap[tuple[str, str]] = TtlMap(clock, max_families)
        self._by_user: dict[str, set[str]] = {}
        self._prune_at: dict[str, int] = {}
        self._indexed = 0

    async def start(self, user: str, family: str, jti: str, ttl: int) -> None:
        self._current.set(family, (user, jti), ttl)
        self._index(user, family)

    async def rotate(self, user: str, family: str, jti: str, successor: str, ttl: int) -> Rotation:
        current = self._current.get(family)
        if current is None:
            return Rotation.UNKNOWN
        if current[1] != jti:
            return Rotation.REUSED
        self._current.set(family, (current[0], successor), ttl)
        return Rotation.ROTATED

    async def end(self, user: str, family: str) -> None:
        self._current.pop(family)
        families = self._by_user.get(user)
        if families is not None and family in families:
            families.discard(family)
            self._indexed -= 1

    async def end_all(self, user: str) -> list[str]:
        families = self._by_user.pop(user, set())
        self._prune_at.pop(user, None)
        self._indexed -= len(families)
        ended = []
        for family in sorted(families):
            current = self._current.get(family)
            if current is not None and current[0] == user:
                self._current.pop(family)
                ended.append(family)
        return ended

    def _index(self, user: str, family: str) -> None:
        families = self._by_user.setdefault(user, set())
        if family not in families:
            families.add(family)
            self._indexed += 1
        if len(families) >= self._prune_at.get(user, 64):
            self._prune(user)
            self._prune_at[user] = max(64, 2 * len(self._by_user.get(user, ())))
        if self._indexed > 2 * len(self._current) + 1024:
            for name in list(self._by_user):
                self._prune(name)

    def _prune(self, user: str) -> None:
        families = self._by_user.get(user, set())
        live = {f for f in families if self._current.get(f) is not None}
        self._indexed -= len(families) - len(live)
        if live:
            self._by_user[user] = live
        else:
            self._by_user.pop(user, None)
            self._prune_at.pop(user, None)

    @property
    def dropped(self) -> int:
        return self._current.dropped


# A client's cut-off, kept beside users' under a key no username has (no ':' in usernames).
_CLIENT_CUTOFF = "client:"


def _cutoff_key(kind: RevocationKind, id_: str) -> str:
    return _CLIENT_CUTOFF + id_ if kind is RevocationKind.CLIENT else id_


class MemoryRevocationList:
    """Revoked token and family ids and per-user cut-offs, each kept until the last token it
    revokes would expire.

    Ids are packed (`CompactIdSet`: 28 bytes each, no object per entry), so that a worker
    holds millions; a cut-off is one per user, a plain entry. Never dropped before it
    expires, however many there are: forgetting one would accept a revoked token again.
    Past `max_entries` the list keeps growing and says so (`over_bound`, reported by
    /health as warn and by a metric).
    """

    def __init__(self, clock: Clock, max_entries: int = 1_000_000) -> None:
        self._clock = clock
        self._max = max_entries
        self._tokens, self._families = CompactIdSet(), CompactIdSet()
        self._cutoffs: TtlMap[Revocation] = TtlMap(clock, max_entries, evict=False)

    async def revoke(self, revocation: Revocation) -> None:
        self.add(revocation)

    def add(self, revocation: Revocation) -> None:
        """`revoke` without an await, for the many of a fill."""
        now = self._clock.now()
        if revocation.kind in (RevocationKind.USER, RevocationKind.CLIENT):
            key = _cutoff_key(revocation.kind, revocation.id)
            current = self._cutoffs.get(key, now)
            if current is None or revocation.supersedes(current):
                self._cutoffs.set_until(key, revocation, revocation.expires_at)
            return
        ids = self._tokens if revocation.kind is RevocationKind.TOKEN else self._families
        ids.add(revocation.id, revocation.expires_at, now)

    async def is_revoked(self, claims: TokenClaims) -> bool:
        """Asked on every authenticated request: a few dict lookups and two bisects."""
        now = self._clock.now()
        if claims.client_id is not None:  # a client's token: its id and its client's cut-off
            if self._tokens.holds(claims.jti, now):
                return True
            key = _CLIENT_CUTOFF + claims.client_id
        elif self._tokens.holds(claims.jti, now) or self._families.holds(claims.fam, now):
            return True
        else:
            key = claims.sub
        if not len(self._cutoffs):
            return False
        cutoff = self._cutoffs.get(key, now)
        return cutoff is not None and cutoff.covers(claims)

    def live(self) -> list[Revocation]:
        """Every unexpired revocation."""
        return list(self.walk())

    def walk(self) -> Iterator[Revocation]:
        """Every unexpired revocation, as held now (e.g. to write back to a Redis that lost
        them), one at a time: the walk may be spread over awaits."""
        now = self._clock.now()
        cutoffs = [value for _, value, _ in self._cutoffs.live_items()]
        tokens, families = self._tokens.items(now), self._families.items(now)
        yield from cutoffs
        yield from (Revocation(RevocationKind.TOKEN, i, e) for i, e in tokens)
        yield from (Revocation(RevocationKind.FAMILY, i, e) for i, e in families)

    def __len__(self) -> int:
        return len(self._tokens) + len(self._families) + len(self._cutoffs)

    @property
    def nbytes(self) -> int:
        """Bytes of the packed ids (for the benchmark's memory per revocation)."""
        return self._tokens.nbytes + self._families.nbytes

    @property
    def bound(self) -> int:
        return self._max

    @property
    def over_bound(self) -> bool:
        """Read by /health and the metrics: when over, first drops what expired."""
        if len(self) > self._max:
            now = self._clock.now()
            self._tokens.sweep(now)
            self._families.sweep(now)
            self._cutoffs.sweep()
        return len(self) > self._max


class MemoryAuthEventLog:
    """The newest `max_events` events in a ring; the oldest is overwritten (counted). Every
    event recorded takes the next sequence number, so the held ones are consecutive and a
    cursor (`m<seq>`: older than seq) finds its place as seq modulo the ring, in O(1)."""

    def __init__(self, max_events: int = 10_000) -> None:
        self._ring: list[AuthEvent] = []
        self._max = max_events
        self._next = 0  # the sequence number of the next event
        self._ids: set[str] = set()
        self._skipped = SkippedRecords("auth_event")
        self.dropped = 0

    async def record(self, event: AuthEvent) -> None:
        if event.id in self._ids:
            return
        if len(self._ring) < self._max:
            self._ring.append(event)  # until full, index == sequence number
        else:
            slot = self._next % self._max
            self._ids.discard(self._ring[slot].id)
            self._ring[slot] = event
            self.dropped += 1
        self._ids.add(event.id)
        self._next += 1

    async def page(self, limit: int, cursor: str | None = None) -> AuthEventPage:
        before = self._next
        cursor = own_event_cursor(cursor, MEMORY_EVENT_CURSOR)
        if cursor is not None:
            before = min(before, int(cursor[1:]))
        first = self._next - len(self._ring)
        seq = before - 1
        shown: list[AuthEvent] = []
        while seq >= first and len(shown) < limit:
            event = self._ring[seq % self._max]
            if renderable(event.id, event.username, event.client):
                shown.append(event)
            else:
                self._skipped.skip(event.id, "text_not_unicode")
            seq -= 1
        return AuthEventPage(tuple(shown), f"m{seq + 1}" if seq >= first else None)
