"""Every Redis key Ballast writes, in one place. One prefix; the part in braces is the
Redis Cluster hash tag, so the keys of one aggregate share a slot.

    ballast:{user:<name>}            string  JSON of the user
    ballast:{users}:all              zset    every username (score 0), listed by name (BYLEX)
    ballast:{users}:file             set     usernames defined by configuration (users file,
                                             bootstrap admin), removed at start when dropped
    ballast:{fam:<family>}           string  the family's current refresh token id (TTL)
    ballast:{ufam:<user>}            zset    the user's refresh families by expiry (epoch s)
    ballast:{rev}:<kind>:<id>        string  expiry (epoch s) of a revocation (EXAT); of kind
                                             user, `<expiry>;<issued_before>;<spared jti>`
    ballast:revocations              pub/sub channel announcing new revocations (sharded
                                     pub/sub on a cluster), one revocation a line
    ballast:{events}                 stream  the auth event log (capped)
    ballast:{events}:seen            zset    event id -> end of its replay guard (epoch s):
                                             a replayed event is written once
    ballast:{rates}:table            string  JSON of the last fetched rate table (TTL)
    ballast:{n:<recipient>}:n:<id>   hash    one notification (EXPIREAT its retention)
    ballast:{n:<recipient>}:inbox    zset    the recipient's notification ids by created_at
    ballast:{nid:<id>}               string  recipient of a notification id (for GET by id)
    ballast:{idem:<sender>}:<key>    string  notification id holding an Idempotency-Key (24 h)
    ballast:{pending}                zset    ids of pending notifications by last update time,
                                             swept for deliveries a stopped process left behind
    ballast:{nid:<id>}:lease         string  owner of the notification's delivery lease (PX)
    ballast:{rl:<bucket>}:<key>      string  a rate-limit key's theoretical arrival time (us,
                                             TTL); bucket: one of 16, by the key's CRC-32
    ballast:{instances}              zset    instance id -> last heartbeat (us), sizing the
                                             per-instance share of a limit during an outage
"""

import zlib

PREFIX = "ballast:"


def user(username: str) -> str:
    return f"{PREFIX}{{user:{username}}}"


CONFIGURED_USERS = f"{PREFIX}{{users}}:file"
USERNAMES = f"{PREFIX}{{users}}:all"


def family(family_id: str) -> str:
    return f"{PREFIX}{{fam:{family_id}}}"


def user_families(username: str) -> str:
    return f"{PREFIX}{{ufam:{username}}}"


REVOCATIONS = f"{PREFIX}{{rev}}:"
REVOCATION_CHANNEL = f"{PREFIX}revocations"


def revocation(kind: str, id_: str) -> str:
    return f"{REVOCATIONS}{kind}:{id_}"


EVENTS = f"{PREFIX}{{events}}"


EVENTS_SEEN = f"{EVENTS}:seen"


RATES = f"{PREFIX}{{rates}}:table"
RATES_HISTORY = f"{PREFIX}{{rates}}:history"  # hash: YYYY-MM-DD -> that day's table (JSON)


def notification(recipient: str, notification_id: str) -> str:
    return f"{PREFIX}{{n:{recipient}}}:n:{notification_id}"


def inbox(recipient: str) -> str:
    return f"{PREFIX}{{n:{recipient}}}:inbox"


def notification_recipient(notification_id: str) -> str:
    return f"{PREFIX}{{nid:{notification_id}}}"


PENDING = f"{PREFIX}{{pending}}"


def delivery_lease(notification_id: str) -> str:
    return f"{PREFIX}{{nid:{notification_id}}}:lease"


def idempotency_key(sender: str, key: str) -> str:
    return f"{PREFIX}{{idem:{sender}}}:{key}"


# A rate-limit key's hash tag is one of this many buckets, not the key itself: a script's
# keys must share a slot on a cluster, and one sync of the limiter then takes at most this
# many script calls however many keys it carries (adapters/redis/rate_limits.py says why 16).
RATE_LIMIT_BUCKETS = 16


def rate_limit_bucket(key: str) -> int:
    """The same for a key in every process (CRC-32: Python's str hash is salted per process)."""
    return zlib.crc32(key.encode()) % RATE_LIMIT_BUCKETS


def rate_limit(key: str) -> str:
    return f"{PREFIX}{{rl:{rate_limit_bucket(key)}}}:{key}"


INSTANCES = f"{PREFIX}{{instances}}"


# The client registry: one hash (one slot on a cluster), id -> "<version>|<record>".
CLIENTS = f"{PREFIX}{{clients}}"
CLIENT_CHANNEL = f"{PREFIX}clients"
