"""Fixtures shared by the Voice Guard tests."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.voice_guard.const import DOMAIN, NAME


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load the integration from this checkout."""
    return


@pytest.fixture
def mock_config_entry() -> MockConfigEntry:
    """Return the single Voice Guard entry, as the config flow creates it."""
    return MockConfigEntry(domain=DOMAIN, title=NAME, unique_id=DOMAIN, data={}, options={})


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> MockConfigEntry:
    """Set up Voice Guard and return its entry."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    return mock_config_entry
