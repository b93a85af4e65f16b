"""Snapshots of entities and diagnostics as both supported Home Assistant versions show them.

The two versions serialise registry entries and states with different fields, so an
entity is snapshotted as the fields both have (what a user sees: entity id, name,
category, device class, state and attributes), with the random entry ids and this
machine's paths replaced. Used by tests/test_snapshots.py and the platform tests.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from .speech import MODEL_PATH

# Figures that differ from run to run (timings, clocks) or machine to machine (paths).
VOLATILE = {
    "build_ms",
    "first_seen",
    "last_seen",
    "in_force_since",
    "last_build",
    "load_seconds",
    "last_timings",
    "rules_in_force_since",
    "size_bytes",
    "version",
}
REPO = str(Path(__file__).resolve().parent.parent)
# Sizes of the phrase set, which come from Home Assistant's own sentence templates and so
# differ between the supported versions (tested in tests/test_phrase_mode.py); so do the
# template texts left out per capability (texts_left_out, tested in test_capabilities.py).
TEMPLATE_SIZES = {
    "arcs",
    "garbage_words",
    "phrases",
    "states",
    "templates",
    "templates_left_to_open_vocabulary",
    "texts",
    "texts_dropped",
    "unknown_words",
    "vocabulary",
    "words",
}


def stable(value: Any, ids: dict[str, str]) -> Any:
    """Replace entry ids and paths, drop volatile figures, keep everything else."""
    if isinstance(value, dict):
        return {
            stable(k, ids): "<volatile>"
            if k in VOLATILE
            else "<from the templates>"
            if k in TEMPLATE_SIZES and isinstance(v, int)
            else "<from the templates>"
            if k == "texts_left_out"
            else stable(v, ids)
            for k, v in sorted(value.items())
        }
    if isinstance(value, list | tuple):
        return [stable(v, ids) for v in value]
    if isinstance(value, str):
        for real, shown in ids.items():
            value = value.replace(real, shown)
        return value.replace(str(MODEL_PATH), "<test model>").replace(REPO, "<repo>")
    return value


def entities(
    hass: HomeAssistant, entry: MockConfigEntry, domain: str | None = None
) -> dict[str, Any]:
    """Every entity of entry (of one platform's domain, if given) as both versions show it."""
    ids = {entry.entry_id: "<entry>", **dict.fromkeys(entry.subentries, "<subentry>")}
    registry = er.async_get(hass)
    devices = dr.async_get(hass)
    found: dict[str, Any] = {}
    for item in sorted(
        er.async_entries_for_config_entry(registry, entry.entry_id), key=lambda e: e.entity_id
    ):
        if domain is not None and item.domain != domain:
            continue
        state = hass.states.get(item.entity_id)
        assert state is not None or item.disabled_by is not None, item.entity_id
        device = devices.async_get(item.device_id) if item.device_id else None
        found[item.entity_id] = stable(
            {
                "unique_id": item.unique_id,
                "translation_key": item.translation_key,
                "entity_category": item.entity_category,
                "device_class": item.original_device_class,
                "disabled_by": item.disabled_by,
                "device": device.name if device else None,
                "state": state.state if state else None,  # None: disabled by default
                "attributes": dict(state.attributes) if state else {},
            },
            ids,
        )
    return json.loads(json.dumps(found, default=str))


async def platform(hass: HomeAssistant, fake: Any, domain: str) -> dict[str, Any]:
    """A guarded Echo that asked the filter, with one platform loaded: its entities."""
    from .guarded import KITCHEN_IP, setup_platform  # noqa: PLC0415 - guarded imports us not

    fake.query(KITCHEN_IP, "www.example.com")
    entry = await setup_platform(hass, fake, domain)
    found = entities(hass, entry, domain)
    for entity in found.values():  # the fake's clock
        if "last_lookup" in entity["attributes"]:
            entity["attributes"]["last_lookup"] = "<time>"
    return found
