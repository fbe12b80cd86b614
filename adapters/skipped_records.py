"""Reading pages of stored records that may hold one that cannot be shown (text that is not
valid Unicode, nesting too deep, a field that no longer parses): such a record is left out
of the page and logged once, instead of failing the whole page (defence in depth: the
strict body reader keeps such records from being stored in the first place)."""

import logging

log = logging.getLogger("ballast.storage")
REMEMBERED = 10_000


class SkippedRecords:
    """One per reader; remembers which records it has already logged (bounded)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._logged: set[str] = set()

    def skip(self, record_id: str, reason: str) -> None:
        if record_id in self._logged:
            return
        if len(self._logged) >= REMEMBERED:
            self._logged.clear()
        self._logged.add(record_id)
        log.warning(
            "event=record_skipped kind=%s id=%s reason=%s",
            self.kind,
            record_id.encode("utf-8", "backslashreplace").decode()[:64],
            reason,
        )
