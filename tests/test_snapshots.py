"""Snapshots of every entity (registry entry and state) and of both diagnostics.

As the platinum integrations keep them, with one difference: the two supported Home
Assistant versions serialise registry entries and states with different fields, so each
entity is snapshotted as the fields both versions have (what a user sees: entity id,
name, category, device class, state and attributes), with the random entry ids and this
machine's paths replaced. `pytest --snapshot-update` rewrites them.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from . import snapshots
from .fakes.adguard_home import FakeAdGuardHome
from .guarded import KITCHEN_IP, filter_entry, kitchen, setup_entry


@pytest.mark.usefixtures("assist")
async def test_speech_entry(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    entities = snapshots.entities(hass, init_integration)
    entities["sensor.voice_guard_phrases"]["state"] = "<from the templates>"
    assert entities == snapshot(name="entities")
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)
    ids = {init_integration.entry_id: "<entry>"}
    assert snapshots.stable(diagnostics, ids) == snapshot(name="diagnostics")


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
    entities = snapshots.entities(hass, entry)
    for entity in entities.values():  # the fake's clock: when the Echo last asked
        if "last_lookup" in entity["attributes"]:
            entity["attributes"]["last_lookup"] = "<time>"
    assert entities == snapshot(name="entities")
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    ids = {entry.entry_id: "<entry>", **dict.fromkeys(entry.subentries, "<subentry>")}
    stable = snapshots.stable(diagnostics, ids)
    for device in stable["devices"].values():
        device["last_lookup"] = "<time>" if device["last_lookup"] else None
    stable["catalog"] = "<the catalog, tested in tests/guard>"
    assert stable == snapshot(name="diagnostics")
