"""Target triggers (Home Assistant 2026): only guarded devices have one (cloud_guard/)."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant

from .cloud_guard.target_triggers import build_triggers


async def async_get_triggers(hass: HomeAssistant) -> dict[str, Any]:
    """Return the triggers: "a guarded device is no longer protected"."""
    return build_triggers()
