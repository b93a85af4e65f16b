"""Diagnostics of a DNS filter entry: the filter, its guarded devices' state and proof."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data

from ..const import FILTER_ADGUARD, TO_REDACT
from .data import GuardConfigEntry
from .dns.filters.adguard_home import checks_clients
from .report import device_view


def guard_diagnostics(entry: GuardConfigEntry) -> dict[str, Any]:
    """Return a filter entry's diagnostics: the filter, each guarded device, the catalog."""
    coordinator = entry.runtime_data
    snapshot = coordinator.data
    devices = {}
    for subentry_id, subentry in entry.subentries.items():
        state = snapshot.devices.get(subentry_id) if snapshot else None
        devices[subentry.title] = {
            "data": async_redact_data(dict(subentry.data), TO_REDACT),
            # What the privacy report shows too (one view of a guarded device) ...
            **device_view(coordinator, subentry_id, state),
            # ... and what only diagnostics show: the evidence behind the proof.
            "blocked_hosts": list(state.policy.hosts) if state else None,
            "confirmed": state.confirmed if state else None,
            "conflicts": sorted(state.conflicts) if state else None,
            "evidence": (
                async_redact_data(state.evidence.stored(), {"address", "addresses"})
                if state
                else None
            ),
            "addresses": ["**REDACTED**"] * len(state.addresses) if state else None,
            "shared_clients": list(state.shared) if state else None,
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
