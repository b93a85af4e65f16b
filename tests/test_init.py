"""Tests for setting up and unloading Voice Guard."""

from __future__ import annotations

from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.requirements import RequirementsNotFound
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.voice_guard.const import (
    CONF_SILENCE_MS,
    DEFAULT_MAX_SECONDS,
    DOMAIN,
)

from .wyoming_server import wyoming_entry, wyoming_vosk_server


async def test_setup_and_unload(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """The entry loads, keeps its runtime data, and unloads cleanly."""
    entry = init_integration
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.speech.max_seconds == DEFAULT_MAX_SECONDS

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED

    # And it can be loaded again after unloading.
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_corrupt_options_fall_back_to_defaults(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """Hand-edited, wrongly typed options do not stop the entry from loading."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(mock_config_entry, options={CONF_SILENCE_MS: "loud"})

    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert mock_config_entry.runtime_data.speech.silence_ms == 300


async def test_missing_model_retries_setup(entry_without_model: MockConfigEntry) -> None:
    """A model folder that vanished makes setup retry later instead of failing for good."""
    assert entry_without_model.state is ConfigEntryState.SETUP_RETRY
    assert "cannot be loaded" in (entry_without_model.reason or "")


async def test_vosk_not_installable_is_a_setup_error(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """Where vosk cannot be installed the entry fails with a translated reason."""
    mock_config_entry.add_to_hass(hass)
    with patch(
        "custom_components.voice_guard.local_voice.setup.async_process_requirements",
        side_effect=RequirementsNotFound(DOMAIN, ["vosk==0.3.45"]),
    ):
        await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()

    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR


async def test_wyoming_server_down_retries_setup(hass: HomeAssistant, socket_enabled: None) -> None:
    """A Wyoming server that is down makes setup retry; when it is back, the entry loads."""
    async with wyoming_vosk_server() as port:
        pass
    entry = wyoming_entry(port)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert f"127.0.0.1:{port}" in (entry.reason or "")

    async with wyoming_vosk_server() as new_port:
        hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_PORT: new_port})
        await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done()
        assert entry.state is ConfigEntryState.LOADED
        assert await hass.config_entries.async_unload(entry.entry_id)
