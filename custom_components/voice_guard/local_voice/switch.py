"""Satellite switches of the speech entry: "local voice only" for each Assist satellite."""

from __future__ import annotations

from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..assistants import keep_from_assistants
from ..const import DOMAIN
from ..permissions import async_require_administrator
from .data import SpeechConfigEntry
from .entity import LocalVoiceEntity
from .satellites import Satellite, SatellitePins, find_satellites

LOCAL_VOICE = SwitchEntityDescription(key="local_voice_only", translation_key="local_voice_only")


@callback
def async_setup_satellite_switches(
    hass: HomeAssistant,
    entry: SpeechConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One switch per Assist satellite, also for satellites added later."""
    if (pins := entry.runtime_data.satellites) is None:
        return  # Assist is not loaded: no private pipeline to pin to
    switches = _SatelliteSwitches(hass, entry, pins, async_add_entities)
    switches.sync()
    entry.async_on_unload(hass.bus.async_listen(er.EVENT_ENTITY_REGISTRY_UPDATED, switches.sync))


class _SatelliteSwitches:
    """The satellite switches, following the entity registry.

    A switch is keyed by the satellite's platform and unique id, so a renamed satellite
    keeps its switch; the switch of a removed satellite is removed with it.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SpeechConfigEntry,
        pins: SatellitePins,
        add: AddConfigEntryEntitiesCallback,
    ) -> None:
        self._entry = entry
        self._pins = pins
        self._add = add
        self._hass = hass
        self._registry = er.async_get(hass)
        self._known: dict[str, Satellite] = {}  # satellite key -> satellite

    def _unique_id(self, satellite: Satellite) -> str:
        return f"{self._entry.entry_id}_{satellite.key}_{LOCAL_VOICE.key}"

    @callback
    def sync(self, event: Event[er.EventEntityRegistryUpdatedData] | None = None) -> None:
        """Add switches of new satellites, remove those of satellites that are gone."""
        found = {s.key: s for s in find_satellites(self._hass)}
        for key in set(self._known) - set(found):
            self._remove(self._unique_id(self._known.pop(key)))
        new = [s for key, s in found.items() if key not in self._known]
        for satellite in new:
            # Before 2026-12 a switch was keyed by the satellite's entity id.
            old = f"{self._entry.entry_id}_{satellite.entity_id}_{LOCAL_VOICE.key}"
            if switch := self._registry.async_get_entity_id("switch", DOMAIN, old):
                self._registry.async_update_entity(switch, new_unique_id=self._unique_id(satellite))
        self._known.update(found)
        if new:
            self._add([SatelliteSwitch(self._entry, self._pins, s) for s in new])
        if event is None:  # at setup: the switches of satellites removed meanwhile
            ours = {self._unique_id(s) for s in found.values()}
            for stale in er.async_entries_for_config_entry(self._registry, self._entry.entry_id):
                if stale.domain == "switch" and stale.unique_id not in ours:
                    self._registry.async_remove(stale.entity_id)

    def _remove(self, unique_id: str) -> None:
        if switch := self._registry.async_get_entity_id("switch", DOMAIN, unique_id):
            self._registry.async_remove(switch)


class SatelliteSwitch(LocalVoiceEntity, SwitchEntity):
    """On: the satellite uses the private pipeline, whatever else tries to change it."""

    _attr_should_poll = False

    def __init__(self, entry: SpeechConfigEntry, pins: SatellitePins, satellite: Satellite) -> None:
        """Switch one satellite."""
        super().__init__(entry, LOCAL_VOICE, f"{entry.entry_id}_{satellite.key}")
        self._attr_translation_placeholders = {"satellite": satellite.name}
        self._pins = pins
        self._select = satellite.select_id

    async def async_added_to_hass(self) -> None:
        """Keep the switch from Assist and other agents unless the owner exposed it."""
        await super().async_added_to_hass()
        keep_from_assistants(self.hass, self.entity_id)

    @property
    def is_on(self) -> bool:
        """Return whether the satellite is pinned."""
        return self._pins.is_pinned(self._select)

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Pin the satellite to the private pipeline."""
        await self._pins.async_pin(self._select)
        self.async_write_ha_state()

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Give the satellite its previous pipeline back (administrators and automations)."""
        await async_require_administrator(self.hass, self._context, f"turn off {self.entity_id}")
        await self._pins.async_unpin(self._select)
        self.async_write_ha_state()
