"""Plain on/off lights called 스탠드 ("stand lamp"), a word the Korean model knows."""

from __future__ import annotations

from typing import Any

from homeassistant.components.light import ColorMode, LightEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.helpers.typing import ConfigType, DiscoveryInfoType

from . import LIGHTS


class BenchLight(LightEntity):
    """A light that only remembers whether it is on."""

    _attr_color_mode = ColorMode.ONOFF
    _attr_supported_color_modes = {ColorMode.ONOFF}  # noqa: RUF012 - Home Assistant's style
    _attr_is_on = False
    _attr_name = "스탠드"

    def __init__(self, index: int) -> None:
        """Light number index (the benchmark gives it an area)."""
        self._attr_unique_id = f"bench_light_{index}"

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Switch on."""
        self._attr_is_on = True
        self.async_write_ha_state()

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Switch off."""
        self._attr_is_on = False
        self.async_write_ha_state()


async def async_setup_platform(
    hass: HomeAssistant,
    config: ConfigType,
    async_add_entities: AddEntitiesCallback,
    discovery_info: DiscoveryInfoType | None = None,
) -> None:
    """Add the lights."""
    async_add_entities(BenchLight(index) for index in range(LIGHTS))
