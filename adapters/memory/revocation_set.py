"""The revoked token and family ids of the replica, packed: about 30 bytes per id, no Python
object per entry.

Why sorted arrays of fingerprints, and not a cuckoo or xor filter: a filter answers
"maybe" and can never give back what it holds, but the replica must write every unexpired
revocation back to a Redis that lost it, so the ids themselves have to stay; an xor filter
is also static (rebuilt for every insert), and a cuckoo filter's inserts can fail when full.
The ids this service issues are 16 random bytes (`secrets.token_urlsafe(16)`), so the raw
id costs 16 bytes, its 64-bit fingerprint (the string's hash) 8 and its expiry 4: three
flat arrays sorted by fingerprint, searched with `bisect` in C. A hit is confirmed against
the stored id, so an answer is exact both ways: no false "not revoked" (every held id is
found), no false "revoked" (a fingerprint shared by two ids, about n / 2**64 per check,
i.e. 5e-14 at a million held, only costs one comparison more). The garbage collector sees
four objects, however many ids.

Most checks are of tokens that are not revoked: a table of one bit per fingerprint prefix
(16 to 32 bits per entry, 2 to 4 bytes) settles about 95% of them with one lookup, and only
a set bit leads to the bisect, whose 20 comparisons over a million entries cost more than
the rest of the check.

New ids go to a small dict first (the tail, at most `TAIL_MAX` entries), merged into the
arrays in one pass of memory copies (`_merge`). Expired entries are dropped by whole
hours: the arrays count their entries per hour of expiry, and once the hours that have
passed hold a quarter of them, a merge leaves them out. An id of any other form (another
length, alphabet or an expiry past 2106) is kept in a plain dict, exactly.
"""

from __future__ import annotations

import binascii
import ctypes
import re
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator

_MASK = (1 << 64) - 1
ID_BYTES = 16
_ID_CHARS = 22  # base64url of 16 bytes, unpadded
_EXPIRY_MAX = (1 << 32) - 1
HOUR = 3600
TAIL_MIN, TAIL_MAX = 256, 8192
_OWN_FORM = re.compile(r"[A-Za-z0-9_-]{21}[AQgw]")
_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")
_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")


def _libc_trim() -> Callable[[int], int] | None:
    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None
    return trim


_MALLOC_TRIM = _libc_trim()
TRIM_FROM = 1 << 20  # bytes of replaced arrays from which their memory is given back


def give_back(freed: int) -> None:
    """glibc serves large blocks from its heap once its mmap threshold has grown, and keeps
    them when freed: after replacing arrays of `freed` bytes, hand the free pages back to
    the system, or a merged million would leave ~45 B resident per entry instead of 28."""
    if _MALLOC_TRIM is not None and freed >= TRIM_FROM:
        _MALLOC_TRIM(0)


def raw_id(id_: str) -> bytes | None:
    """The 16 bytes an id of this service's own form encodes; None for any other string
    (the last of the 22 characters holds 2 bits: only its canonical form is packed)."""
    if len(id_) != _ID_CHARS or _OWN_FORM.fullmatch(id_) is None:
        return None
    return binascii.a2b_base64(id_.encode().translate(_FROM_URLSAFE) + b"==")


def id_of(raw: bytes) -> str:
    return binascii.b2a_base64(raw, newline=False).translate(_TO_URLSAFE)[:_ID_CHARS].decode()


def fingerprint(id_: str) -> int:
    """64 bits of the string's hash (SipHash, keyed per process: the arrays never leave it)."""
    return hash(id_) & _MASK


class CompactIdSet:
    """Ids, each with the time (epoch seconds) until which it is held; see the module."""

    def __init__(
        self, tail_min: int = TAIL_MIN, fingerprint: Callable[[str], int] = fingerprint
    ) -> None:
        self._tail_min, self._fingerprint = tail_min, fingerprint
        self._fps = array("Q")  # sorted
        self._ids = bytearray()  # the raw id of entry i at [16 i, 16 i + 16)
        self._exps = array("I")
        self._hours: dict[int, int] = {}  # entries of the arrays per hour of expiry
        # One bit per fingerprint prefix held (the top bits, 64 - `_shift` of them).
        self._prefixes, self._shift = bytearray(1), 64
        self._tail: dict[str, int] = {}
        self._odd: dict[str, int] = {}
        self._odd_swept = 64

    def __len__(self) -> int:
        """Entries held, some of which may have expired since the last merge."""
        return len(self._fps) + len(self._tail) + len(self._odd)

    @property
    def nbytes(self) -> int:
        """Bytes of the arrays (the tail and the odd ids excluded)."""
        arrays = sum(a.buffer_info()[1] * a.itemsize for a in (self._fps, self._exps))
        return arrays + len(self._ids) + len(self._prefixes)

    def _find(self, id_: str, fp: int) -> int:
        """The index of `id_` in the arrays, or -1."""
        fps = self._fps
        i, n = bisect_left(fps, fp), len(fps)
        raw = None
        while i < n and fps[i] == fp:
            raw = raw or raw_id(id_)
            if raw is not None and self._ids[ID_BYTES * i : ID_BYTES * (i + 1)] == raw:
                return i
            i += 1
        return -1

    def holds(self, id_: str, now: float) -> bool:
        """Asked on every authenticated request: a dict lookup and a bit, mostly; a bisect
        for the few ids whose fingerprint's prefix the arrays hold."""
        held = self._tail.get(id_)
        if held is None and self._fps:
            fp = self._fingerprint(id_)
            slot = fp >> self._shift
            if self._prefixes[slot >> 3] >> (slot & 7) & 1:
                i = self._find(id_, fp)
                if i >= 0:
                    return self._exps[i] > now
        if held is None and self._odd:
            held = self._odd.get(id_)
        return held is not None and held > now

    def add(self, id_: str, expires_at: int, now: float) -> None:
        """Holds `id_` until `expires_at`, or keeps the later expiry it already has."""
        if expires_at <= now:
            return
        held = self._tail.get(id_)
        if held is not None:
            self._tail[id_] = max(held, expires_at)
            return
        if self._fps:
            i = self._find(id_, self._fingerprint(id_))
            if i >= 0:
                if expires_at > self._exps[i]:
                    self._count(self._exps[i], -1)
                    self._exps[i] = expires_at
                    self._count(expires_at, 1)
                return
        if expires_at > _EXPIRY_MAX or raw_id(id_) is None:
            self._add_odd(id_, expires_at, now)
            return
        self._tail[id_] = expires_at
        if len(self._tail) >= min(TAIL_MAX, max(self._tail_min, len(self._fps) // 16)):
            self.merge(now)

    def _add_odd(self, id_: str, expires_at: int, now: float) -> None:
        self._odd[id_] = max(self._odd.get(id_, 0), expires_at)
        if len(self._odd) >= 2 * self._odd_swept:
            self._odd = {i: e for i, e in self._odd.items() if e > now}
            self._odd_swept = max(64, len(self._odd))

    def _count(self, expires_at: int, delta: int) -> None:
        hour = expires_at // HOUR
        self._hours[hour] = self._hours.get(hour, 0) + delta

    def merge(self, now: float) -> None:
        """Moves the tail into the arrays (leaving out what has expired, and whatever the
        arrays hold that expired in hours past once that is a quarter of them)."""
        if self._expired_hours(now) * 4 >= len(self._fps) > 0:
            self._compact(now)
        tail = sorted(
            (self._fingerprint(id_), raw, e)
            for id_, e in self._tail.items()
            if e > now and (raw := raw_id(id_)) is not None
        )
        self._tail = {}
        if tail:
            self._merge(tail)

    def sweep(self, now: float) -> None:
        """Drops everything expired that can be dropped at once: the tail's and the odd
        ids' expired entries, and the arrays' entries of hours past."""
        self._odd = {i: e for i, e in self._odd.items() if e > now}
        self._tail = {i: e for i, e in self._tail.items() if e > now}
        if self._expired_hours(now):
            self._compact(now)

    def _expired_hours(self, now: float) -> int:
        current = int(now) // HOUR
        return sum(count for hour, count in self._hours.items() if hour < current)

    def _merge(self, tail: list[tuple[int, bytes, int]]) -> None:
        """One pass of slice copies: between two new entries, a run of old ones at once."""
        old_n, size = len(self._fps), len(self._fps) + len(tail)
        fps, exps = array("Q", [0]) * size, array("I", [0]) * size
        ids = bytearray(ID_BYTES * size)
        with (
            memoryview(self._fps) as old_fps,
            memoryview(self._exps) as old_exps,
            memoryview(self._ids) as old_ids,
            memoryview(fps) as new_fps,
            memoryview(exps) as new_exps,
            memoryview(ids) as new_ids,
        ):
            a = 0  # next old entry to copy
            for k, (fp, raw, expires_at) in enumerate(tail):
                b = bisect_right(self._fps, fp, a)
                new_fps[a + k : b + k] = old_fps[a:b]
                new_exps[a + k : b + k] = old_exps[a:b]
                new_ids[ID_BYTES * (a + k) : ID_BYTES * (b + k)] = old_ids[
                    ID_BYTES * a : ID_BYTES * b
                ]
                new_fps[b + k], new_exps[b + k] = fp, expires_at
                new_ids[ID_BYTES * (b + k) : ID_BYTES * (b + k + 1)] = raw
                self._count(expires_at, 1)
                a = b
            k = len(tail)
            new_fps[a + k :] = old_fps[a:old_n]
            new_exps[a + k :] = old_exps[a:old_n]
            new_ids[ID_BYTES * (a + k) :] = old_ids[ID_BYTES * a :]
        freed = self.nbytes
        self._fps, self._exps, self._ids = fps, exps, ids
        self._mark([fp for fp, _, _ in tail])
        give_back(freed)

    def _mark(self, added: list[int]) -> None:
        """Sets the prefix bits of `added`; past one bit per 16 entries, all of them again
        in a table twice as large (about 2 to 4 bytes per entry: a miss then needs its bit
        alone 15 times in 16)."""
        if len(self._fps) * 16 > 8 * len(self._prefixes):
            bits = max(64, 32 * len(self._fps)).bit_length()  # 2**bits >= 16 per entry
            self._prefixes, self._shift = bytearray(1 << (bits - 3)), 64 - bits
            added = self._fps.tolist()
        prefixes, shift = self._prefixes, self._shift
        for fp in added:
            slot = fp >> shift
            prefixes[slot >> 3] |= 1 << (slot & 7)

    def _compact(self, now: float) -> None:
        """Leaves out every expired entry (a pass over the arrays, once per quarter of them
        expired)."""
        exps = self._exps
        keep = [i for i, e in enumerate(exps) if e > now]
        ids = memoryview(self._ids)
        try:
            self._ids = bytearray(b"".join([ids[ID_BYTES * i : ID_BYTES * (i + 1)] for i in keep]))
        finally:
            ids.release()
        self._fps = array("Q", map(self._fps.__getitem__, keep))
        self._exps = array("I", map(exps.__getitem__, keep))
        self._prefixes, self._shift = bytearray(1), 64
        self._mark([])  # every prefix again, in a table sized for what is left
        self._hours = {}
        for e in self._exps:
            self._count(e, 1)
        give_back(len(exps) * 28)

    def items(self, now: float) -> Iterator[tuple[str, int]]:
        """Every id unexpired now and its expiry, as held at the call: later merges build
        new arrays and leave these alone, so the walk may be spread over awaits."""
        tail = [(i, e) for i, e in (*self._tail.items(), *self._odd.items()) if e > now]
        return self._walk(tail, self._fps, self._ids, self._exps, now)

    @staticmethod
    def _walk(
        tail: list[tuple[str, int]], fps: array[int], ids: bytearray, exps: array[int], now: float
    ) -> Iterator[tuple[str, int]]:
        yield from tail
        for i in range(len(fps)):
            if exps[i] > now:
                yield id_of(bytes(ids[ID_BYTES * i : ID_BYTES * (i + 1)])), exps[i]
