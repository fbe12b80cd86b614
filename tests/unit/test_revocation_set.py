"""The packed ids of the revocation replica: exact both ways, whatever the order of adds,
merges, expiries and fingerprint collisions; and small."""

import gc
import secrets
import sys
import types

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.memory.auth import MemoryRevocationList
from adapters.memory.revocation_set import CompactIdSet, fingerprint, id_of, raw_id
from domain.tokens import Revocation, RevocationKind
from tests.fakes import FakeClock, token_claims

# Ids of the service's own form and a few of other forms (kept apart, exactly as well).
POOL = [id_of(bytes([i]) * 16) for i in range(40)] + ["jti-1", "x" * 22, "é" * 22, "a" * 40]

operations = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.sampled_from(POOL), st.integers(-5, 20_000)),
        st.tuples(st.just("advance"), st.just(""), st.integers(1, 120)),
        st.tuples(st.just("merge"), st.just(""), st.just(0)),
        st.tuples(st.just("sweep"), st.just(""), st.just(0)),
    ),
    max_size=120,
)


@pytest.mark.parametrize("colliding", [False, True])
@settings(max_examples=60, deadline=None)
@given(ops=operations)
def test_the_set_answers_like_a_dict_of_expiries(
    colliding: bool, ops: list[tuple[str, str, int]]
) -> None:
    # Every id with one fingerprint when colliding: each hit must be confirmed by the id.
    ids = CompactIdSet(tail_min=4, fingerprint=(lambda _: 7) if colliding else fingerprint)
    model: dict[str, int] = {}
    now = 1_800_000_000
    for op, id_, n in ops:
        if op == "add":
            ids.add(id_, now + n, now)
            if n > 0:
                model[id_] = max(model.get(id_, 0), now + n)
        elif op == "advance":
            now += n * 60  # hours pass too: compactions drop what expired in them
        elif op == "merge":
            ids.merge(now)
        else:
            ids.sweep(now)
        for candidate in POOL:
            assert ids.holds(candidate, now) == (model.get(candidate, 0) > now), candidate
    assert dict(ids.items(now)) == {i: e for i, e in model.items() if e > now}


def test_only_ids_of_the_service_own_form_are_packed() -> None:
    own = secrets.token_urlsafe(16)
    assert raw_id(own) is not None and id_of(raw_id(own) or b"") == own
    for other in ("jti-1", own[:-1] + "=", own + "A", "é" * 22, own.replace(own[0], "+")):
        assert raw_id(other) is None or id_of(raw_id(other) or b"") == other


def test_a_walk_started_before_a_merge_sees_what_was_held_when_it_started() -> None:
    ids, now = CompactIdSet(tail_min=4), 1_800_000_000
    first = [secrets.token_urlsafe(16) for _ in range(10)]
    for id_ in first:
        ids.add(id_, now + 60, now)
    walk = ids.items(now)
    later = [secrets.token_urlsafe(16) for _ in range(10)]
    for id_ in later:
        ids.add(id_, now + 60, now)  # merges, more than once
    assert {i for i, _ in walk} == set(first)
    assert all(ids.holds(i, now) for i in first + later)


def test_expired_entries_leave_the_arrays_once_a_quarter_of_them_have() -> None:
    ids, now = CompactIdSet(tail_min=64), 1_800_000_000
    for _ in range(640):
        ids.add(secrets.token_urlsafe(16), now + 60, now)
    ids.merge(now)
    held = len(ids)
    now += 2 * 3600  # their hour has passed
    for _ in range(64):
        ids.add(secrets.token_urlsafe(16), now + 60, now)
    assert held == 640 and len(ids) == 64


def deep_size(root: object, shared: object) -> tuple[int, int]:
    """Bytes of `root` and of everything it alone refers to (not types, not `shared`), and
    how many of those objects the garbage collector tracks (scans at every collection)."""
    seen, stack, total, tracked = {id(shared)}, [root], 0, 0
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, type | types.ModuleType | types.FunctionType):
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)
        tracked += gc.is_tracked(obj)
        stack.extend(gc.get_referents(obj))
    return total, tracked


@pytest.mark.anyio
async def test_a_hundred_thousand_revocations_take_at_most_64_bytes_each() -> None:
    clock = FakeClock()
    revocations = MemoryRevocationList(clock)
    now = int(clock.now())
    families = [secrets.token_urlsafe(16) for _ in range(100_000)]
    empty, _ = deep_size(revocations, clock)
    for family in families:
        await revocations.revoke(Revocation(RevocationKind.FAMILY, family, now + 86_400))
    size, tracked = deep_size(revocations, clock)
    assert (size - empty) / len(families) <= 64
    assert len(revocations) == len(families) and tracked < 50
    assert all([await revocations.is_revoked(token_claims("j", f)) for f in families[::997]])
    assert not await revocations.is_revoked(token_claims("j", secrets.token_urlsafe(16)))
