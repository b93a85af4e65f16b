"""Diagnostics: settings, timings and filter state — never audio, text or secrets."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_URL, CONF_USERNAME
from homeassistant.core import HomeAssistant

from .cloud_guard.coordinator import GuardConfigEntry
from .cloud_guard.dns.filters.adguard_home import checks_clients
from .const import CONF_IP, CONF_MAC, FILTER_ADGUARD
from .data import is_filter_entry, is_speech_entry

# Network addresses identify the home's network and its devices; diagnostics are shared
# in public issues.
TO_REDACT = {CONF_HOST, "server", CONF_PASSWORD, CONF_USERNAME, CONF_URL, CONF_IP, CONF_MAC}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: ConfigEntry[Any]
) -> dict[str, Any]:
    """Return diagnostics for a speech or filter entry."""
    if is_filter_entry(entry):
        return _guard(entry)
    if not is_speech_entry(entry):
        return {"entry": {"data": async_redact_data(dict(entry.data), TO_REDACT)}}
    runtime = entry.runtime_data
    return {
        "entry": {
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": async_redact_data(dict(entry.options), TO_REDACT),
        },
        "speech_settings": asdict(runtime.speech),
        "engine": async_redact_data(runtime.engine.diagnostics(), TO_REDACT),
        "phrases": runtime.phrases.diagnostics() if runtime.phrases else None,
    }


def _guard(entry: GuardConfigEntry) -> dict[str, Any]:
    coordinator = entry.runtime_data
    snapshot = coordinator.data
    devices = {}
    for subentry_id, subentry in entry.subentries.items():
        state = snapshot.devices.get(subentry_id) if snapshot else None
        devices[subentry.title] = {
            "data": async_redact_data(dict(subentry.data), TO_REDACT),
            "switches_on": sorted(b.value for b in coordinator.enabled_blocks(subentry_id)),
            "blocked_hosts": list(state.policy.hosts) if state else None,
            "confirmed": state.confirmed if state else None,
            "conflicts": sorted(state.conflicts) if state else None,
            "blocked_requests_24h": len(state.blocked) if state else None,
            "proof": state.proof if state else None,
            "last_lookup": state.last_lookup.isoformat() if state and state.last_lookup else None,
            "hidden_by_filter": list(state.hidden) if state else None,
        }
    info = asdict(snapshot.info) if snapshot else None
    if info is not None and snapshot is not None and snapshot.info.kind == FILTER_ADGUARD:
        # Older AdGuard Home ignores check_host's client: no block can be confirmed there.
        info["confirms_per_device"] = checks_clients(snapshot.info.version)
    return {
        "entry": {"data": async_redact_data(dict(entry.data), TO_REDACT)},
        "filter": info,
        "last_update_success": coordinator.last_update_success,
        "writes_since_start": coordinator.writes,
        "devices": devices,
        "catalog": coordinator.catalog.as_dict(),
    }
