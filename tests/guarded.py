"""Guarded devices for Home Assistant tests: a filter entry, the kitchen Echo, polling."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.const import (
    ATTR_ENTITY_ID,
    CONF_PASSWORD,
    CONF_URL,
    CONF_USERNAME,
    CONF_VERIFY_SSL,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.voice_guard.const import (
    CONF_DEVICE_TYPE,
    CONF_EXTRA_TELEMETRY_HOSTS,
    CONF_EXTRA_VOICE_HOSTS,
    CONF_FILTER,
    CONF_INITIAL_BLOCKS,
    CONF_IP,
    CONF_KIND,
    CONF_MAC,
    DOMAIN,
    KIND_FILTER,
    SUBENTRY_DEVICE,
)

KITCHEN_IP = "192.168.1.20"
LOUNGE_IP = "192.168.1.21"  # a second device of the home
KITCHEN_MAC = "f0:27:2d:11:22:33"


def device_data(
    device_type: str = "echo_dot",
    ip: str | None = KITCHEN_IP,
    mac: str | None = KITCHEN_MAC,
    blocks: list[str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Data of a guarded device subentry (extra: more of its fields)."""
    return {
        CONF_DEVICE_TYPE: device_type,
        CONF_IP: ip,
        CONF_MAC: mac,
        CONF_EXTRA_VOICE_HOSTS: [],
        CONF_EXTRA_TELEMETRY_HOSTS: [],
        CONF_INITIAL_BLOCKS: blocks or [],
        **extra,
    }


def filter_entry(kind: str, url: str, *subentries: ConfigSubentryData) -> MockConfigEntry:
    """A filter entry as the config flow creates it."""
    data = {
        CONF_KIND: KIND_FILTER,
        CONF_FILTER: kind,
        CONF_URL: url,
        CONF_PASSWORD: "secret",
        CONF_VERIFY_SSL: True,
    }
    if kind == "adguard_home":
        data[CONF_USERNAME] = "admin"
    return MockConfigEntry(
        domain=DOMAIN,
        title="AdGuard Home (test)" if kind == "adguard_home" else "Pi-hole (test)",
        unique_id=f"{kind}:{url}",
        data=data,
        subentries_data=list(subentries),
    )


def kitchen(**kwargs: Any) -> ConfigSubentryData:
    """The kitchen Echo Dot."""
    return ConfigSubentryData(
        data=device_data(**kwargs),
        subentry_type=SUBENTRY_DEVICE,
        title="Kitchen Echo",
        unique_id=KITCHEN_MAC,
    )


async def setup_entry(hass: HomeAssistant, entry: MockConfigEntry) -> MockConfigEntry:
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


def device_of(hass: HomeAssistant, entity_id: str) -> dr.DeviceEntry:
    entity = er.async_get(hass).async_get(entity_id)
    assert entity is not None
    assert entity.device_id is not None
    device = dr.async_get(hass).async_get(entity.device_id)
    assert isinstance(device, dr.DeviceEntry)
    return device


async def set_switch(hass: HomeAssistant, entity_id: str, *, on: bool) -> None:
    await hass.services.async_call(
        "switch", "turn_on" if on else "turn_off", {ATTR_ENTITY_ID: entity_id}, blocking=True
    )


async def poll(hass: HomeAssistant, freezer: FrozenDateTimeFactory, after: timedelta) -> None:
    freezer.tick(after)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def blocked_attempt(
    hass: HomeAssistant, fake: Any, entry: MockConfigEntry, ip: str = KITCHEN_IP
) -> None:
    """The device tries its cloud voice host (blocked by now) and the filter is read again.

    Only such an outcome confirms protection: rules in force alone do not.
    """
    fake.query(ip, "avs-alexa-na.amazon.com")
    await entry.runtime_data.async_refresh()
    await hass.async_block_till_done()


async def setup_platform(
    hass: HomeAssistant, fake: Any, platform: str, **kwargs: Any
) -> MockConfigEntry:
    """The kitchen Echo (voice blocked unless said otherwise) with one platform loaded."""
    kind = "pihole" if type(fake).__name__ == "FakePiHole" else "adguard_home"
    kwargs.setdefault("blocks", ["block_voice"])
    with patch("custom_components.voice_guard.cloud_guard.setup.PLATFORMS", [Platform(platform)]):
        return await setup_entry(hass, filter_entry(kind, fake.url, kitchen(**kwargs)))


async def enable(hass: HomeAssistant, entry: MockConfigEntry, *entity_ids: str) -> None:
    """Enable entities that are disabled by default, as a user would, and reload the entry."""
    registry = er.async_get(hass)
    for entity_id in entity_ids:
        registry.async_update_entity(entity_id, disabled_by=None)
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()


async def call_action(hass: HomeAssistant, service: str, data: dict[str, Any]) -> Any:
    """Call one of Voice Guard's actions as an automation would, and return its response."""
    return await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=True
    )
