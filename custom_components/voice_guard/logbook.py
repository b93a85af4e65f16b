"""Describe Voice Guard's logbook entries: a guarded device's words, with an icon."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.components.logbook.const import (
    LOGBOOK_ENTRY_ICON,
    LOGBOOK_ENTRY_MESSAGE,
    LOGBOOK_ENTRY_NAME,
)
from homeassistant.core import Event, HomeAssistant, callback

from .const import DOMAIN, EVENT_LOGBOOK


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Callable[[Event], dict[str, Any]]], None],
) -> None:
    """Describe the entries cloud_guard/logbook_entries.py writes."""

    @callback
    def describe(event: Event) -> dict[str, Any]:
        return {
            LOGBOOK_ENTRY_NAME: event.data[LOGBOOK_ENTRY_NAME],
            LOGBOOK_ENTRY_MESSAGE: event.data[LOGBOOK_ENTRY_MESSAGE],
            LOGBOOK_ENTRY_ICON: event.data.get(LOGBOOK_ENTRY_ICON),
        }

    async_describe_event(DOMAIN, EVENT_LOGBOOK, describe)
