"""The button of a guarded device: end a cloud allowance before its time."""

from __future__ import annotations

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..const import SUBENTRY_DEVICE
from .data import GuardConfigEntry
from .entity import GuardedDeviceEntity
from .errors import raise_unless_written

END_ALLOWANCE = ButtonEntityDescription(
    key="end_cloud_allowance", translation_key="end_cloud_allowance"
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: GuardConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add each guarded device's button."""
    for subentry_id, subentry in entry.subentries.items():
        if subentry.subentry_type == SUBENTRY_DEVICE:
            async_add_entities(
                [EndAllowanceButton(entry.runtime_data, subentry_id, END_ALLOWANCE)],
                config_subentry_id=subentry_id,
            )


class EndAllowanceButton(GuardedDeviceEntity, ButtonEntity):
    """Puts the device's blocks back in force now; available only while the cloud is allowed."""

    @property
    def available(self) -> bool:
        """Return whether an allowance is running (and the filter answers)."""
        until = self.coordinator.desired.allowed_until(self.subentry_id)
        return super().available and until is not None

    async def async_press(self) -> None:
        """End the allowance."""
        await self.coordinator.desired.async_end_allowance(self.subentry_id)
        raise_unless_written([self.coordinator])
