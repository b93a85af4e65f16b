"""Sensors of a guarded device: its blocked lookups, the hosts it reaches, its policy in words."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory
from homeassistant.core import callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from ..const import HISTORY_WINDOW
from .coordinator import GuardCoordinator
from .data import GuardConfigEntry
from .desired import POLICY_STATES
from .destinations import TOP_HOSTS, UNKNOWN, Destination
from .entity import GuardedDeviceEntity, add_device_entities
from .judge import DeviceState
from .proof import Proof


@dataclass(frozen=True, kw_only=True)
class GuardSensorDescription(SensorEntityDescription):
    """How a sensor reads a device's state."""

    value: Callable[[GuardCoordinator, str, DeviceState], str | int | datetime | None]
    attributes: Callable[[DeviceState], dict[str, Any]] = lambda _: {}
    # Shown while the filter does not answer, as "unknown since": never a stale verdict.
    unknown_while_unreachable: bool = False


def _blocked_24h(_: GuardCoordinator, __: str, state: DeviceState) -> int | None:
    """Count the blocked lookups of 24 h; unknown where the filter's log hides some."""
    if not state.counts_complete:
        return None
    cutoff = dt_util.utcnow() - HISTORY_WINDOW
    return sum(1 for b in state.blocked if b.time >= cutoff)


def _hidden(state: DeviceState) -> dict[str, Any]:
    return {"hidden_by_filter": list(state.hidden)} if state.hidden else {}


def _last(state: DeviceState) -> dict[str, Any]:
    last = state.last_blocked
    if last is None:
        return _hidden(state)
    return {"host": last.host, "category": last.category, "rule": last.rule, **_hidden(state)}


def _day_hosts(state: DeviceState, *, unknown: bool) -> list[Destination]:
    """Hosts of the last 24 hours: of the vendor's cloud and answered, or in no catalog."""
    if unknown:
        return [d for d in state.destinations if d.category == UNKNOWN and d.lookups_24h]
    return [d for d in state.destinations if d.category != UNKNOWN and d.answered_24h]


def _host_count(*, unknown: bool) -> Callable[[GuardCoordinator, str, DeviceState], int | None]:
    def count(_: GuardCoordinator, __: str, state: DeviceState) -> int | None:
        # Hidden lookups or a catch-up read that saw only blocked ones: not known.
        if not state.counts_complete:
            return None
        return len(_day_hosts(state, unknown=unknown))

    return count


def _top_hosts(*, unknown: bool) -> Callable[[DeviceState], dict[str, Any]]:
    def top(state: DeviceState) -> dict[str, Any]:
        hosts = _day_hosts(state, unknown=unknown)[:TOP_HOSTS]
        # Which hosts, not how often: counts would change (and write a recorder row)
        # every poll; the panel and privacy_report have them.
        return {
            "hosts": sorted(
                ({"host": d.host, "category": d.category} for d in hosts),
                key=lambda h: h["host"],
            ),
            **_hidden(state),
        }

    return top


def _policy(coordinator: GuardCoordinator, subentry_id: str, _: DeviceState) -> str:
    return coordinator.desired.policy_state(subentry_id)


def _protection_details(state: DeviceState) -> dict[str, Any]:
    """Return what the protection state rests on (the full proof is on the binary sensor)."""
    answered = state.disproof
    return {
        "allow_entries": sorted(set(state.user_allows.values())) or None,
        # Lookups over these families are neither guarded nor seen (AdGuard Home by IP).
        "not_covered": list(state.uncovered) or None,
        "answered_host": answered.host if answered else None,
        "allowed_until": state.allowed_until.isoformat() if state.allowed_until else None,
    }


DESCRIPTIONS = (
    GuardSensorDescription(
        key="protection",
        translation_key="protection",
        device_class=SensorDeviceClass.ENUM,
        options=[proof.value for proof in Proof],
        value=lambda _, __, state: state.proof.value,
        attributes=_protection_details,
        unknown_while_unreachable=True,
    ),
    GuardSensorDescription(
        key="cloud_allowed_until",
        translation_key="cloud_allowed_until",
        device_class=SensorDeviceClass.TIMESTAMP,
        # Unknown whenever no allowance runs (almost always): not on the device page by
        # default. The Protection sensor says "Cloud allowed for now" with allowed_until.
        entity_registry_enabled_default=False,
        value=lambda coordinator, subentry_id, _: coordinator.desired.allowed_until(subentry_id),
    ),
    GuardSensorDescription(
        key="blocked_requests_24h",
        translation_key="blocked_requests_24h",
        entity_category=EntityCategory.DIAGNOSTIC,
        state_class=SensorStateClass.MEASUREMENT,
        value=_blocked_24h,
        attributes=_hidden,
    ),
    GuardSensorDescription(
        key="last_blocked_request",
        translation_key="last_blocked_request",
        # Changes with every blocked lookup: each change would be an Activity line.
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        device_class=SensorDeviceClass.TIMESTAMP,
        value=lambda _, __, state: state.last_blocked.time if state.last_blocked else None,
        attributes=_last,
    ),
    GuardSensorDescription(
        key="cloud_hosts_answered_24h",
        translation_key="cloud_hosts_answered_24h",
        entity_category=EntityCategory.DIAGNOSTIC,
        state_class=SensorStateClass.MEASUREMENT,
        value=_host_count(unknown=False),
        attributes=_top_hosts(unknown=False),
    ),
    GuardSensorDescription(
        key="unknown_hosts_24h",
        translation_key="unknown_hosts_24h",
        entity_category=EntityCategory.DIAGNOSTIC,
        state_class=SensorStateClass.MEASUREMENT,
        value=_host_count(unknown=True),
        attributes=_top_hosts(unknown=True),
    ),
    GuardSensorDescription(
        key="policy",
        translation_key="policy",
        device_class=SensorDeviceClass.ENUM,
        options=list(POLICY_STATES),
        value=_policy,
    ),
)


@callback
def async_setup_guard_sensors(
    entry: GuardConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Add each guarded device's sensors."""
    add_device_entities(
        entry,
        async_add_entities,
        lambda coordinator, subentry_id: [
            GuardSensor(coordinator, subentry_id, d) for d in DESCRIPTIONS
        ],
    )


class GuardSensor(GuardedDeviceEntity, SensorEntity):
    """A figure about a guarded device."""

    entity_description: GuardSensorDescription
    # The top hosts are for the state's moment: not copied into every recorded state.
    _unrecorded_attributes = frozenset({"hosts"})

    @property
    def _unknown_since(self) -> datetime | None:
        """Since when the filter does not answer, for a sensor that says so."""
        if not self.entity_description.unknown_while_unreachable:
            return None
        return self.coordinator.unreachable_since

    @property
    def available(self) -> bool:
        """Available while the filter answers; the protection state also while it does not."""
        if self._unknown_since is not None:
            return self.device_state is not None
        return super().available

    @property
    def native_value(self) -> str | int | datetime | None:
        """Return the figure."""
        if (state := self.device_state) is None:
            return None
        return self.entity_description.value(self.coordinator, self.subentry_id, state)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the details."""
        if (state := self.device_state) is None:
            return None
        if (since := self._unknown_since) is not None:
            return {"unknown_since": dt_util.as_local(since).isoformat()}
        return self.entity_description.attributes(state) or None
