"""What a filter entry keeps in Home Assistant's storage, in one place.

The desired policy (switches and allowances), the blocked-lookup history, the query-log
cursor, the proof's evidence and what the filter client remembers (the rules it wrote).
The desired policy is written at once when it changes (it must survive a crash right
after); the rest is written when something changed, a few seconds later, and at shutdown.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from ..const import DOMAIN

STORAGE_VERSION = 1
SAVE_DELAY = 5  # seconds


def guard_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """Return the storage of a filter entry."""
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.guard.{entry_id}")


class GuardStore:
    """The stored state of one filter entry; data() gives what to write."""

    def __init__(
        self, hass: HomeAssistant, entry_id: str, data: Callable[[], dict[str, Any]]
    ) -> None:
        """Keep the entry's state; data builds it when it is written."""
        self._store = guard_store(hass, entry_id)
        self._data = data

    async def async_load(self) -> dict[str, Any]:
        """Read what was stored ({} when nothing or something unreadable was)."""
        stored = await self._store.async_load()
        return stored if isinstance(stored, dict) else {}

    def changed(self) -> None:
        """Something changed: write it soon (several changes, one write)."""
        self._store.async_delay_save(self._data, SAVE_DELAY)

    async def async_save(self) -> None:
        """Write now (a changed wish, or shutdown)."""
        await self._store.async_save(self._data())
