"""How long a cloud allowance started from the device page lasts (the Allow button uses it).

A setting of the device page, kept across restarts; the allowance itself is the
allow_cloud_temporarily action's, with the same rule: only an administrator starts one.
"""

from __future__ import annotations

from datetime import timedelta

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.restore_state import RestoreEntity

from .data import GuardConfigEntry
from .entity import GuardedDeviceEntity, add_device_entities

# The lengths offered, by option key; an hour unless the owner picked another.
LENGTHS = {
    "15_minutes": timedelta(minutes=15),
    "1_hour": timedelta(hours=1),
    "8_hours": timedelta(hours=8),
    "1_day": timedelta(days=1),
}
DEFAULT_LENGTH = "1_hour"

ALLOWANCE_LENGTH = SelectEntityDescription(
    key="allowance_length",
    translation_key="allowance_length",
    entity_category=EntityCategory.CONFIG,
    options=list(LENGTHS),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: GuardConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add each guarded device's allowance length."""
    add_device_entities(
        entry,
        async_add_entities,
        lambda coordinator, subentry_id: [
            AllowanceLength(coordinator, subentry_id, ALLOWANCE_LENGTH)
        ],
    )


class AllowanceLength(GuardedDeviceEntity, SelectEntity, RestoreEntity):
    """The length of the next cloud allowance started with the device's Allow button."""

    _attr_current_option = DEFAULT_LENGTH

    async def async_added_to_hass(self) -> None:
        """Take back the length chosen before a restart."""
        await super().async_added_to_hass()
        if (last := await self.async_get_last_state()) is not None and last.state in LENGTHS:
            self._attr_current_option = last.state
        self.coordinator.desired.set_allowance_length(self.subentry_id, self.length)

    @property
    def available(self) -> bool:
        """A setting: available whatever the filter does."""
        return True

    @property
    def length(self) -> timedelta:
        """The chosen length."""
        return LENGTHS.get(self.current_option or DEFAULT_LENGTH, LENGTHS[DEFAULT_LENGTH])

    async def async_select_option(self, option: str) -> None:
        """Choose the length of the next allowance (starting one is the button's)."""
        self._attr_current_option = option
        self.coordinator.desired.set_allowance_length(self.subentry_id, self.length)
        self.async_write_ha_state()
