"""The cloud guard's events, for automations.

voice_guard_request_blocked: one per blocked lookup of a guarded host.
voice_guard_lookup_answered: a guarded host was answered after the rules took effect
(the device is not protected), once per such finding.
voice_guard_new_host: a guarded device looked up a host it never looked up before (after
its learning period; destinations.py).
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.util import dt as dt_util

from ..compat import device_by_identifier
from ..const import DOMAIN, EVENT_LOOKUP_ANSWERED, EVENT_NEW_HOST, EVENT_REQUEST_BLOCKED
from .destinations import NewHost, registrable_domain
from .dns.filters.base import BlockedQuery
from .proof import Outcome


class BlockedEvents:
    """Fire the guard's events, naming the guarded device's registry device."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Fire on hass's bus, for the devices of a filter entry."""
        self._hass = hass
        self._entry_id = entry_id

    def device_id(self, subentry_id: str) -> str | None:
        """Return the device registry id of a guarded device (None before it has one)."""
        registry = dr.async_get(self._hass)
        device = device_by_identifier(registry, (DOMAIN, subentry_id), self._entry_id)
        return device.id if device is not None else None

    def fire(self, query: BlockedQuery, category: str, name: str) -> None:
        """Fire the event of one blocked lookup."""
        self._hass.bus.async_fire(
            EVENT_REQUEST_BLOCKED,
            {
                "device_id": self.device_id(query.device_id),
                "subentry_id": query.device_id,
                "name": name,
                "host": query.host,
                "category": category,
                "time": dt_util.as_utc(query.time).isoformat(),
            },
        )

    def fire_answered(self, subentry_id: str, name: str, answered: Outcome) -> None:
        """Fire the event of a guarded lookup the filter answered (protection disproved)."""
        self._hass.bus.async_fire(
            EVENT_LOOKUP_ANSWERED,
            {
                "device_id": self.device_id(subentry_id),
                "subentry_id": subentry_id,
                "name": name,
                "host": answered.host,
                "address": answered.address,
                "status": answered.status,
                "time": dt_util.as_utc(answered.time).isoformat(),
            },
        )

    def fire_new_host(self, new: NewHost, name: str, category: str) -> None:
        """Fire the event of a host the device never looked up before."""
        self._hass.bus.async_fire(
            EVENT_NEW_HOST,
            {
                "device_id": self.device_id(new.device_id),
                "subentry_id": new.device_id,
                "name": name,
                "host": new.host,
                "domain": registrable_domain(new.host),
                "category": category,
                "blocked": new.blocked,
                "time": dt_util.as_utc(new.time).isoformat(),
            },
        )
