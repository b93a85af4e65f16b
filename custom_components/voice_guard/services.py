"""Actions for automations: transcribe, allow cloud temporarily, apply a policy, privacy report."""

from __future__ import annotations

from typing import Any, cast

from homeassistant.const import CONF_NAME
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.helpers import device_registry as dr

from .cloud_guard.actions import (
    ALLOW_SCHEMA,
    APPLY_SCHEMA,
    SERVICE_ALLOW_CLOUD,
    SERVICE_APPLY_POLICY,
    async_allow_cloud,
    async_apply_policy,
    guard_filters,
)
from .compat import all_devices
from .const import CONF_MAC, DOMAIN
from .local_voice.transcribe import SERVICE_TRANSCRIBE, TRANSCRIBE_SCHEMA, async_transcribe

SERVICE_PRIVACY_REPORT = "privacy_report"
# Makers whose devices talk to their cloud: shown in the report when not guarded.
CLOUD_MANUFACTURERS = ("amazon", "google", "ring", "irobot", "ecobee", "nest", "honeywell")


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register Voice Guard's actions (once, when the integration loads)."""

    async def transcribe(call: ServiceCall) -> ServiceResponse:
        return await async_transcribe(hass, call)

    async def allow_cloud(call: ServiceCall) -> ServiceResponse:
        return await async_allow_cloud(hass, call)

    async def apply_policy(call: ServiceCall) -> ServiceResponse:
        return await async_apply_policy(hass, call)

    async def privacy_report(call: ServiceCall) -> ServiceResponse:
        return await _privacy_report(hass)

    hass.services.async_register(
        DOMAIN, SERVICE_TRANSCRIBE, transcribe, TRANSCRIBE_SCHEMA, SupportsResponse.ONLY
    )
    hass.services.async_register(
        DOMAIN, SERVICE_ALLOW_CLOUD, allow_cloud, ALLOW_SCHEMA, SupportsResponse.OPTIONAL
    )
    hass.services.async_register(
        DOMAIN, SERVICE_APPLY_POLICY, apply_policy, APPLY_SCHEMA, SupportsResponse.OPTIONAL
    )
    hass.services.async_register(
        DOMAIN, SERVICE_PRIVACY_REPORT, privacy_report, None, SupportsResponse.ONLY
    )


# --- privacy report (both halves) -------------------------------------------------------


async def _privacy_report(hass: HomeAssistant) -> ServiceResponse:
    cloud_pipelines: list[dict[str, Any]] = []
    if "assist_pipeline" in hass.config.components:
        from .local_voice.pipelines import async_audit  # noqa: PLC0415 - needs Assist loaded

        cloud_pipelines = [
            {"pipeline": f.pipeline_name, "services": f.services} for f in await async_audit(hass)
        ]
    devices: list[dict[str, Any]] = []
    guarded_macs: set[str] = set()
    total = 0
    for entry in guard_filters(hass):
        coordinator = entry.runtime_data
        snapshot = coordinator.data
        for subentry_id, subentry in entry.subentries.items():
            state = snapshot.devices.get(subentry_id) if snapshot else None
            until = coordinator.allowed_until(subentry_id)
            blocked = len(state.blocked) if state else 0
            total += blocked
            if mac := subentry.data.get(CONF_MAC):
                guarded_macs.add(mac)
            devices.append(
                {
                    CONF_NAME: subentry.title,
                    "filter": entry.title,
                    "switches_on": sorted(b.value for b in coordinator.enabled_blocks(subentry_id)),
                    "protection_confirmed": bool(state and state.protection_confirmed),
                    "proof": state.proof.value if state else None,
                    "unconfirmed_hosts": sorted(
                        h for h in state.policy.hosts if not state.confirmed.get(h)
                    )
                    if state
                    else [],
                    "blocked_requests_24h": blocked,
                    "allowed_until": until.isoformat() if until else None,
                    "filter_reachable": coordinator.last_update_success,
                }
            )
    report = {
        "guarded_devices": devices,
        "blocked_requests_24h": total,
        "cloud_pipelines": cloud_pipelines,
        "unguarded_cloud_devices": _unguarded(hass, guarded_macs),
    }
    return cast("ServiceResponse", report)


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
