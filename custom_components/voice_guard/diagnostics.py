"""Diagnostics platform: settings, timings and filter state — never audio, text or secrets.

Each half writes its own (local_voice/diagnostics.py, cloud_guard/diagnostics.py).
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant

from .cloud_guard.data import is_filter_entry
from .cloud_guard.diagnostics import guard_diagnostics
from .const import TO_REDACT
from .local_voice.data import is_speech_entry
from .local_voice.diagnostics import speech_diagnostics


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: ConfigEntry[Any]
) -> dict[str, Any]:
    """Return diagnostics for a speech or filter entry."""
    if is_filter_entry(entry):
        return guard_diagnostics(entry)
    if is_speech_entry(entry):
        return speech_diagnostics(entry)
    return {"entry": {"data": async_redact_data(dict(entry.data), TO_REDACT)}}
