"""A guarded device's "no longer protected" as a trigger on a target (Home Assistant 2026).

The automation editor's "By target" picker offers triggers that describe a target
(triggers.yaml); device triggers are not among them. So the trigger also exists as
voice_guard.protection_lost: Protection confirmed of a guarded device (the target: the
device, its area, or the entity) turning off. Home Assistant 2025 has no such triggers: it
has the device trigger only (device_automations.py).
"""

from __future__ import annotations

from typing import Any

from homeassistant.const import STATE_OFF
from homeassistant.helpers import entity_registry as er

from ..compat import DomainSpec, EntityTargetStateTriggerBase
from ..const import DOMAIN

PROTECTION_SUFFIX = "_protection_confirmed"


def build_triggers() -> dict[str, Any]:
    """Return the target triggers this Home Assistant supports (none before 2026)."""
    if EntityTargetStateTriggerBase is None or DomainSpec is None:
        return {}

    class ProtectionLostTrigger(EntityTargetStateTriggerBase):
        """Protection confirmed of a guarded device turned off."""

        _domain_specs = {"binary_sensor": DomainSpec()}  # noqa: RUF012 - the base's attribute
        _to_states = {STATE_OFF}  # noqa: RUF012 - the base's attribute

        def entity_filter(self, entities: set[str]) -> set[str]:
            """Keep only the guarded devices' Protection confirmed sensors."""
            registry = er.async_get(self._hass)
            return {
                entity_id
                for entity_id in super().entity_filter(entities)
                if (entry := registry.async_get(entity_id)) is not None
                and entry.platform == DOMAIN
                and entry.unique_id.endswith(PROTECTION_SUFFIX)
            }

    return {"protection_lost": ProtectionLostTrigger}
