"""On/off lights for the pipeline benchmark (bench/stt.py), never installed by users.

The benchmark home needs lights in areas so that phrase mode has commands to recognise;
the benchmark assigns each light to its area over the websocket API.
"""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.discovery import async_load_platform
from homeassistant.helpers.typing import ConfigType

DOMAIN = "bench_lights"
LIGHTS = 5


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Load the light platform."""
    hass.async_create_task(async_load_platform(hass, Platform.LIGHT, DOMAIN, {}, config))
    return True
