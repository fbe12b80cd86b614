"""Times as the API writes them: RFC 3339, UTC, millisecond precision."""

from datetime import UTC, datetime


def rfc3339(epoch: float) -> str:
    return (
        datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )
