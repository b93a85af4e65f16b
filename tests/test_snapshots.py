"""Snapshots of every entity (registry entry and state) and of both diagnostics.

As the platinum integrations keep them, with one difference: the two supported Home
Assistant versions serialise registry entries and states with different fields, so each
entity is snapshotted as the fields both versions have (what a user sees: entity id,
name, category, device class, state and attributes), with the random entry ids and this
machine's paths replaced. `pytest --snapshot-update` rewrites them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from .fakes.adguard_home import FakeAdGuardHome
from .guarded import KITCHEN_IP, filter_entry, kitchen, setup_entry
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


def _stable(value: Any, ids: dict[str, str]) -> Any:
    """Replace entry ids and paths, drop volatile figures, keep everything else."""
    if isinstance(value, dict):
        return {
            _stable(k, ids): "<volatile>"
            if k in VOLATILE
            else "<from the templates>"
            if k in TEMPLATE_SIZES and isinstance(v, int)
            else "<from the templates>"
            if k == "texts_left_out"
            else _stable(v, ids)
            for k, v in sorted(value.items())
        }
    if isinstance(value, list | tuple):
        return [_stable(v, ids) for v in value]
    if isinstance(value, str):
        for real, shown in ids.items():
            value = value.replace(real, shown)
        return value.replace(str(MODEL_PATH), "<test model>").replace(REPO, "<repo>")
    return value


def _entities(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    ids = {entry.entry_id: "<entry>", **dict.fromkeys(entry.subentries, "<subentry>")}
    registry = er.async_get(hass)
    devices = dr.async_get(hass)
    found: dict[str, Any] = {}
    for item in sorted(
        er.async_entries_for_config_entry(registry, entry.entry_id), key=lambda e: e.entity_id
    ):
        state = hass.states.get(item.entity_id)
        assert state is not None, item.entity_id
        device = devices.async_get(item.device_id) if item.device_id else None
        found[item.entity_id] = _stable(
            {
                "unique_id": item.unique_id,
                "translation_key": item.translation_key,
                "entity_category": item.entity_category,
                "device_class": item.original_device_class,
                "disabled_by": item.disabled_by,
                "device": device.name if device else None,
                "state": state.state,
                "attributes": dict(state.attributes),
            },
            ids,
        )
    return json.loads(json.dumps(found, default=str))


@pytest.mark.usefixtures("assist")
async def test_speech_entry(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    entities = _entities(hass, init_integration)
    entities["sensor.voice_guard_phrases"]["state"] = "<from the templates>"
    assert entities == snapshot(name="entities")
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)
    ids = {init_integration.entry_id: "<entry>"}
    assert _stable(diagnostics, ids) == snapshot(name="diagnostics")


async def test_filter_entry_with_a_guarded_device(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    adguard: FakeAdGuardHome,
    snapshot: SnapshotAssertion,
) -> None:
    adguard.query(KITCHEN_IP, "www.example.com")
    entry = await setup_entry(
        hass, filter_entry("adguard_home", adguard.url, kitchen(blocks=["block_voice"]))
    )
    entities = _entities(hass, entry)
    for entity in entities.values():  # the fake's clock: when the Echo last asked
        if "last_lookup" in entity["attributes"]:
            entity["attributes"]["last_lookup"] = "<time>"
    assert entities == snapshot(name="entities")
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    ids = {entry.entry_id: "<entry>", **dict.fromkeys(entry.subentries, "<subentry>")}
    stable = _stable(diagnostics, ids)
    for device in stable["devices"].values():
        device["last_lookup"] = "<time>" if device["last_lookup"] else None
    stable["catalog"] = "<the catalog, tested in tests/guard>"
    assert stable == snapshot(name="diagnostics")
