"""Actions for automations: transcribe, cloud allowances, policies, blocking a host, the report."""

from __future__ import annotations

from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)

from .cloud_guard.actions import (
    ALLOW_SCHEMA,
    APPLY_SCHEMA,
    BLOCK_HOST_SCHEMA,
    END_SCHEMA,
    SERVICE_ALLOW_CLOUD,
    SERVICE_APPLY_POLICY,
    SERVICE_BLOCK_HOST,
    SERVICE_END_ALLOWANCE,
    async_allow_cloud,
    async_apply_policy,
    async_block_host,
    async_end_allowance,
)
from .cloud_guard.report import async_guard_report
from .compat import vol
from .const import DOMAIN
from .local_voice.report import async_pipeline_report
from .local_voice.transcribe import SERVICE_TRANSCRIBE, TRANSCRIBE_SCHEMA, async_transcribe

SERVICE_PRIVACY_REPORT = "privacy_report"


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register Voice Guard's actions (once, when the integration loads)."""

    async def transcribe(call: ServiceCall) -> ServiceResponse:
        return await async_transcribe(hass, call)

    async def allow_cloud(call: ServiceCall) -> ServiceResponse:
        return await async_allow_cloud(hass, call)

    async def apply_policy(call: ServiceCall) -> ServiceResponse:
        return await async_apply_policy(hass, call)

    async def end_allowance(call: ServiceCall) -> ServiceResponse:
        return await async_end_allowance(hass, call)

    async def block_host(call: ServiceCall) -> ServiceResponse:
        return await async_block_host(hass, call)

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
        DOMAIN, SERVICE_END_ALLOWANCE, end_allowance, END_SCHEMA, SupportsResponse.OPTIONAL
    )
    hass.services.async_register(
        DOMAIN, SERVICE_BLOCK_HOST, block_host, BLOCK_HOST_SCHEMA, SupportsResponse.OPTIONAL
    )
    hass.services.async_register(
        DOMAIN, SERVICE_PRIVACY_REPORT, privacy_report, vol.Schema({}), SupportsResponse.ONLY
    )


# --- privacy report: each half writes its part ----------------------------------------------


async def _privacy_report(hass: HomeAssistant) -> ServiceResponse:
    guard = await async_guard_report(hass)
    return {
        "guarded_devices": guard["guarded_devices"],
        "blocked_requests_24h": guard["blocked_requests_24h"],
        "cloud_pipelines": await async_pipeline_report(hass),
        "unguarded_cloud_devices": guard["unguarded_cloud_devices"],
    }
