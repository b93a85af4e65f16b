"""The Voice Guard panel: what each guarded device still contacts, as a picture.

Registered with the first DNS filter entry and removed with the last one: a sidebar
entry for administrators ("Voice Guard"), served by Home Assistant itself (a static
path to panel_js/, no resource to add by hand, nothing fetched from the internet). The
panel reads everything through one websocket command, voice_guard/destinations, which
answers every guarded device's destinations (destinations.py), its picture of the last
24 hours and the panel's words in the user's language; blocking a host is the
voice_guard.block_host action.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from homeassistant.components import frontend, panel_custom, websocket_api
from homeassistant.components.websocket_api.connection import ActiveConnection
from homeassistant.components.websocket_api.decorators import (
    async_response,
    require_admin,
    websocket_command,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util import dt as dt_util

from ..compat import StaticPathConfig, vol
from ..const import CONF_EXTRA_TELEMETRY_HOSTS, CONF_EXTRA_VOICE_HOSTS, DOMAIN
from ..text import language_tag
from ..words import Words, async_words
from .coordinator import GuardCoordinator
from .data import filter_entries
from .destinations import UNKNOWN, Destination
from .dns.catalog import Category
from .dns.hosts import matches
from .dns.policy import Block
from .judge import DeviceState

PANEL_URL = "voice-guard"
ELEMENT = "voice-guard-panel"
STATIC_URL = "/voice_guard_panel"
SCRIPT = Path(__file__).parent / "panel_js" / f"{ELEMENT}.js"
_REGISTERED = f"{DOMAIN}_panel"
CATEGORIES = (*(category.value for category in Category), UNKNOWN)
# What the panel's Block adds a host as (block_host's block_as), the switch that blocks it
# and the device's field that holds it.
BLOCK_WITH = {"voice": Block.VOICE, "telemetry": Block.TELEMETRY}
ADDED_TO = {"voice": CONF_EXTRA_VOICE_HOSTS, "telemetry": CONF_EXTRA_TELEMETRY_HOSTS}


async def async_register_panel(hass: HomeAssistant) -> None:
    """Add the panel and its command, once, whatever the number of filter entries.

    Only where Home Assistant serves its frontend (always, with default_config); without
    it there is nothing to show a panel in.
    """
    if hass.data.get(_REGISTERED) or not {"frontend", "http"} <= hass.config.components:
        return
    hass.data[_REGISTERED] = True
    if not hass.data.get(f"{_REGISTERED}_static"):
        # A static path cannot be removed again: registered once per run.
        hass.data[f"{_REGISTERED}_static"] = True
        await hass.http.async_register_static_paths(
            [StaticPathConfig(STATIC_URL, str(SCRIPT.parent), cache_headers=False)]
        )
        websocket_api.async_register_command(hass, ws_destinations)
    await panel_custom.async_register_panel(
        hass,
        frontend_url_path=PANEL_URL,
        webcomponent_name=ELEMENT,
        sidebar_title="Voice Guard",
        sidebar_icon="mdi:shield-home",
        module_url=f"{STATIC_URL}/{ELEMENT}.js?v={int(SCRIPT.stat().st_mtime)}",
        require_admin=True,
        config={},
    )


@callback
def async_remove_panel(hass: HomeAssistant) -> None:
    """Remove the panel when the last filter entry is removed."""
    if hass.data.pop(_REGISTERED, False):
        frontend.async_remove_panel(hass, PANEL_URL)


@require_admin
@websocket_command(
    {
        vol.Required("type"): f"{DOMAIN}/destinations",
        # A tag, never a path: it names the translation files read.
        vol.Optional("language"): language_tag,
    }
)
@async_response
async def ws_destinations(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    """Answer every guarded device's destinations and the panel's words."""
    language = str(msg.get("language") or hass.config.language)
    names: dict[str, str] = {}  # the entities' words: the Protection sensor's states
    for lang in dict.fromkeys(("en", language)):
        names.update(await async_get_translations(hass, lang, "entity", {DOMAIN}))
    words = await async_words(hass, language)
    connection.send_result(
        msg["id"], {"strings": _strings(words), **_devices(hass, names, language)}
    )


def _strings(words: Words) -> dict[str, str]:
    """Return the panel's own words (panel_*) and the category names."""
    found = words.starting("panel_")
    for category in CATEGORIES:
        found[f"category_{category}"] = words(f"category_{category}")
    return found


def _devices(hass: HomeAssistant, names: dict[str, str], language: str) -> dict[str, Any]:
    """Every guarded device as the panel shows it (names: the entities' translations)."""
    devices = []
    now = dt_util.utcnow()
    for entry in filter_entries(hass, loaded=True):
        coordinator = entry.runtime_data
        for subentry_id, subentry in entry.subentries.items():
            state = coordinator.data.devices.get(subentry_id) if coordinator.data else None
            devices.append(
                {
                    "device_id": coordinator.notices.events.device_id(subentry_id),
                    "name": subentry.title,
                    "filter": entry.title,
                    **_protection(coordinator, state, names),
                    "learning_until": _iso(
                        coordinator.judge.destinations.learning_until(subentry_id)
                    ),
                    "switches": _switches(hass, coordinator, subentry_id, names),
                    "hosts": [
                        _host(coordinator, state, d, subentry.data, language)
                        for d in sorted(_shown(state), key=lambda d: d.host)
                    ],
                    "hourly": (
                        coordinator.judge.destinations.hourly(
                            subentry_id, coordinator.judge.categorizer(state.policy.device), now
                        )
                        if state
                        else []
                    ),
                }
            )
    return {"devices": devices}


def _shown(state: DeviceState | None) -> list[Destination]:
    return state.destinations if state else []


def _protection(
    coordinator: GuardCoordinator, state: DeviceState | None, words: dict[str, str]
) -> dict[str, Any]:
    if state is None:
        return {"protection": None, "protected": False, "unknown_since": None}
    key = f"component.{DOMAIN}.entity.sensor.protection.state.{state.proof.value}"
    return {
        "protection": words.get(key, state.proof.value),
        "protected": state.protection_confirmed,
        "unknown_since": _iso(coordinator.unreachable_since),
    }


def _switches(
    hass: HomeAssistant, coordinator: GuardCoordinator, subentry_id: str, names: dict[str, str]
) -> dict[str, Any]:
    """Return the switches a host can be blocked with: on or off, their entity and name."""
    registry = er.async_get(hass)
    found: dict[str, Any] = {}
    for kind, block in BLOCK_WITH.items():
        key = f"{subentry_id}_{block.value}"
        entity_id = registry.async_get_entity_id("switch", DOMAIN, key)
        if entity_id is None:
            continue
        name_key = f"component.{DOMAIN}.entity.switch.{block.value}.name"
        found[kind] = {
            "entity_id": entity_id,
            "name": names.get(name_key, block.value),
            "on": block in coordinator.desired.enabled(subentry_id)
            and coordinator.desired.allowed_until(subentry_id) is None,
        }
    return found


def _host(
    coordinator: GuardCoordinator,
    state: DeviceState | None,
    item: Destination,
    data: Mapping[str, Any],
    language: str,
) -> dict[str, Any]:
    note = None
    blocked_now = False
    if state is not None:
        catalog = coordinator.catalog
        if found := catalog.host_note(state.policy.device.device_type, item.host):
            note = catalog.in_language(found, language)
        # Covered by a pattern in force: the panel offers no block for it.
        blocked_now = any(matches(item.host, pattern) for pattern in state.policy.hosts)
    # Added with block_host, to be blocked when that switch is on (after a reload too).
    added_as = next(
        (
            kind
            for kind, field in ADDED_TO.items()
            if any(matches(item.host, pattern) for pattern in data.get(field) or ())
        ),
        None,
    )
    return {**item.as_dict(), "breakage": note, "blocked_now": blocked_now, "added_as": added_as}


def _iso(when: Any) -> str | None:
    return when.isoformat() if when else None
