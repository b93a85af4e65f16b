"""A filter entry's guarded devices, read from its subentries (no entry type needed).

The coordinator reads them each update; the entry's update listener compares what its
entities are made of, to apply a change without a reload where it can.
"""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.helpers import device_registry as dr

from ..const import (
    CONF_AREA,
    CONF_DEVICE_TYPE,
    CONF_EXTRA_TELEMETRY_HOSTS,
    CONF_EXTRA_VOICE_HOSTS,
    CONF_IP,
    CONF_LINKED_DEVICE,
    CONF_MAC,
    SUBENTRY_DEVICE,
)
from .dns.catalog import DeviceType
from .dns.policy import GuardedDevice


def guarded_devices(
    entry: ConfigEntry[Any], registry: dr.DeviceRegistry | None = None
) -> dict[str, GuardedDevice]:
    """Return the guarded devices of a filter entry, from its subentries.

    With the device registry, a device linked to one of Home Assistant's (the Echo of
    the Alexa integration, a router's tracker) also has that device's MAC addresses:
    the filter then finds the device's other addresses by them.
    """
    found: dict[str, GuardedDevice] = {}
    for subentry_id, subentry in entry.subentries.items():
        if subentry.subentry_type != SUBENTRY_DEVICE:
            continue
        data = subentry.data
        macs = [dr.format_mac(data[CONF_MAC])] if data.get(CONF_MAC) else []
        linked = data.get(CONF_LINKED_DEVICE)
        if registry is not None and linked and (device := registry.async_get(linked)):
            connections: set[tuple[str, str]] = getattr(device, "connections", set())
            macs += [
                dr.format_mac(value)
                for kind, value in sorted(connections)
                if kind == dr.CONNECTION_NETWORK_MAC
            ]
        found[subentry_id] = GuardedDevice(
            device_id=subentry_id,
            name=subentry.title,
            device_type=DeviceType(data[CONF_DEVICE_TYPE]),
            ips=tuple(filter(None, [data.get(CONF_IP)])),
            macs=tuple(dict.fromkeys(macs)),
            extra_voice_hosts=tuple(data.get(CONF_EXTRA_VOICE_HOSTS) or ()),
            extra_telemetry_hosts=tuple(data.get(CONF_EXTRA_TELEMETRY_HOSTS) or ()),
        )
    return found


def entities_shape(entry: ConfigEntry[Any]) -> list[tuple[Any, ...]]:
    """Return what a filter entry's client and entities are made of.

    The filter's title and data (address, credentials) and each device's name, type, MAC, link
    and area. A change of anything else (hosts, addresses, the days without an attempt)
    is applied by an update, not a reload.
    """
    return [
        ("filter", entry.title, sorted(entry.data.items(), key=lambda item: str(item[0]))),
        *sorted(
            (
                subentry_id,
                subentry.subentry_type,
                subentry.title,
                subentry.data.get(CONF_DEVICE_TYPE),
                subentry.data.get(CONF_MAC),
                subentry.data.get(CONF_LINKED_DEVICE),
                subentry.data.get(CONF_AREA),
            )
            for subentry_id, subentry in entry.subentries.items()
        ),
    ]
