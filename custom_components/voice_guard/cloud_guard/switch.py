"""Switches of a guarded device: the user's desired blocking policy, one switch per block."""

from __future__ import annotations

from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.core import callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..assistants import keep_from_assistants
from ..const import SUBENTRY_DEVICE
from ..permissions import async_require_administrator
from .coordinator import GuardCoordinator
from .data import GuardConfigEntry
from .dns.policy import BLOCK_CATEGORIES, Block
from .entity import GuardedDeviceEntity
from .errors import raise_unless_written

DESCRIPTIONS = tuple(
    SwitchEntityDescription(key=block.value, translation_key=block.value) for block in Block
)


@callback
def async_setup_guard_switches(
    entry: GuardConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Add each guarded device's switches (those its type has hosts for)."""
    coordinator = entry.runtime_data
    for subentry_id, subentry in entry.subentries.items():
        if subentry.subentry_type != SUBENTRY_DEVICE:
            continue
        async_add_entities(
            [
                GuardSwitch(coordinator, subentry_id, description)
                for description in DESCRIPTIONS
                if coordinator.desired.has_switch(subentry_id, Block(description.key))
            ],
            config_subentry_id=subentry_id,
        )


class GuardSwitch(GuardedDeviceEntity, SwitchEntity):
    """On: the device must not reach this block's hosts. The state is the desired policy."""

    def __init__(
        self, coordinator: GuardCoordinator, subentry_id: str, description: SwitchEntityDescription
    ) -> None:
        """Switch one block of one device."""
        super().__init__(coordinator, subentry_id, description)
        self._block = Block(description.key)
        device = coordinator.devices()[subentry_id]
        self._breakage = coordinator.catalog.breakage(
            device.device_type, set(BLOCK_CATEGORIES[self._block])
        )

    async def async_added_to_hass(self) -> None:
        """Keep the switch from Assist and other agents unless the owner exposed it."""
        await super().async_added_to_hass()
        keep_from_assistants(self.hass, self.entity_id)

    @property
    def is_on(self) -> bool:
        """Return whether this block is in force (off while the cloud is allowed)."""
        if self.coordinator.desired.allowed_until(self.subentry_id) is not None:
            return False
        return self._block in self.coordinator.desired.enabled(self.subentry_id)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """What blocking this may break (the catalog's notes); the allowance while one runs."""
        attributes: dict[str, Any] = {"breakage": self._breakage}
        until = self.coordinator.desired.allowed_until(self.subentry_id)
        if until is not None:
            wanted = self._block in self.coordinator.desired.enabled(self.subentry_id)
            attributes |= {"allowed_until": until.isoformat(), "on_after_allowance": wanted}
        return attributes

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Block the hosts (turning one on ends a running cloud allowance)."""
        await self._set(on=True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Allow the hosts again (administrators and automations only)."""
        await async_require_administrator(self.hass, self._context, f"turn off {self.entity_id}")
        await self._set(on=False)

    async def _set(self, *, on: bool) -> None:
        """Store the wish and apply it (errors.py says when the filter was not written)."""
        await self.coordinator.desired.async_set_block(self.subentry_id, self._block, on=on)
        self.async_write_ha_state()
        raise_unless_written([self.coordinator])
