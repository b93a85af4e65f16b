"""The base entity of the cloud guard: one guarded device, driven by its filter's coordinator."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from homeassistant.helpers import area_registry as ar, device_registry as dr
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from ..compat import connect_via
from ..const import (
    CONF_AREA,
    CONF_DEVICE_TYPE,
    CONF_LINKED_DEVICE,
    CONF_MAC,
    DOMAIN,
    SUBENTRY_DEVICE,
)
from .coordinator import GuardCoordinator
from .data import GuardConfigEntry
from .judge import DeviceState, GuardSnapshot

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


class GuardedDeviceEntity(CoordinatorEntity[GuardCoordinator]):
    """An entity of one guarded device, updated by its filter's coordinator."""

    _attr_has_entity_name = True

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
        area_id = subentry.data.get(CONF_AREA)
        if area_id and (area := ar.async_get(coordinator.hass).async_get_area(area_id)):
            # The area chosen in the guard form: actions by area find the device.
            device_info["suggested_area"] = area.name
        linked = subentry.data.get(CONF_LINKED_DEVICE)
        if linked and (parent := dr.async_get(coordinator.hass).async_get(linked)) is not None:
            # Shown as "connected via" the existing device (the Echo of the Alexa integration).
            connect_via(device_info, parent.id, parent.identifiers)
        super().__init__(coordinator)
        self.entity_description = description
        self._attr_unique_id = f"{subentry_id}_{description.key}"
        self._attr_device_info = device_info
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


def add_device_entities(
    entry: GuardConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    build: Callable[[GuardCoordinator, str], Iterable[Entity]],
) -> None:
    """Add each guarded device's entities of a platform, to the device's subentry."""
    for subentry_id, subentry in entry.subentries.items():
        if subentry.subentry_type == SUBENTRY_DEVICE:
            async_add_entities(
                build(entry.runtime_data, subentry_id), config_subentry_id=subentry_id
            )
