"""A DNS filter entry: its type, how to find it and its guarded devices, and its client.

The entry's runtime data is its GuardCoordinator. Everything that looks an entry or a
guarded device up goes through here, so no module needs the coordinator for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeGuard

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_USERNAME, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from ..const import (
    CONF_FILTER,
    DOMAIN,
    FILTER_ADGUARD,
    KIND_FILTER,
)
from ..data import entry_kind
from .dns.filters.adguard_home import AdGuardHome
from .dns.filters.base import DnsFilter
from .dns.filters.pihole import PiHole

if TYPE_CHECKING:  # the coordinator's module imports this one
    from .coordinator import GuardCoordinator

type GuardConfigEntry = ConfigEntry[GuardCoordinator]


def is_filter_entry(entry: ConfigEntry[Any]) -> TypeGuard[GuardConfigEntry]:
    """Whether an entry is a DNS filter (with guarded devices)."""
    return entry_kind(entry) == KIND_FILTER


def filter_entries(hass: HomeAssistant, *, loaded: bool = False) -> list[GuardConfigEntry]:
    """Return the DNS filter entries (only the loaded ones if asked)."""
    return [
        entry
        for entry in hass.config_entries.async_entries(DOMAIN)
        if is_filter_entry(entry) and (not loaded or entry.state is ConfigEntryState.LOADED)
    ]


def find_guarded(hass: HomeAssistant, device_id: str) -> tuple[GuardConfigEntry, str] | None:
    """Return the filter entry and subentry id of a guarded device, by its registry id."""
    device = dr.async_get(hass).async_get(device_id)
    if device is None:
        return None
    ids = {value for domain, value in device.identifiers if domain == DOMAIN}
    for entry in filter_entries(hass):
        for subentry_id in entry.subentries:
            if subentry_id in ids:
                return entry, subentry_id
    return None


def create_filter(hass: HomeAssistant, data: Mapping[str, Any]) -> DnsFilter:
    """Create the client for a filter entry's data, on Home Assistant's shared session."""
    verify = bool(data.get(CONF_VERIFY_SSL, True))
    session = async_get_clientsession(hass, verify_ssl=verify)
    if data[CONF_FILTER] == FILTER_ADGUARD:
        return AdGuardHome(
            session,
            data[CONF_URL],
            data.get(CONF_USERNAME) or "",
            data.get(CONF_PASSWORD) or "",
            verify_ssl=verify,
        )
    return PiHole(session, data[CONF_URL], data.get(CONF_PASSWORD) or "", verify_ssl=verify)
