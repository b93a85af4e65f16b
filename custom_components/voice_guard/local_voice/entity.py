"""The base entity of local voice: the speech engine's entities, on its service device."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription

from ..const import DOMAIN, NAME
from .data import SpeechConfigEntry


class LocalVoiceEntity(Entity):
    """An entity of the speech entry: named by translation, unique per entry and key."""

    _attr_has_entity_name = True

    def __init__(
        self,
        entry: SpeechConfigEntry,
        description: EntityDescription,
        unique_prefix: str | None = None,
    ) -> None:
        """Describe the entity; it belongs to the speech engine's service device."""
        self.entity_description = description
        self._attr_unique_id = f"{unique_prefix or entry.entry_id}_{description.key}"
        self._attr_device_info = speech_device(entry)


def speech_device(entry: SpeechConfigEntry) -> DeviceInfo:
    """Return the speech engine's service device (named as its entity ids are made of)."""
    return DeviceInfo(
        identifiers={(DOMAIN, entry.entry_id)},
        name=NAME,
        manufacturer=NAME,
        entry_type=DeviceEntryType.SERVICE,
    )
