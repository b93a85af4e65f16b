"""The cloud guard's part of the privacy report and of diagnostics, from one view per device.

device_view() is what both show of a guarded device; the privacy report adds a sentence a
person reads ("Kitchen Echo: protected (cloud voice); a blocked attempt proves it"),
diagnostics add the evidence and the device's data (redacted).
"""

from __future__ import annotations

from typing import Any

from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util import dt as dt_util

from ..compat import all_devices
from ..const import CONF_MAC, DOMAIN
from ..words import Words, async_words
from .coordinator import GuardCoordinator
from .data import filter_entries
from .destinations import UNKNOWN, Destination
from .dns.hosts import matches
from .judge import DeviceState

# Makers whose devices talk to their cloud: shown in the report when not guarded.
CLOUD_MANUFACTURERS = ("amazon", "google", "ring", "irobot", "ecobee", "nest", "honeywell")


def device_view(
    coordinator: GuardCoordinator, subentry_id: str, state: DeviceState | None
) -> dict[str, Any]:
    """Return what the report and diagnostics both show of a guarded device."""
    until = coordinator.desired.allowed_until(subentry_id)
    return {
        "switches_on": sorted(b.value for b in coordinator.desired.enabled(subentry_id)),
        "protection_confirmed": bool(state and state.protection_confirmed),
        "proof": state.proof.value if state else None,
        "unknown_since": (
            local_iso(coordinator.unreachable_since) if coordinator.unreachable_since else None
        ),
        "unconfirmed_hosts": (
            sorted(h for h in state.policy.hosts if not state.confirmed.get(h)) if state else []
        ),
        "blocked_requests_24h": len(state.blocked) if state else 0,
        "allowed_until": local_iso(until) if until else None,
        "destinations": [_destination(d) for d in state.destinations] if state else [],
    }


def _destination(destination: Destination) -> dict[str, Any]:
    return {
        **destination.as_dict(),
        "first_seen": local_iso(destination.first_seen),
        "last_seen": local_iso(destination.last_seen),
    }


def destinations_summary(
    words: Words, coordinator: GuardCoordinator, subentry_id: str, state: DeviceState | None
) -> str | None:
    """One sentence of the hosts the device reached in 24 hours (None: nothing known)."""
    if state is None:
        return None
    day = [d for d in state.destinations if d.lookups_24h]
    # Each host once: blocked if a rule in force covers it now (or its lookups were all
    # blocked), else answered, of the vendor's cloud or in no catalog.
    blocked = [
        d.host
        for d in day
        if (d.blocked_24h and not d.answered_24h)
        or any(matches(d.host, pattern) for pattern in state.policy.hosts)
    ]
    answered = [d for d in day if d.host not in blocked and d.answered_24h]
    cloud = [d.host for d in answered if d.category != UNKNOWN]
    unknown = [d.host for d in answered if d.category == UNKNOWN]
    return words(
        "summary_destinations",
        device=coordinator.config_entry.subentries[subentry_id].title,
        cloud=str(len(cloud)),
        cloud_hosts=_named(cloud),
        unknown=str(len(unknown)),
        unknown_hosts=_named(unknown),
        blocked=str(len(blocked)),
    )


def _named(hosts: list[str], limit: int = 3) -> str:
    """Return the first few hosts in brackets ("" for none)."""
    if not hosts:
        return ""
    more = ", …" if len(hosts) > limit else ""
    return f" ({', '.join(hosts[:limit])}{more})"


def summary(
    words: Words,
    policies: dict[str, str],
    coordinator: GuardCoordinator,
    subentry_id: str,
    state: DeviceState | None,
) -> str:
    """One sentence of what the device still sends, in the home's language.

    policies: the Policy sensor's states in words (Home Assistant's entity translations).
    """
    subentry = coordinator.config_entry.subentries[subentry_id]
    if state is None:
        title = coordinator.config_entry.title
        return words("summary_unknown", device=subentry.title, filter=title)
    shown = coordinator.desired.policy_state(subentry_id)
    policy = policies.get(f"component.{DOMAIN}.entity.sensor.policy.state.{shown}", shown)
    placeholders = {
        "device": subentry.title,
        "filter": coordinator.config_entry.title,
        "policy": policy,
        "host": state.disproof.host if state.disproof else "",
        "until": _local_time(state.allowed_until) if state.allowed_until else "",
        "since": _local_time(since) if (since := coordinator.unreachable_since) else "",
    }
    return words(f"summary_{state.proof.value}", **placeholders)


async def async_guard_report(hass: HomeAssistant) -> dict[str, Any]:
    """Return the cloud guard's part of voice_guard.privacy_report."""
    words = await async_words(hass)
    policies: dict[str, str] = {}
    for language in dict.fromkeys(("en", hass.config.language)):
        policies.update(await async_get_translations(hass, language, "entity", {DOMAIN}))
    devices: list[dict[str, Any]] = []
    guarded_macs: set[str] = set()
    for entry in filter_entries(hass, loaded=True):
        coordinator = entry.runtime_data
        for subentry_id, subentry in entry.subentries.items():
            state = coordinator.data.devices.get(subentry_id) if coordinator.data else None
            if mac := subentry.data.get(CONF_MAC):
                guarded_macs.add(str(mac))
            devices.append(
                {
                    CONF_NAME: subentry.title,
                    "filter": entry.title,
                    "summary": summary(words, policies, coordinator, subentry_id, state),
                    "destinations_summary": destinations_summary(
                        words, coordinator, subentry_id, state
                    ),
                    **device_view(coordinator, subentry_id, state),
                    "filter_reachable": coordinator.last_update_success,
                }
            )
    return {
        "guarded_devices": devices,
        "blocked_requests_24h": sum(d["blocked_requests_24h"] for d in devices),
        "unguarded_cloud_devices": _unguarded(hass, guarded_macs),
    }


def _unguarded(hass: HomeAssistant, guarded_macs: set[str]) -> list[dict[str, Any]]:
    """Devices of cloud makers that no filter guards."""
    found = []
    registry = dr.async_get(hass)
    for device in all_devices(registry):
        if any(domain == DOMAIN for domain, _ in device.identifiers):
            continue
        # A cloud *service* (Google Translate text-to-speech) is no device on the network:
        # the pipeline audit reports it.
        if device.entry_type is dr.DeviceEntryType.SERVICE:
            continue
        maker = (device.manufacturer or "").lower()
        if not any(name in maker for name in CLOUD_MANUFACTURERS):
            continue
        macs = {v for k, v in device.connections if k == dr.CONNECTION_NETWORK_MAC}
        if macs & guarded_macs:
            continue
        found.append(
            {
                CONF_NAME: device.name_by_user or device.name,
                "manufacturer": device.manufacturer,
                "model": device.model,
            }
        )
    return found


def local_iso(when: Any) -> str:
    """Return a time as the home reads it: local, to the second."""
    return str(dt_util.as_local(when).replace(microsecond=0).isoformat())


def _local_time(when: Any) -> str:
    return str(dt_util.as_local(when).strftime("%H:%M"))
