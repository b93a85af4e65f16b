"""The blocked lookups of the last 24 hours, per guarded device, and which are new.

Kept by the coordinator and stored with it; plain Python (no Home Assistant import). A
lookup is kept once (by device, host and time); those newer than the last one reported
are handed back as new, so a restart reads the day again without reporting it twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

MAX_HISTORY = 5000  # blocked lookups kept per device


@dataclass(frozen=True, slots=True)
class BlockedRequest:
    """A blocked lookup as the entities show it."""

    host: str
    category: str
    time: datetime
    rule: str = ""  # the rule the filter says blocked it

    def stored(self, device_id: str) -> dict[str, str]:
        """Return the lookup as the store keeps it."""
        return {
            "device_id": device_id,
            "host": self.host,
            "category": self.category,
            "time": self.time.isoformat(),
            "rule": self.rule,
        }


class BlockedHistory:
    """Blocked lookups per device, oldest first, each once."""

    def __init__(self) -> None:
        """Start empty."""
        self._by_device: dict[str, list[BlockedRequest]] = {}
        self._known: set[tuple[str, str, datetime]] = set()
        self.last_reported: str | None = None  # the time of the newest lookup reported

    def load(self, items: Iterable[dict[str, Any]], last_reported: str | None) -> None:
        """Take back what stored() gave."""
        for item in items:
            request = BlockedRequest(
                host=item["host"],
                category=item["category"],
                time=datetime.fromisoformat(item["time"]),
                rule=item.get("rule", ""),
            )
            self.add(item["device_id"], request)
        self.last_reported = last_reported

    def stored(self) -> list[dict[str, str]]:
        """Return every kept lookup as the store keeps them, oldest first."""
        return sorted(
            (r.stored(d) for d, rs in self._by_device.items() for r in rs),
            key=lambda h: h["time"],
        )

    def of(self, device_id: str) -> list[BlockedRequest]:
        """Return a device's kept lookups, oldest first (no other device's are looked at)."""
        return list(self._by_device.get(device_id, ()))

    def is_new(self, request: BlockedRequest) -> bool:
        """Whether a lookup is newer than every one reported before (a restart re-reads)."""
        return self.last_reported is None or request.time.isoformat() > self.last_reported

    def reported(self, request: BlockedRequest) -> None:
        """Remember that a lookup was reported (an event fired for it)."""
        stamp = request.time.isoformat()
        self.last_reported = max(self.last_reported or stamp, stamp)

    def prune(self, devices: Iterable[str], cutoff: datetime) -> bool:
        """Drop lookups older than cutoff and those of devices no longer guarded.

        Returns whether anything was dropped. A device whose oldest lookup is recent
        costs one comparison.
        """
        wanted = set(devices)
        changed = False
        for device_id in list(self._by_device):
            requests = self._by_device[device_id]
            if device_id in wanted and requests[0].time >= cutoff:
                continue
            keep = [r for r in requests if r.time >= cutoff][-MAX_HISTORY:]
            if device_id not in wanted:
                keep = []
            if len(keep) != len(requests):
                changed = True
                dropped = set(requests) - set(keep)
                self._known -= {(device_id, r.host, r.time) for r in dropped}
                if keep:
                    self._by_device[device_id] = keep
                else:
                    del self._by_device[device_id]
        return changed

    def add(self, device_id: str, request: BlockedRequest) -> bool:
        """Keep a lookup once; return whether it was not kept before."""
        key = (device_id, request.host, request.time)
        if key in self._known:
            return False
        self._known.add(key)
        requests = self._by_device.setdefault(device_id, [])
        requests.append(request)
        if len(requests) > 1 and requests[-2].time > request.time:
            requests.sort(key=lambda r: r.time)
        return True
