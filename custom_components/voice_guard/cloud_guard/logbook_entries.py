"""What a guarded device did, in the logbook, in words and in the home's language.

A blocked lookup ("Kitchen Echo tried to reach avs-alexa-eu.amazon.com: blocked (cloud
voice)"), at most one entry per device and host every RATE_LIMIT, so a chatty device
cannot flood the logbook (every lookup still fires voice_guard_request_blocked); a
temporary allowance that starts, ends, or is ended early; a host the device never
looked up before (at most a few per device and poll, see destinations.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from homeassistant.components.logbook.const import (
    LOGBOOK_ENTRY_ICON,
    LOGBOOK_ENTRY_MESSAGE,
    LOGBOOK_ENTRY_NAME,
)
from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from ..const import EVENT_LOGBOOK
from ..words import Words, async_words

RATE_LIMIT = timedelta(minutes=10)  # per device and host
# Each entry's icon in the logbook and the device page's Activity, by its message.
ICONS = {
    "blocked": "mdi:shield-check",
    "new_host": "mdi:web-plus",
    "allowed": "mdi:cloud-lock-open-outline",
    "ended": "mdi:shield-lock",
    "ended_early": "mdi:shield-lock",
}


class GuardLogbook:
    """Writes the guarded devices' logbook entries."""

    def __init__(self, hass: HomeAssistant, device_id: Callable[[str], str | None]) -> None:
        """Write to hass's logbook; device_id gives a guarded device's registry id."""
        self._hass = hass
        self._device_id = device_id
        self._words = Words({})
        self._last: dict[tuple[str, str], datetime] = {}

    async def async_load(self) -> None:
        """Read the entries' words in the home's language (English where one is missing)."""
        self._words = await async_words(self._hass)

    def text(self, key: str, **placeholders: str) -> str:
        """Return one of Voice Guard's words, filled in."""
        return self._words(key, **placeholders)

    def _message(self, key: str, **placeholders: str) -> str:
        return self.text(f"logbook_{key}", **placeholders)

    def _write(self, subentry_id: str, name: str, key: str, **placeholders: str) -> None:
        # Named by the device, not by one of its entities: the logbook shows the entity's
        # name before the message ("Protection confirmed is blocked again"), so the entry
        # reads "Kitchen Echo is blocked again". Our own event, described by logbook.py
        # (with an icon, which a plain logbook_entry event cannot carry); it holds the
        # device's registry id, by which the logbook finds it for the device page.
        if "logbook" not in self._hass.config.components:
            return
        data = {
            LOGBOOK_ENTRY_NAME: name,
            LOGBOOK_ENTRY_MESSAGE: self._message(key, **placeholders),
            LOGBOOK_ENTRY_ICON: ICONS[key.split("_", 1)[0] if key.startswith("blocked") else key],
        }
        if (device_id := self._device_id(subentry_id)) is not None:
            data[ATTR_DEVICE_ID] = device_id
        self._hass.bus.async_fire(EVENT_LOGBOOK, data)

    def blocked(
        self, subentry_id: str, name: str, host: str, category: str, when: datetime
    ) -> bool:
        """Log a blocked lookup unless the same host was logged for the device lately."""
        key = (name, host)
        last = self._last.get(key)
        if last is not None and when - last < RATE_LIMIT:
            return False
        self._last[key] = when
        self._last = {k: t for k, t in self._last.items() if when - t < RATE_LIMIT}
        self._write(subentry_id, name, f"blocked_{category}", host=host)
        return True

    def new_host(self, subentry_id: str, name: str, host: str, category: str) -> None:
        """Log a host the device never looked up before (after its learning period)."""
        kind = self.text(f"category_{category}")
        self._write(subentry_id, name, "new_host", host=host, category=kind)

    def allowed(self, subentry_id: str, name: str, until: datetime) -> None:
        """Log that the device's blocks are lifted for a while.

        For how long, not until when: the entry is stored as text, and a clock time would
        be in the server's zone and format, beside the Activity view's own in the user's.
        """
        duration = self._duration(until - dt_util.utcnow())
        self._write(subentry_id, name, "allowed", duration=duration)

    def _duration(self, length: timedelta) -> str:
        """Return a length in words: "1 hour 30 minutes", "2 days" (to the minute)."""
        minutes = max(1, round(length.total_seconds() / 60))
        days, rest = divmod(minutes, 24 * 60)
        hours, minutes = divmod(rest, 60)
        parts = [
            self.text(f"duration_{unit}", count=str(count))
            for unit, count in (("days", days), ("hours", hours), ("minutes", minutes))
            if count
        ]
        return " ".join(parts)

    def allowance_ended(self, subentry_id: str, name: str, *, early: bool) -> None:
        """Log that the device's blocks are in force again."""
        self._write(subentry_id, name, "ended_early" if early else "ended")
