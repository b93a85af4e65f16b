"""The buttons of a guarded device: start a cloud allowance, or end it before its time.

Starting one lowers protection: only an administrator (or an automation) may, as with
the allow_cloud_temporarily action. Ending one is open to everyone.
"""

from __future__ import annotations

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..errors import action_error
from ..permissions import async_require_administrator
from .data import GuardConfigEntry
from .entity import GuardedDeviceEntity, add_device_entities
from .errors import raise_unless_written

END_ALLOWANCE = ButtonEntityDescription(
    key="end_cloud_allowance", translation_key="end_cloud_allowance"
)
START_ALLOWANCE = ButtonEntityDescription(key="allow_cloud", translation_key="allow_cloud")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: GuardConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add each guarded device's button."""
    add_device_entities(
        entry,
        async_add_entities,
        lambda coordinator, subentry_id: [
            StartAllowanceButton(coordinator, subentry_id, START_ALLOWANCE),
            EndAllowanceButton(coordinator, subentry_id, END_ALLOWANCE),
        ],
    )


class EndAllowanceButton(GuardedDeviceEntity, ButtonEntity):
    """Puts the device's blocks back in force now.

    Available whenever the filter answers (an entity unavailable whenever no allowance
    runs wrote "Unavailable" lines into the device's Activity); pressed with none running,
    it says so, translated, as the end_cloud_allowance action does.
    """

    async def async_press(self) -> None:
        """End the allowance."""
        if not await self.coordinator.desired.async_end_allowance(self.subentry_id):
            title = self.coordinator.config_entry.subentries[self.subentry_id].title
            raise action_error("not_allowed", device=title)
        raise_unless_written([self.coordinator])


class StartAllowanceButton(GuardedDeviceEntity, ButtonEntity):
    """Lifts the device's blocks for the length chosen beside it (administrators only)."""

    async def async_press(self) -> None:
        """Start the allowance, after checking who asked."""
        await async_require_administrator(
            self.hass, self._context, f"allow the cloud for {self.device_entry_name()}"
        )
        length = self.coordinator.desired.allowance_length(self.subentry_id)
        await self.coordinator.desired.async_allow_temporarily(self.subentry_id, length)
        raise_unless_written([self.coordinator])

    def device_entry_name(self) -> str:
        """Return the guarded device's name, for the refusal."""
        return self.coordinator.config_entry.subentries[self.subentry_id].title
