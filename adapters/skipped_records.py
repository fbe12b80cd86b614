"""Reading pages of stored records that may hold one that cannot be shown (text that is not
valid Unicode, nesting too deep, a field that no longer parses): such a record is left out
of the page and logged once, instead of failing the whole page (defence in depth: the
strict body reader keeps such records from being stored in the first place)."""

import logging

from application.bounded_cache import BoundedCache

log = logging.getLogger("ballast.storage")
REMEMBERED = 10_000


class SkippedRecords:
    """One per reader; remembers which records it has already logged (bounded)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._logged: BoundedCache[str, bool] = BoundedCache("skipped_records", REMEMBERED)

    def skip(self, record_id: str, reason: str) -> None:
        if self._logged.get(record_id):
            return
        self._logged.put(record_id, True)
        log.warning(
            "event=record_skipped kind=%s id=%s reason=%s",
            self.kind,
            record_id.encode("utf-8", "backslashreplace").decode()[:64],
            reason,
        )
