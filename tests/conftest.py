"""Fixtures shared by the Voice Guard tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.voice_guard.const import (
    CONF_ENGINE,
    CONF_LANGUAGE,
    CONF_MODEL_PATH,
    DOMAIN,
    ENGINE_EMBEDDED,
    NAME,
)
from custom_components.voice_guard.engine import vosk_engine

from .fakes.adguard_home import FakeAdGuardHome
from .fakes.pihole import FakePiHole
from .speech import KITCHEN_ON, LIVING_ROOM_ON, MODEL_PATH, cached_load_model, speak


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load the integration from this checkout."""
    return


@pytest.fixture
def mock_config_entry() -> MockConfigEntry:
    """Return the single Voice Guard entry, as the config flow creates it."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=NAME,
        unique_id=DOMAIN,
        data={
            CONF_ENGINE: ENGINE_EMBEDDED,
            CONF_MODEL_PATH: str(MODEL_PATH),
            CONF_LANGUAGE: "ko",
        },
        options={},
    )


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> MockConfigEntry:
    """Set up Voice Guard and return its entry."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    return mock_config_entry


@pytest.fixture(autouse=True)
def cache_vosk_models(monkeypatch: pytest.MonkeyPatch) -> None:
    """Load the real Korean model once per session instead of once per test."""
    monkeypatch.setattr(vosk_engine, "_load_model", cached_load_model)


@pytest.fixture(scope="session")
def speech_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder for espeak-ng's output."""
    return tmp_path_factory.mktemp("speech")


@pytest.fixture(scope="session")
def living_room_on(speech_dir: Path) -> bytes:
    """'Turn on the living room light' in Korean, spoken by espeak-ng."""
    return speak(LIVING_ROOM_ON, speech_dir)


@pytest.fixture(scope="session")
def kitchen_on(speech_dir: Path) -> bytes:
    """'Turn on the kitchen light' in Korean, spoken by espeak-ng."""
    return speak(KITCHEN_ON, speech_dir)


@pytest.fixture
async def adguard(socket_enabled: None) -> AsyncIterator[FakeAdGuardHome]:
    """A running fake AdGuard Home holding one rule of the user's."""
    fake = FakeAdGuardHome()
    fake.user_rules = ["||ads.example.com^"]
    async with fake.serve():
        yield fake


@pytest.fixture
async def pihole(socket_enabled: None) -> AsyncIterator[FakePiHole]:
    """A running fake Pi-hole v6."""
    fake = FakePiHole()
    async with fake.serve():
        yield fake
