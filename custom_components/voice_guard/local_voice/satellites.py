"""Satellites: pin an Assist satellite's pipeline to the private pipeline ("local voice only").

A satellite (ESPHome, Wyoming, Voice PE …) chooses its pipeline with a select entity of
its own integration (unique id ending in "-pipeline"). While the switch is on, Voice Guard
sets that select to the private pipeline, remembers the previous choice, and sets it back
if anything changes it; off restores the previous choice. The state survives restarts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from homeassistant.const import ATTR_ENTITY_ID, ATTR_OPTION
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.helpers.storage import Store

from ..const import DOMAIN, LOGGER

STORAGE_KEY = f"{DOMAIN}.satellites"
PREFERRED = "preferred"


@dataclass(frozen=True, slots=True)
class Satellite:
    """An Assist satellite and the select entity that picks its pipeline.

    key is stable across renames (the satellite's platform and unique id); select_id is
    the select's entity registry id, which a rename keeps too.
    """

    key: str
    select_id: str
    name: str
    entity_id: str  # the satellite's entity id now (it can be renamed)


def satellite_key(entry: er.RegistryEntry) -> str:
    """Return the stable key of a satellite entity: its platform and unique id."""
    return f"{entry.platform}:{entry.unique_id}"


def find_satellites(hass: HomeAssistant) -> list[Satellite]:
    """List every assist_satellite entity whose device has a pipeline select."""
    registry = er.async_get(hass)
    found = []
    for entry in list(registry.entities.values()):
        if entry.domain != "assist_satellite" or entry.device_id is None:
            continue
        select = next(
            (
                e
                for e in er.async_entries_for_device(registry, entry.device_id)
                if e.domain == "select" and e.unique_id.endswith("-pipeline")
            ),
            None,
        )
        if select is None:
            continue
        state = hass.states.get(entry.entity_id)
        name = (
            (state.name if state else None) or entry.name or entry.original_name or entry.entity_id
        )
        found.append(Satellite(satellite_key(entry), select.id, str(name), entry.entity_id))
    return found


class SatellitePins:
    """The pinned satellites, their previous pipeline choices, and the watchers.

    Pins are keyed by the select's entity registry id: a renamed select stays pinned.
    """

    def __init__(self, hass: HomeAssistant, pipeline_name: str) -> None:
        """Pin to the pipeline with this name."""
        self.hass = hass
        self.pipeline_name = pipeline_name
        self._store: Store[dict[str, Any]] = Store(hass, 1, STORAGE_KEY)
        self._previous: dict[str, str] = {}  # select registry id -> choice before pinning
        self._unsubs: dict[str, Any] = {}
        self._unsub_registry: Any = None

    def _entity_id(self, select_id: str) -> str | None:
        entry = er.async_get(self.hass).async_get(select_id)
        return entry.entity_id if entry else None

    async def async_load(self) -> None:
        """Resume the pins stored before a restart (older ones were keyed by entity id)."""
        registry = er.async_get(self.hass)
        stored = dict((await self._store.async_load() or {}).get("pinned") or {})
        for key, previous in stored.items():
            entry = registry.async_get(key)  # a registry id, or an entity id before
            if entry is not None:
                self._previous[entry.id] = previous
        if self._previous != stored:
            await self._save()
        self._unsub_registry = self.hass.bus.async_listen(
            er.EVENT_ENTITY_REGISTRY_UPDATED, self._registry_updated
        )
        for select in self._previous:
            self._watch(select)
            await self._pin(select)

    @callback
    def _registry_updated(self, event: Event[er.EventEntityRegistryUpdatedData]) -> None:
        """Follow a renamed select; forget the pin of a removed one."""
        data = event.data
        if data["action"] == "remove":
            entry_id = next(
                (s for s in self._previous if self._entity_id(s) is None),
                None,
            )
            if entry_id is not None:
                self._previous.pop(entry_id)
                if (unsub := self._unsubs.pop(entry_id, None)) is not None:
                    unsub()
                self.hass.async_create_task(self._save())
        elif data["action"] == "update" and "old_entity_id" in data:
            entry = er.async_get(self.hass).async_get(data["entity_id"])
            if entry is not None and entry.id in self._previous:
                if (unsub := self._unsubs.pop(entry.id, None)) is not None:
                    unsub()
                self._watch(entry.id)

    def is_pinned(self, select: str) -> bool:
        """Return whether local voice only is on for the satellite with this select."""
        return select in self._previous

    async def async_pin(self, select: str) -> None:
        """Turn local voice only on."""
        if select not in self._previous:
            entity_id = self._entity_id(select)
            state = self.hass.states.get(entity_id) if entity_id else None
            current = state.state if state else PREFERRED
            self._previous[select] = PREFERRED if current == self.pipeline_name else current
            await self._save()
            self._watch(select)
        await self._pin(select)

    async def async_unpin(self, select: str) -> None:
        """Turn local voice only off and restore the previous choice."""
        previous = self._previous.pop(select, None)
        if (unsub := self._unsubs.pop(select, None)) is not None:
            unsub()
        await self._save()
        if previous is not None:
            await self._select(select, previous)

    def async_stop(self) -> None:
        """Stop watching (on unload); the pins stay stored."""
        for unsub in self._unsubs.values():
            unsub()
        self._unsubs.clear()
        if self._unsub_registry is not None:
            self._unsub_registry()
            self._unsub_registry = None

    async def _save(self) -> None:
        await self._store.async_save({"pinned": self._previous})

    def _watch(self, select: str) -> None:
        entity_id = self._entity_id(select)
        if entity_id is None:
            return

        @callback
        def changed(event: Event[EventStateChangedData]) -> None:
            new = event.data["new_state"]
            if new is not None and new.state not in (self.pipeline_name, "unavailable"):
                LOGGER.info("%s was set to %s; pinning it again", entity_id, new.state)
                self.hass.async_create_task(self._pin(select))

        self._unsubs[select] = async_track_state_change_event(self.hass, [entity_id], changed)

    async def _pin(self, select: str) -> None:
        entity_id = self._entity_id(select)
        state = self.hass.states.get(entity_id) if entity_id else None
        if state is not None and state.state != self.pipeline_name:
            await self._select(select, self.pipeline_name)

    async def _select(self, select: str, option: str) -> None:
        if (entity_id := self._entity_id(select)) is None:
            return
        await self.hass.services.async_call(
            "select",
            "select_option",
            {ATTR_ENTITY_ID: entity_id, ATTR_OPTION: option},
            blocking=True,
        )
