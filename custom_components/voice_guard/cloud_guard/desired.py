"""The desired policy: each guarded device's switches and temporary allowances.

This is what the user asked for, kept in Home Assistant's storage (never only in the
filter); the coordinator applies it. Reading it never changes it; changing it calls
nothing (whoever changes it asks the coordinator to apply it). An allowance ends by itself
at its time, also after a restart: then, and only then, `ended` is called.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping
from datetime import datetime, timedelta
from typing import Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util

from ..const import LOGGER
from .dns.policy import Block


class DesiredPolicy:
    """The switches that are on per device, and until when a device's blocks are lifted."""

    def __init__(
        self,
        hass: HomeAssistant,
        initial: Callable[[str], Collection[str]],
        ended: Callable[[str], Awaitable[None]],
    ) -> None:
        """Use initial for a device's switches until one is changed; ended when an allowance is."""
        self._hass = hass
        self._initial = initial
        self._ended = ended
        self._blocks: dict[str, list[str]] = {}
        self._allowed: dict[str, str] = {}
        self._timers: dict[str, CALLBACK_TYPE] = {}

    def load(self, stored: dict[str, Any]) -> None:
        """Take back what stored() gave; allowances still running end at their time."""
        self._blocks = dict(stored.get("blocks") or {})
        self._allowed = dict(stored.get("allowed") or {})
        for device_id, until in list(self._allowed.items()):
            when = datetime.fromisoformat(until)
            if when > dt_util.utcnow():
                self._schedule_end(device_id, when)
            else:
                del self._allowed[device_id]

    def stored(self) -> dict[str, Any]:
        """Return the policy as the store keeps it."""
        return {"blocks": self._blocks, "allowed": self._allowed}

    def enabled(self, device_id: str) -> set[Block]:
        """Return the switches that are on (those chosen when the device was added, first)."""
        stored = self._blocks.get(device_id)
        return {Block(b) for b in (stored if stored is not None else self._initial(device_id))}

    def allowed_until(self, device_id: str) -> datetime | None:
        """Return until when a device's blocks are lifted, if they are."""
        until = self._allowed.get(device_id)
        if until is None:
            return None
        when = datetime.fromisoformat(until)
        return when if when > dt_util.utcnow() else None

    def in_force(self, device_id: str) -> set[Block]:
        """Return the blocks to apply now: none while the device is allowed the cloud."""
        return set() if self.allowed_until(device_id) else self.enabled(device_id)

    def set(self, blocks: Mapping[str, set[Block]]) -> None:
        """Set all switches of each device given."""
        for device_id, chosen in blocks.items():
            self._blocks[device_id] = sorted(b.value for b in chosen)

    def allow(self, device_id: str, duration: timedelta) -> datetime:
        """Lift a device's blocks for a while; return until when."""
        until = dt_util.utcnow() + duration
        self._allowed[device_id] = until.isoformat()
        self._schedule_end(device_id, until)
        return until

    def end_allowance(self, device_id: str) -> bool:
        """End a device's allowance now; return whether one was running."""
        if (cancel := self._timers.pop(device_id, None)) is not None:
            cancel()
        return self._allowed.pop(device_id, None) is not None

    def keep_only(self, devices: Collection[str]) -> None:
        """Forget the switches of devices no longer guarded."""
        self._blocks = {d: b for d, b in self._blocks.items() if d in devices}

    def stop(self) -> None:
        """Cancel the allowances' timers (on unload); they resume at the next start."""
        for cancel in self._timers.values():
            cancel()
        self._timers.clear()

    def _schedule_end(self, device_id: str, until: datetime) -> None:
        if (cancel := self._timers.pop(device_id, None)) is not None:
            cancel()

        async def _end(_now: datetime) -> None:
            self._timers.pop(device_id, None)
            if self._allowed.get(device_id) == until.isoformat():
                del self._allowed[device_id]
                LOGGER.info("Blocks of %s are in force again", device_id)
                await self._ended(device_id)

        self._timers[device_id] = async_track_point_in_utc_time(self._hass, _end, until)
