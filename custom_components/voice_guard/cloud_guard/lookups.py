"""Where the filter's query log is read from, and when each device was last seen asking.

Plain Python (no Home Assistant import). The cursor is the newest log entry read (the
filter's clock), so the next read costs what happened since. A device's newest lookup
within EVIDENCE_WINDOW shows that its lookups reach the filter at all.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .dns.filters.base import QueryLog

# A device counts as asking the filter only if the filter saw it look something up this recently.
EVIDENCE_WINDOW = timedelta(hours=24)
CURSOR_MARGIN = timedelta(minutes=1)


def recent(last_lookup: datetime | None, now: datetime) -> bool:
    """Whether a lookup at that time still shows that the device asks the filter."""
    return last_lookup is not None and now - last_lookup <= EVIDENCE_WINDOW


def stored_time(value: Any) -> datetime | None:
    """Take back a time the store keeps as ISO text (None for anything else)."""
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


@dataclass(slots=True)
class LookupTracker:
    """The query-log cursor, each device's newest lookup, and since when it is watched."""

    cursor: datetime | None = None
    last_lookup: dict[str, datetime | None] = field(default_factory=dict)
    watched_since: dict[str, datetime] = field(default_factory=dict)

    @classmethod
    def load(cls, stored: Any) -> LookupTracker:
        """Take back what stored() gave."""
        log = stored if isinstance(stored, dict) else {}
        return cls(
            cursor=stored_time(log.get("cursor")),
            last_lookup={str(d): stored_time(t) for d, t in (log.get("last_lookup") or {}).items()},
            watched_since={
                str(d): when
                for d, t in (log.get("watched_since") or {}).items()
                if (when := stored_time(t)) is not None
            },
        )

    def stored(self) -> dict[str, Any]:
        """As the store keeps it."""
        return {
            "cursor": self.cursor.isoformat() if self.cursor else None,
            "last_lookup": {d: t.isoformat() if t else None for d, t in self.last_lookup.items()},
            "watched_since": {d: t.isoformat() for d, t in self.watched_since.items()},
        }

    def unknown(self, devices: Collection[str]) -> list[str]:
        """Devices whose newest lookup was never searched for."""
        return [d for d in devices if d not in self.last_lookup]

    def seen(self, device_id: str, now: datetime) -> bool:
        """Whether the device asked the filter within EVIDENCE_WINDOW."""
        return recent(self.last_lookup.get(device_id), now)

    def follow(
        self, log: QueryLog, devices: Collection[str], unknown: Collection[str], now: datetime
    ) -> bool:
        """Move the cursor on and keep each device's newest lookup; True if that matters.

        The cursor and the exact times change on every poll: they are stored with the next
        real change or at shutdown, not each time (a restart then reads a little again).
        """
        if log.newest is not None and (self.cursor is None or log.newest > self.cursor):
            self.cursor = log.newest
        elif self.cursor is None:
            # An empty log: read from a little before now on (the clocks may differ a bit),
            # so the next read is a steady one and not another catch-up.
            self.cursor = now - CURSOR_MARGIN
        before = {d: self.seen(d, now) for d in devices}
        for device_id in unknown:
            self.last_lookup.setdefault(device_id, None)
        for device_id, when in log.last_lookup.items():
            last = self.last_lookup.get(device_id)
            if last is None or when > last:
                self.last_lookup[device_id] = when
        for device_id in devices:
            self.watched_since.setdefault(device_id, now)
        for gone in set(self.last_lookup) - set(devices):
            del self.last_lookup[gone]
        for gone in set(self.watched_since) - set(devices):
            del self.watched_since[gone]
        return bool(unknown) or before != {d: self.seen(d, now) for d in devices}

    def watched_for(self, device_id: str, now: datetime) -> timedelta:
        """How long the device has been watched."""
        return now - self.watched_since.get(device_id, now)
