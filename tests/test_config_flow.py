"""Tests for the Voice Guard config and options flows."""

from __future__ import annotations

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.voice_guard.const import (
    CONF_MAX_DECODERS,
    CONF_MAX_SECONDS,
    CONF_SILENCE_MS,
    DEFAULT_MAX_DECODERS,
    DEFAULT_MAX_SECONDS,
    DEFAULT_SILENCE_MS,
    DOMAIN,
)


async def test_user_flow_creates_the_entry(hass: HomeAssistant) -> None:
    """The user confirms once and gets one loaded Voice Guard entry."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] is None

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Voice Guard"
    assert result["data"] == {}
    entry = result["result"]
    assert entry.unique_id == DOMAIN
    assert entry.state is ConfigEntryState.LOADED
    speech = entry.runtime_data.speech
    assert (speech.max_decoders, speech.silence_ms, speech.max_seconds) == (
        DEFAULT_MAX_DECODERS,
        DEFAULT_SILENCE_MS,
        DEFAULT_MAX_SECONDS,
    )


async def test_second_entry_is_refused(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """A second Voice Guard entry aborts with the translated single-instance reason."""
    mock_config_entry.add_to_hass(hass)

    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "single_instance_allowed"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


async def test_flow_step_refuses_when_entry_appears_meanwhile(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """An entry created while the form is open makes the confirm step abort, not duplicate."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    mock_config_entry.add_to_hass(hass)

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "single_instance_allowed"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


async def test_options_flow_changes_the_speech_settings(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """New options are stored and take effect: the entry reloads with them."""
    entry = init_integration
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    defaults = {key.schema: key.default() for key in result["data_schema"].schema}
    assert defaults == {
        CONF_MAX_DECODERS: DEFAULT_MAX_DECODERS,
        CONF_SILENCE_MS: DEFAULT_SILENCE_MS,
        CONF_MAX_SECONDS: DEFAULT_MAX_SECONDS,
    }

    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_MAX_DECODERS: 2, CONF_SILENCE_MS: 450, CONF_MAX_SECONDS: 12},
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {CONF_MAX_DECODERS: 2, CONF_SILENCE_MS: 450, CONF_MAX_SECONDS: 12}
    assert entry.state is ConfigEntryState.LOADED
    speech = entry.runtime_data.speech
    assert (speech.max_decoders, speech.silence_ms, speech.max_seconds) == (2, 450, 12)

    # The form opens again with the stored values.
    result = await hass.config_entries.options.async_init(entry.entry_id)
    defaults = {key.schema: key.default() for key in result["data_schema"].schema}
    assert defaults == {CONF_MAX_DECODERS: 2, CONF_SILENCE_MS: 450, CONF_MAX_SECONDS: 12}


@pytest.mark.parametrize(
    "bad_input",
    [
        {CONF_MAX_DECODERS: 0, CONF_SILENCE_MS: 300, CONF_MAX_SECONDS: 30},
        {CONF_MAX_DECODERS: 2, CONF_SILENCE_MS: 50, CONF_MAX_SECONDS: 30},
        {CONF_MAX_DECODERS: 2, CONF_SILENCE_MS: 300, CONF_MAX_SECONDS: 9999},
        {CONF_MAX_DECODERS: "many", CONF_SILENCE_MS: 300, CONF_MAX_SECONDS: 30},
    ],
)
async def test_options_flow_rejects_out_of_range_values(
    hass: HomeAssistant, init_integration: MockConfigEntry, bad_input: dict[str, object]
) -> None:
    """Values outside the allowed ranges are refused and nothing is stored."""
    entry = init_integration
    result = await hass.config_entries.options.async_init(entry.entry_id)

    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(result["flow_id"], bad_input)

    assert entry.options == {}
