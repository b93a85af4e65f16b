"""The cloud guard's actions: cloud allowances, a policy for many, blocking a seen host."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_AREA_ID, ATTR_DEVICE_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
)
from homeassistant.helpers import config_validation as cv, device_registry as dr

from ..compat import vol
from ..const import CONF_EXTRA_TELEMETRY_HOSTS, CONF_EXTRA_VOICE_HOSTS, MAX_EXTRA_HOSTS
from ..errors import action_error
from ..permissions import async_require_administrator
from .coordinator import GuardCoordinator
from .data import GuardConfigEntry, filter_entries, find_guarded
from .dns.hosts import MAX_HOST, normalize_pattern
from .dns.policy import Block
from .errors import raise_unless_written
from .report import local_iso

SERVICE_ALLOW_CLOUD = "allow_cloud_temporarily"
SERVICE_END_ALLOWANCE = "end_cloud_allowance"
SERVICE_APPLY_POLICY = "apply_policy"
SERVICE_BLOCK_HOST = "block_host"
ATTR_HOST = "host"
ATTR_AS = "block_as"
BLOCK_AS = {"voice": CONF_EXTRA_VOICE_HOSTS, "telemetry": CONF_EXTRA_TELEMETRY_HOSTS}
ATTR_DURATION = "duration"
ATTR_BLOCK = "block"
ATTR_LABEL_ID = "label_id"
MIN_ALLOWANCE = timedelta(minutes=1)
MAX_ALLOWANCE = timedelta(days=7)


RELOAD_WAIT = timedelta(seconds=60)  # a filter entry's reload, at most


def _duration(value: Any) -> timedelta:
    """Read a duration as Home Assistant does; one past any calendar is no duration.

    ("99999999999:00:00", 1e12 days or "inf" overflow Python's timedelta: invalid input,
    not a 500.)
    """
    try:
        duration: timedelta = cv.time_period(value)
    except (OverflowError, ValueError) as err:
        raise vol.Invalid("not a duration") from err
    return duration


# What one call may name: a registry id is 32 characters, an area or label id a slug;
# a call naming more devices, areas or labels than a home has is refused by the schema.
MAX_ID = 255
MAX_TARGETS = 100
_ID = vol.All(cv.string, vol.Length(min=1, max=MAX_ID))
_IDS = vol.All(cv.ensure_list, vol.Length(max=MAX_TARGETS), [_ID])

ALLOW_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_DEVICE_ID): _ID,
        # The range is checked in the action, so its error is translated.
        vol.Required(ATTR_DURATION): _duration,
    }
)
END_SCHEMA = vol.Schema({vol.Required(ATTR_DEVICE_ID): _ID})
BLOCK_HOST_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_DEVICE_ID): _ID,
        # Checked in the action, so its error is translated.
        vol.Required(ATTR_HOST): vol.All(cv.string, vol.Length(max=2 * MAX_HOST)),
        vol.Required(ATTR_AS): vol.In(list(BLOCK_AS)),
    }
)
APPLY_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_DEVICE_ID): _IDS,
        vol.Optional(ATTR_AREA_ID): _IDS,
        vol.Optional(ATTR_LABEL_ID): _IDS,
        vol.Required(ATTR_BLOCK): vol.All(
            cv.ensure_list, vol.Length(max=len(Block)), [vol.In([b.value for b in Block])]
        ),
    }
)


# --- guarded devices ---------------------------------------------------------------------


def guard_filters(hass: HomeAssistant) -> list[GuardConfigEntry]:
    """Return the loaded DNS filter entries."""
    entries: list[GuardConfigEntry] = filter_entries(hass, loaded=True)
    return entries


async def _guarded(hass: HomeAssistant, device_id: str) -> tuple[GuardCoordinator, str] | None:
    """Return the coordinator and subentry id of a guarded device whose filter is loaded.

    A change of a filter's devices (block_host adds a host) reloads the filter entry: a
    call arriving meanwhile waits for that reload (at most RELOAD_WAIT) instead of being
    told the device is not guarded.
    """
    found = find_guarded(hass, device_id)
    if found is None:
        return None
    entry = found[0]
    if entry.state is not ConfigEntryState.LOADED and entry.setup_lock.locked():
        try:
            async with asyncio.timeout(RELOAD_WAIT.total_seconds()), entry.setup_lock:
                pass
        except TimeoutError:
            return None
    if entry.state is not ConfigEntryState.LOADED:
        return None
    return entry.runtime_data, found[1]


async def async_allow_cloud(hass: HomeAssistant, call: ServiceCall) -> ServiceResponse:
    """Lift a guarded device's blocks for a while (one minute to seven days)."""
    device_id = call.data[ATTR_DEVICE_ID]
    if (found := await _guarded(hass, device_id)) is None:
        raise action_error("not_guarded", device_id=device_id)
    coordinator, subentry_id = found
    title = coordinator.config_entry.subentries[subentry_id].title
    await async_require_administrator(hass, call.context, f"allow {title} to reach the cloud")
    duration: timedelta = call.data[ATTR_DURATION]
    if not MIN_ALLOWANCE <= duration <= MAX_ALLOWANCE:
        raise action_error("duration_out_of_range")  # the limits in words, translated
    until = await coordinator.desired.async_allow_temporarily(subentry_id, duration)
    raise_unless_written([coordinator])
    return {"allowed_until": local_iso(until)}


async def async_end_allowance(hass: HomeAssistant, call: ServiceCall) -> ServiceResponse:
    """Put a guarded device's blocks back in force before its allowance ends."""
    device_id = call.data[ATTR_DEVICE_ID]
    if (found := await _guarded(hass, device_id)) is None:
        raise action_error("not_guarded", device_id=device_id)
    coordinator, subentry_id = found
    if not await coordinator.desired.async_end_allowance(subentry_id):
        raise action_error(
            "not_allowed", device=coordinator.config_entry.subentries[subentry_id].title
        )
    raise_unless_written([coordinator])
    return {"ended": True}


async def async_apply_policy(hass: HomeAssistant, call: ServiceCall) -> ServiceResponse:
    """Turn the given switches on for guarded devices chosen by device, area or label."""
    registry = dr.async_get(hass)
    device_ids: set[str] = set(call.data.get(ATTR_DEVICE_ID, []))
    for area in call.data.get(ATTR_AREA_ID, []):
        device_ids |= {d.id for d in dr.async_entries_for_area(registry, area)}
    for label in call.data.get(ATTR_LABEL_ID, []):
        device_ids |= {d.id for d in dr.async_entries_for_label(registry, label)}
    targets = [found for d in sorted(device_ids) if (found := await _guarded(hass, d)) is not None]
    if not targets:
        raise action_error("no_guarded_devices")
    blocks = {Block(b) for b in call.data[ATTR_BLOCK]}
    by_filter: dict[GuardCoordinator, list[str]] = {}
    for coordinator, subentry_id in targets:
        by_filter.setdefault(coordinator, []).append(subentry_id)
        if lowered := sorted(b.value for b in coordinator.desired.enabled(subentry_id) - blocks):
            title = coordinator.config_entry.subentries[subentry_id].title
            await async_require_administrator(
                hass, call.context, f"turn off {', '.join(lowered)} for {title}"
            )
    changed: list[str] = []
    waiting: dict[str, str] = {}
    for coordinator, subentry_ids in by_filter.items():
        # One update per filter, however many of its devices change.
        await coordinator.desired.async_set_blocks(dict.fromkeys(subentry_ids, blocks))
        for subentry_id in subentry_ids:
            title = coordinator.config_entry.subentries[subentry_id].title
            if (until := coordinator.desired.allowed_until(subentry_id)) is not None:
                waiting[title] = local_iso(until)  # in force when the allowance ends
            else:
                changed.append(title)
    raise_unless_written(list(by_filter))
    response: dict[str, Any] = {
        "devices": changed,
        "block": sorted(b.value for b in blocks),
        "after_allowance": waiting,
    }
    return response


async def async_block_host(hass: HomeAssistant, call: ServiceCall) -> ServiceResponse:
    """Add a host to a guarded device's extra voice or telemetry hosts.

    The host is blocked while the device's cloud voice (or telemetry) switch is on, as
    soon as the call returns (it waits for the write; calls at once are written one after
    the other). The answer names the catalog's breakage note, if any.
    """
    device_id = call.data[ATTR_DEVICE_ID]
    if (found := await _guarded(hass, device_id)) is None:
        raise action_error("not_guarded", device_id=device_id)
    coordinator, subentry_id = found
    try:
        host = normalize_pattern(call.data[ATTR_HOST])
    except ValueError as err:
        raise action_error("invalid_block_host", host=call.data[ATTR_HOST][:80]) from err
    field = BLOCK_AS[call.data[ATTR_AS]]
    entry = coordinator.config_entry
    subentry = entry.subentries[subentry_id]
    device = coordinator.devices()[subentry_id]
    hosts = list(subentry.data.get(field) or [])
    added = host not in hosts
    if added and len(hosts) >= MAX_EXTRA_HOSTS:
        raise action_error("too_many_hosts", device=device.name, limit=str(MAX_EXTRA_HOSTS))
    if added:
        hass.config_entries.async_update_subentry(
            entry, subentry, data={**subentry.data, field: [*hosts, host]}
        )
        # Written before the answer (no reload: the entry's entities stay as they are).
        await coordinator.async_apply()
        raise_unless_written([coordinator])
    return {
        "host": host,
        "block_as": call.data[ATTR_AS],
        "added": added,
        "breakage": coordinator.catalog.host_note(device.device_type, host),
    }


# --- privacy report ----------------------------------------------------------------------
