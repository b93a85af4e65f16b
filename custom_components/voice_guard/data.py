"""What kind a Voice Guard config entry is, and changing an entry with one reload.

Each half owns its entries' types: the speech entry's in local_voice/data.py, a DNS
filter entry's beside GuardConfigEntry in cloud_guard/coordinator.py. This module imports
neither.
"""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback

from .const import CONF_KIND


def entry_kind(entry: ConfigEntry[Any]) -> str | None:
    """Return an entry's kind (KIND_SPEECH, KIND_FILTER); None for any other.

    Every entry records its kind. An ignored discovery (an entry Home Assistant stores with
    empty data) or an entry of a kind this version does not know is neither kind.
    """
    kind = entry.data.get(CONF_KIND)
    return str(kind) if kind is not None else None


@callback
def async_update_and_reload(hass: HomeAssistant, entry: ConfigEntry[Any], **changes: Any) -> None:
    """Change an entry and reload it once.

    A loaded entry has an update listener that reloads it when it changes (options,
    guarded devices); Home Assistant's async_update_reload_and_abort would reload it a
    second time (and warns about it since 2026). So a reload is scheduled here only where
    the listener does not run: the entry did not change, or it is not loaded.
    """
    listening = bool(entry.update_listeners)  # before: the listener may start at once
    changed = hass.config_entries.async_update_entry(entry, **changes)
    if not (changed and listening):
        hass.config_entries.async_schedule_reload(entry.entry_id)
