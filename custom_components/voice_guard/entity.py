"""The one base entity of Voice Guard, and its coordinator-driven form for guarded devices."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_URL
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import CONF_DEVICE_TYPE, CONF_LINKED_DEVICE, CONF_MAC, DOMAIN, NAME
from .coordinator import DeviceState, GuardCoordinator, GuardSnapshot
from .data import is_filter_entry

MANUFACTURERS = {
    "echo": "Amazon",
    "echo_dot": "Amazon",
    "echo_show": "Amazon",
    "google_nest": "Google",
    "ring": "Ring",
    "roomba": "iRobot",
}
MODELS = {
    "echo": "Echo",
    "echo_dot": "Echo Dot",
    "echo_show": "Echo Show",
    "google_nest": "Nest speaker",
    "ring": "Doorbell or camera",
    "roomba": "Roomba",
    "thermostat": "Thermostat",
    "lamp_plug": "Lamp or plug",
}


class VoiceGuardEntity(Entity):
    """An entity of Voice Guard: named by translation, unique per entry and key."""

    _attr_has_entity_name = True

    def __init__(
        self, unique_prefix: str, description: EntityDescription, device_info: DeviceInfo
    ) -> None:
        """Describe the entity and the device it belongs to."""
        self.entity_description = description
        self._attr_unique_id = f"{unique_prefix}_{description.key}"
        self._attr_device_info = device_info


def service_device(entry: ConfigEntry[Any]) -> DeviceInfo:
    """Return the service device of an entry (the speech engine, or a DNS filter)."""
    return DeviceInfo(
        identifiers={(DOMAIN, entry.entry_id)},
        # The speech engine's device keeps the name its entity ids are made of.
        name=entry.title if is_filter_entry(entry) else NAME,
        manufacturer=NAME,
        entry_type=DeviceEntryType.SERVICE,
        configuration_url=entry.data.get(CONF_URL),
    )


class GuardedDeviceEntity(CoordinatorEntity[GuardCoordinator], VoiceGuardEntity):
    """An entity of one guarded device, updated by its filter's coordinator."""

    def __init__(
        self, coordinator: GuardCoordinator, subentry_id: str, description: EntityDescription
    ) -> None:
        """Attach the entity to the guarded device (merged with an existing one by MAC)."""
        subentry = coordinator.config_entry.subentries[subentry_id]
        mac = subentry.data.get(CONF_MAC)
        device_type = str(subentry.data[CONF_DEVICE_TYPE])
        device_info = DeviceInfo(
            identifiers={(DOMAIN, subentry_id)},
            name=subentry.title,
            manufacturer=MANUFACTURERS.get(device_type),
            model=MODELS.get(device_type),
        )
        if mac:
            device_info["connections"] = {(dr.CONNECTION_NETWORK_MAC, dr.format_mac(mac))}
        linked = subentry.data.get(CONF_LINKED_DEVICE)
        if linked and (parent := dr.async_get(coordinator.hass).async_get(linked)) is not None:
            # Shown as "connected via" the existing device (the Echo of the Alexa integration).
            if "via_device_id" in DeviceInfo.__annotations__:
                device_info["via_device_id"] = parent.id  # type: ignore[typeddict-unknown-key,unused-ignore]
            elif parent.identifiers:
                device_info["via_device"] = next(iter(parent.identifiers))  # type: ignore[typeddict-unknown-key,unused-ignore]
        CoordinatorEntity.__init__(self, coordinator)
        VoiceGuardEntity.__init__(self, subentry_id, description, device_info)
        self.subentry_id = subentry_id

    @property
    def device_state(self) -> DeviceState | None:
        """Return this device's part of the latest update (None before the first one)."""
        data: GuardSnapshot | None = self.coordinator.data
        return data.devices.get(self.subentry_id) if data is not None else None

    @property
    def available(self) -> bool:
        """Available while the filter answers and the device is known to it."""
        return super().available and self.device_state is not None

    async def async_added_to_hass(self) -> None:
        """Tell the coordinator this device's registry id, for its events."""
        await super().async_added_to_hass()
        if self.registry_entry is not None and self.registry_entry.device_id:
            self.coordinator.register_device(self.subentry_id, self.registry_entry.device_id)
