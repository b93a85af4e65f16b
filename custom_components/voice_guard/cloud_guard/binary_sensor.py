"""Binary sensors of a guarded device: proof that the policy is in force, and voice attempts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util

from .coordinator import GuardCoordinator
from .data import GuardConfigEntry
from .entity import GuardedDeviceEntity, add_device_entities
from .judge import DeviceState


@dataclass(frozen=True, kw_only=True)
class GuardBinarySensorDescription(BinarySensorEntityDescription):
    """How a binary sensor reads a device's state."""

    is_on: Callable[[GuardCoordinator, DeviceState], bool]
    attributes: Callable[[DeviceState], dict[str, Any]] = lambda _: {}


def _confirmation(state: DeviceState) -> dict[str, Any]:
    """Say why the device is (not) shown protected, from what happened to its lookups."""
    evidence = state.evidence
    return {
        "proof": state.proof.value,
        "answered": state.disproof.stored() if state.disproof else None,
        "last_blocked_guarded": evidence.blocked.stored() if evidence.blocked else None,
        "rules_in_force_since": (
            evidence.in_force_since.isoformat() if evidence.in_force_since else None
        ),
        # To the hour: a chatty device would otherwise change it (and write a recorder row)
        # every poll.
        "last_lookup": (
            state.last_lookup.replace(minute=0, second=0, microsecond=0).isoformat()
            if state.last_lookup
            else None
        ),
        "addresses": list(state.addresses),
        "shared_clients": list(state.shared),
        "hidden_by_filter": list(state.hidden),
        "blocked_hosts": list(state.policy.hosts),
        "unconfirmed_hosts": sorted(h for h in state.policy.hosts if not state.confirmed.get(h)),
        "conflicting_hosts": sorted(state.conflicts),
    }


DESCRIPTIONS = (
    GuardBinarySensorDescription(
        key="protection_confirmed",
        translation_key="protection_confirmed",
        is_on=lambda _, state: state.protection_confirmed,
        attributes=_confirmation,
    ),
    GuardBinarySensorDescription(
        key="cloud_voice_attempt",
        translation_key="cloud_voice_attempt",
        # No "problem" class: a blocked attempt is the guard working ("Blocked", not "Problem").
        is_on=lambda _, state: state.attempt_window_end(dt_util.utcnow()) is not None,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: GuardConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add each guarded device's binary sensors."""
    add_device_entities(
        entry,
        async_add_entities,
        lambda coordinator, subentry_id: [
            GuardBinarySensor(coordinator, subentry_id, description) for description in DESCRIPTIONS
        ],
    )


class GuardBinarySensor(GuardedDeviceEntity, BinarySensorEntity):
    """A yes/no fact about a guarded device."""

    entity_description: GuardBinarySensorDescription
    _unsub_off: CALLBACK_TYPE | None = None

    @property
    def is_on(self) -> bool | None:
        """Return the fact."""
        if (state := self.device_state) is None:
            return None
        return self.entity_description.is_on(self.coordinator, state)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the details behind the fact."""
        if (state := self.device_state) is None:
            return None
        return self.entity_description.attributes(state) or None

    @callback
    def _handle_coordinator_update(self) -> None:
        """Schedule turning off when a time window ends (the voice attempt sensor)."""
        if self._unsub_off is not None:
            self._unsub_off()
            self._unsub_off = None
        state = self.device_state
        end = state.attempt_window_end(dt_util.utcnow()) if state is not None else None
        if end is not None and self.entity_description.key == "cloud_voice_attempt":
            self._unsub_off = async_track_point_in_utc_time(self.hass, self._window_ended, end)
        super()._handle_coordinator_update()

    @callback
    def _window_ended(self, _now: datetime) -> None:
        self._unsub_off = None
        self.async_write_ha_state()

    async def async_will_remove_from_hass(self) -> None:
        """Cancel the timer."""
        if self._unsub_off is not None:
            self._unsub_off()
        await super().async_will_remove_from_hass()
