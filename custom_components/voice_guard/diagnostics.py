"""Diagnostics: engine, model, decoder settings and recent timings — never audio or text."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_HOST
from homeassistant.core import HomeAssistant

from .data import VoiceGuardConfigEntry

# Network addresses identify the home's network; diagnostics are shared in public issues.
TO_REDACT = {CONF_HOST, "server"}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: VoiceGuardConfigEntry
) -> dict[str, Any]:
    """Return diagnostics for the entry."""
    runtime = entry.runtime_data
    return {
        "entry": {
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": async_redact_data(dict(entry.options), TO_REDACT),
        },
        "speech_settings": asdict(runtime.speech),
        "engine": async_redact_data(runtime.engine.diagnostics(), TO_REDACT),
    }
