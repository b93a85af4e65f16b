"""Every entry says what it is: ignored discoveries are never taken for the speech entry."""

from __future__ import annotations

from pathlib import Path

from homeassistant.config_entries import SOURCE_DHCP, SOURCE_IGNORE, SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.voice_guard.const import (
    CONF_ENGINE,
    CONF_KIND,
    CONF_LANGUAGE,
    CONF_MODEL_NAME,
    CONF_MODEL_PATH,
    CONF_SILENCE_MS,
    DOMAIN,
    ENGINE_EMBEDDED,
    KIND_SPEECH,
)
from custom_components.voice_guard.local_voice.data import loaded_speech_entry

from .speech import MODEL_PATH, to_wav


def _ignored(unique_id: str) -> MockConfigEntry:
    """What Home Assistant stores when the user ignores a discovery: empty data."""
    return MockConfigEntry(domain=DOMAIN, source=SOURCE_IGNORE, unique_id=unique_id, data={})


async def _transcribe(hass: HomeAssistant, audio: bytes, folder: Path) -> str:
    hass.config.allowlist_external_dirs = {str(folder)}
    path = folder / "say.wav"
    await hass.async_add_executor_job(path.write_bytes, to_wav(audio))
    response = await hass.services.async_call(
        DOMAIN, "transcribe", {"file": str(path)}, blocking=True, return_response=True
    )
    assert response is not None
    return str(response["text"])


@pytest.mark.parametrize("ignored_first", [True, False])
@pytest.mark.usefixtures("assist")
async def test_an_ignored_discovery_is_never_the_speech_entry(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    living_room_on: bytes,
    tmp_path: Path,
    ignored_first: bool,
) -> None:
    """Created before or after the speech entry: transcribe, repairs and pipelines still work."""
    ignored = _ignored("f0:27:2d:11:22:33")  # an ignored DHCP discovery of an Echo
    if ignored_first:
        ignored.add_to_hass(hass)
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    if not ignored_first:
        ignored.add_to_hass(hass)

    assert loaded_speech_entry(hass) is mock_config_entry
    assert await _transcribe(hass, living_room_on, tmp_path)
    assert mock_config_entry.runtime_data.private_pipeline_id is not None
    repair = ir.async_get(hass).async_get_issue(DOMAIN, "use_private_pipeline")
    assert repair is not None

    # A second speech entry is still refused, the ignored entry does not count as one.
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": ENGINE_EMBEDDED}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "speech_already_configured"

    # Removing the ignored entry touches nothing else.
    await hass.config_entries.async_remove(ignored.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert ir.async_get(hass).async_get_issue(DOMAIN, "use_private_pipeline") is not None
    assert await _transcribe(hass, living_room_on, tmp_path)


async def test_a_speech_entry_without_a_model_keeps_its_repair_when_an_ignored_one_goes(
    hass: HomeAssistant, entry_without_model: MockConfigEntry
) -> None:
    ignored = _ignored("zeroconf-adguard")
    ignored.add_to_hass(hass)
    await hass.config_entries.async_remove(ignored.entry_id)
    assert ir.async_get(hass).async_get_issue(DOMAIN, "model_unavailable") is not None


async def test_a_speech_entry_of_version_1_1_is_migrated(hass: HomeAssistant) -> None:
    """Entries from before 1.2 did not record their kind: the speech entry gets it."""
    old = MockConfigEntry(
        domain=DOMAIN,
        unique_id=DOMAIN,
        version=1,
        minor_version=1,
        data={CONF_ENGINE: ENGINE_EMBEDDED, CONF_MODEL_PATH: str(MODEL_PATH), CONF_LANGUAGE: "ko"},
    )
    old.add_to_hass(hass)
    assert await hass.config_entries.async_setup(old.entry_id)
    await hass.async_block_till_done()
    assert old.state is ConfigEntryState.LOADED
    assert (old.minor_version, old.data[CONF_KIND]) == (3, KIND_SPEECH)


async def test_an_entry_of_an_unknown_kind_or_version_is_not_set_up(hass: HomeAssistant) -> None:
    newer = MockConfigEntry(domain=DOMAIN, version=2, data={CONF_KIND: KIND_SPEECH})
    unknown = MockConfigEntry(
        domain=DOMAIN, source=SOURCE_DHCP, minor_version=3, data={CONF_KIND: "camera_guard"}
    )
    for entry in (newer, unknown):
        entry.add_to_hass(hass)
        await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    assert newer.state is ConfigEntryState.MIGRATION_ERROR
    assert unknown.state is ConfigEntryState.SETUP_ERROR
    assert unknown.reason is not None
    assert loaded_speech_entry(hass) is None


async def test_a_model_chosen_in_the_options_moves_to_the_data(hass: HomeAssistant) -> None:
    """1.2 -> 1.3: the model lived in data and options; now in data only."""
    old = MockConfigEntry(
        domain=DOMAIN,
        unique_id=DOMAIN,
        version=1,
        minor_version=2,
        data={
            CONF_KIND: KIND_SPEECH,
            CONF_ENGINE: ENGINE_EMBEDDED,
            CONF_MODEL_PATH: "/gone/vosk-model-small-ko-0.22",
            CONF_MODEL_NAME: "vosk-model-small-ko-0.22",
            CONF_LANGUAGE: "en",
        },
        options={CONF_MODEL_PATH: str(MODEL_PATH), CONF_LANGUAGE: "ko", CONF_SILENCE_MS: 450},
    )
    old.add_to_hass(hass)
    assert await hass.config_entries.async_setup(old.entry_id)
    await hass.async_block_till_done()
    assert old.state is ConfigEntryState.LOADED
    assert old.minor_version == 3
    assert old.data[CONF_MODEL_PATH] == str(MODEL_PATH)
    assert old.data[CONF_LANGUAGE] == "ko"
    assert CONF_MODEL_NAME not in old.data  # no longer the catalog model it was
    assert old.options == {CONF_SILENCE_MS: 450}
