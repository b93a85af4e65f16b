"""A guarded device's triggers as triggers on a target (Home Assistant 2026).

The automation editor's "By target" picker offers triggers that describe a target
(triggers.yaml); device triggers are not among them. So both device triggers also exist as
target triggers: voice_guard.protection_lost (Protection confirmed of a guarded device
turned off) and voice_guard.cloud_voice_attempt_blocked (its Cloud voice attempt sensor
turned on); the target is the device, its area, or the sensor. Home Assistant 2025 has
no such triggers: it has the device triggers only (device_automations.py).
"""

from __future__ import annotations

from typing import Any

from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from ..compat import DomainSpec, EntityTargetStateTriggerBase
from ..const import DOMAIN

# Trigger -> (the binary sensor of a guarded device it watches, the state it fires on).
WATCHED = {
    "protection_lost": ("_protection_confirmed", STATE_OFF),
    "cloud_voice_attempt_blocked": ("_cloud_voice_attempt", STATE_ON),
}


def guarded_entities(hass: HomeAssistant, entity_ids: set[str], suffix: str) -> set[str]:
    """Return the entities of guarded devices among entity_ids whose unique id ends so.

    A target (a device, an area) holds every entity of a device; a trigger or condition
    on it reads one sensor of each guarded device.
    """
    registry = er.async_get(hass)
    return {
        entity_id
        for entity_id in entity_ids
        if (entry := registry.async_get(entity_id)) is not None
        and entry.platform == DOMAIN
        and entry.unique_id.endswith(suffix)
    }


def build_triggers() -> dict[str, Any]:
    """Return the target triggers this Home Assistant supports (none before 2026)."""
    if EntityTargetStateTriggerBase is None or DomainSpec is None:
        return {}

    def trigger(suffix: str, to_state: str) -> type[Any]:
        class GuardedDeviceTrigger(EntityTargetStateTriggerBase):
            """A guarded device's binary sensor reached a state."""

            _domain_specs = {"binary_sensor": DomainSpec()}  # noqa: RUF012 - the base's
            _to_states = {to_state}  # noqa: RUF012 - the base's attribute

            def entity_filter(self, entities: set[str]) -> set[str]:
                """Keep only the guarded devices' sensor this trigger watches."""
                return guarded_entities(self._hass, super().entity_filter(entities), suffix)

        return GuardedDeviceTrigger

    return {name: trigger(suffix, state) for name, (suffix, state) in WATCHED.items()}
