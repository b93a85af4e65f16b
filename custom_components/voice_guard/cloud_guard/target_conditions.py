"""A guarded device's conditions as conditions on a target (Home Assistant 2026).

The automation editor's "By target" picker offers conditions that describe a target
(conditions.yaml); device conditions are not among them. So the device conditions "is
protected", "is not protected" and "cloud is allowed for now" also exist as target
conditions, on the device, its area, or its sensor: voice_guard.is_protected,
voice_guard.is_not_protected, voice_guard.cloud_allowed. Home Assistant 2025 has the device
conditions only (device_automations.py).
"""

from __future__ import annotations

from typing import Any

from homeassistant.const import STATE_OFF, STATE_ON

from ..compat import DomainSpec, EntityStateConditionBase
from .target_triggers import guarded_entities

# Condition -> (the entity of a guarded device it reads, by domain and unique-id suffix,
# and the state that makes it true).
TESTED = {
    "is_protected": ("binary_sensor", "_protection_confirmed", STATE_ON),
    "is_not_protected": ("binary_sensor", "_protection_confirmed", STATE_OFF),
    "cloud_allowed": ("sensor", "_policy", "allowed_temporarily"),
}


def build_conditions() -> dict[str, Any]:
    """Return the target conditions this Home Assistant supports (none before 2026)."""
    if EntityStateConditionBase is None or DomainSpec is None:
        return {}

    def condition(domain: str, suffix: str, state: str) -> type[Any]:
        class GuardedDeviceCondition(EntityStateConditionBase):
            """A guarded device's sensor is in a state."""

            _domain_specs = {domain: DomainSpec()}  # noqa: RUF012 - the base's attribute
            _states = {state}  # noqa: RUF012 - the base's attribute

            def entity_filter(self, entities: set[str]) -> set[str]:
                """Keep only the guarded devices' entity this condition reads."""
                return guarded_entities(self._hass, super().entity_filter(entities), suffix)

        return GuardedDeviceCondition

    return {name: condition(*spec) for name, spec in TESTED.items()}
