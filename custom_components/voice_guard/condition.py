"""Target conditions (Home Assistant 2026): only guarded devices have them (cloud_guard/)."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant

from .cloud_guard.target_conditions import build_conditions


async def async_get_conditions(hass: HomeAssistant) -> dict[str, Any]:
    """Return the conditions: is protected, is not protected, cloud allowed for now."""
    return build_conditions()
