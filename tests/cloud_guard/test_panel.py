"""The Voice Guard panel: registered with the first filter entry, fed by one command."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.frontend import DATA_PANELS
from homeassistant.components.http import HomeAssistantHTTP
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    WebSocketGenerator,
)

from custom_components.voice_guard.cloud_guard.panel import PANEL_URL, SCRIPT, STATIC_URL
from custom_components.voice_guard.const import GUARD_SCAN_INTERVAL

from ..fakes.adguard_home import FakeAdGuardHome
from ..guarded import KITCHEN_IP, filter_entry, kitchen, poll, setup_entry


@pytest.fixture
async def frontend(hass: HomeAssistant) -> Iterator[None]:
    """Home Assistant's frontend, without opening its real port."""
    with patch.object(HomeAssistantHTTP, "start"):
        assert await async_setup_component(hass, "frontend", {})
        yield


@pytest.mark.usefixtures("frontend")
async def test_the_panel_shows_each_guarded_device_in_the_users_language(
    hass: HomeAssistant,
    adguard: FakeAdGuardHome,
    freezer: FrozenDateTimeFactory,
    hass_ws_client: WebSocketGenerator,
    hass_client: ClientSessionGenerator,
) -> None:
    entry = await setup_entry(
        hass, filter_entry("adguard_home", adguard.url, kitchen(blocks=["block_voice"]))
    )
    panel = hass.data[DATA_PANELS][PANEL_URL]
    assert panel.require_admin
    assert panel.config["_panel_custom"]["module_url"].startswith(f"{STATIC_URL}/")
    freezer.tick(timedelta(seconds=1))  # the lookups come after the rules took effect
    adguard.query(KITCHEN_IP, "avs-alexa-na.amazon.com")
    adguard.query(KITCHEN_IP, "device-metrics-us.amazon.com")
    adguard.query(KITCHEN_IP, "tracker.example.net")
    await poll(hass, freezer, GUARD_SCAN_INTERVAL + timedelta(seconds=1))

    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "voice_guard/destinations", "language": "de"})
    answer = await client.receive_json()
    assert answer["success"], answer
    result = answer["result"]
    assert result["strings"]["panel_block"] == "Für dieses Gerät sperren"
    assert result["strings"]["category_unknown"] == "ohne Katalogeintrag"  # one word for it
    (device,) = result["devices"]
    assert device["name"] == "Kitchen Echo"
    assert device["protected"] is True
    assert device["protection"].startswith("Geschützt")
    hosts = {h["host"]: h for h in device["hosts"]}
    assert hosts["avs-alexa-na.amazon.com"]["blocked_now"] is True
    assert hosts["avs-alexa-na.amazon.com"]["blocked_24h"] == 1
    # The catalog's note in the panel's language, its source kept.
    note = hosts["device-metrics-us.amazon.com"]["breakage"]
    assert note.startswith("Ein Bericht über einen Echo")
    assert "StevenBlack/hosts#596" in note
    assert hosts["tracker.example.net"]["category"] == "unknown"
    assert hosts["tracker.example.net"]["blocked_now"] is False
    assert len(device["hourly"]) == 24
    assert device["hourly"][-1][1] == {"voice": [1, 0], "telemetry": [0, 1], "unknown": [0, 1]}

    # The script is served by Home Assistant itself, no resource to add by hand.
    web = await hass_client()
    served = await web.get(f"{STATIC_URL}/{SCRIPT.name}")
    assert served.status == 200
    assert "customElements.define('voice-guard-panel'" in await served.text()

    # A reload (a host blocked from the panel) leaves the panel where the user is.
    assert await hass.config_entries.async_reload(entry.entry_id)
    assert PANEL_URL in hass.data[DATA_PANELS]
    assert await hass.config_entries.async_remove(entry.entry_id)
    assert PANEL_URL not in hass.data[DATA_PANELS]


@pytest.mark.usefixtures("frontend")
async def test_the_panel_is_for_administrators_only(
    hass: HomeAssistant,
    adguard: FakeAdGuardHome,
    hass_ws_client: WebSocketGenerator,
    hass_read_only_access_token: str,
) -> None:
    await setup_entry(hass, filter_entry("adguard_home", adguard.url, kitchen()))
    client = await hass_ws_client(hass, hass_read_only_access_token)
    await client.send_json_auto_id({"type": "voice_guard/destinations"})
    answer = await client.receive_json()
    assert not answer["success"]
    assert answer["error"]["code"] == "unauthorized"


async def test_without_the_frontend_there_is_no_panel(
    hass: HomeAssistant, adguard: FakeAdGuardHome
) -> None:
    await setup_entry(hass, filter_entry("adguard_home", adguard.url, kitchen()))
    assert PANEL_URL not in hass.data.get(DATA_PANELS, {})


@pytest.mark.usefixtures("frontend")
@pytest.mark.parametrize(
    "language", ["../../../config/x", "en\0", "de/../../secrets", "x" * 100, 5, ""]
)
async def test_a_language_that_is_no_language_tag_is_refused(
    hass: HomeAssistant,
    adguard: FakeAdGuardHome,
    hass_ws_client: WebSocketGenerator,
    language: object,
) -> None:
    """The language names the translation files read: a path or a NUL is refused, clearly."""
    await setup_entry(hass, filter_entry("adguard_home", adguard.url, kitchen()))
    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "voice_guard/destinations", "language": language})
    answer = await client.receive_json()
    assert not answer["success"]
    assert answer["error"]["code"] == "invalid_format"
