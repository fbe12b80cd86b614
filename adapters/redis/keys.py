"""Every Redis key Ballast writes, in one place. One prefix; the part in braces is the
Redis Cluster hash tag, so the keys of one aggregate share a slot.

    ballast:{user:<name>}            string  JSON of the user
    ballast:{fam:<family>}           string  the family's current refresh token id (TTL)
    ballast:{rev}:<kind>:<id>        string  expiry (epoch s) of a revocation (EXAT)
    ballast:revocations              pub/sub channel announcing new revocations
    ballast:{events}                 stream  the auth event log (capped)
    ballast:{events}:seen:<id>       string  replay guard of one event (TTL)
    ballast:{rates}:table            string  JSON of the last fetched rate table (TTL)
"""

PREFIX = "ballast:"


def user(username: str) -> str:
    return f"{PREFIX}{{user:{username}}}"


def family(family_id: str) -> str:
    return f"{PREFIX}{{fam:{family_id}}}"


REVOCATIONS = f"{PREFIX}{{rev}}:"
REVOCATION_CHANNEL = f"{PREFIX}revocations"


def revocation(kind: str, id_: str) -> str:
    return f"{REVOCATIONS}{kind}:{id_}"


EVENTS = f"{PREFIX}{{events}}"


def event_seen(event_id: str) -> str:
    return f"{EVENTS}:seen:{event_id}"


RATES = f"{PREFIX}{{rates}}:table"
