"""Diagnostics: useful for a bug report, and never audio, transcripts or addresses."""

from __future__ import annotations

import json

from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.voice_guard.const import DOMAIN
from custom_components.voice_guard.local_voice.engine.base import RecognitionSettings

from . import wyoming_server
from .speech import reference_transcript, stream
from .wyoming_server import wyoming_entry, wyoming_vosk_server


async def test_embedded_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
    living_room_on: bytes,
) -> None:
    """The model, settings and timings are shown; the words spoken are not."""
    engine = init_integration.runtime_data.engine
    recognition = await engine.transcribe(
        stream(living_room_on), RecognitionSettings(language="ko", silence_ms=300, max_seconds=30)
    )
    assert recognition.text

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)

    settings = diagnostics["speech_settings"]
    assert (settings["silence_ms"], settings["max_seconds"]) == (300, 30)
    model = diagnostics["engine"]["model"]
    assert model["language"] == "ko"
    assert model["size_bytes"] > 100_000_000
    assert model["supports_grammar"] is True
    assert model["load_seconds"] is not None
    assert diagnostics["engine"]["recognitions"] == 1
    assert len(diagnostics["engine"]["last_timings"]) == 1
    # Phrase mode (hybrid, the default): figures of the phrase set, no words of the home.
    phrases = diagnostics["phrases"]
    assert phrases["summary"]["phrases"] > 0
    assert phrases["builds"] >= 1
    assert phrases["unknown_words"] == {}
    dumped = json.dumps(diagnostics, ensure_ascii=False)
    for word in {*recognition.text.split(), *reference_transcript(living_room_on).split()}:
        assert word not in dumped


async def test_wyoming_diagnostics_redact_the_server(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, socket_enabled: None
) -> None:
    """The server's address is redacted."""
    async with wyoming_vosk_server() as port:
        entry = wyoming_entry(port, "192.0.2.7")
        entry.add_to_hass(hass)
        hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_HOST: "127.0.0.1"})
        assert await hass.config_entries.async_setup(entry.entry_id)

        diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

        assert diagnostics["entry"]["data"][CONF_HOST] == "**REDACTED**"
        assert diagnostics["engine"]["server"] == "**REDACTED**"
        assert diagnostics["engine"]["kind"] == "wyoming"
        assert "127.0.0.1" not in json.dumps(diagnostics)
        assert await hass.config_entries.async_unload(entry.entry_id)


async def test_a_huge_wyoming_announcement_keeps_diagnostics_and_forms_small(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    socket_enabled: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """20,000 languages, one of 200 kB, a name of 100 kB: under 100 kB everywhere.

    Measured from outside before: diagnostics grew to 1 MB, the options form to 800 kB.
    """
    assert await async_setup_component(hass, "config", {})
    info = wyoming_server.server_info()
    tags = [f"{chr(97 + n % 26)}{chr(97 + n // 26 % 26)}-x{n}" for n in range(20_000)]
    info.asr[0].models[0].languages = ["ko", *tags, "k" * 200_000]
    info.asr[0].name = "vosk " + "v" * 100_000
    monkeypatch.setattr(wyoming_server, "server_info", lambda **_: info)
    async with wyoming_vosk_server() as port:
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": "user"})
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"next_step_id": "wyoming"}
        )
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_HOST: "127.0.0.1", CONF_PORT: port}
        )
        await hass.async_block_till_done()
        assert result["type"] is FlowResultType.CREATE_ENTRY
        entry = result["result"]

        diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
        assert len(json.dumps(diagnostics)) < 100_000
        client = await hass_client()  # the options form as the frontend receives it
        response = await client.post(
            "/api/config/config_entries/options/flow", json={"handler": entry.entry_id}
        )
        assert response.status == 200
        assert len(await response.read()) < 100_000
        assert await hass.config_entries.async_unload(entry.entry_id)
