"""The private Assist pipeline and the audit of pipelines that use cloud services."""

from __future__ import annotations

from datetime import timedelta

from homeassistant.components.assist_pipeline import async_get_pipelines
from homeassistant.components.assist_pipeline.pipeline import KEY_ASSIST_PIPELINE
from homeassistant.components.repairs import repairs_flow_manager
from homeassistant.components.tts import TextToSpeechEntity
from homeassistant.config_entries import ConfigEntry, ConfigFlow
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.loader import async_get_integration
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockModule,
    MockPlatform,
    async_fire_time_changed,
    mock_config_flow,
    mock_integration,
    mock_platform,
)

from custom_components.voice_guard.const import DOMAIN
from custom_components.voice_guard.local_voice.pipelines import PRIVATE_PIPELINE_NAME

STT = "stt.voice_guard_speech_to_text"


async def _fix(hass: HomeAssistant, issue_id: str) -> dict:
    manager = repairs_flow_manager(hass)
    assert manager is not None
    flow = await manager.async_init(DOMAIN, data={"issue_id": issue_id})
    assert flow["step_id"] == "confirm"
    return dict(await manager.async_configure(flow["flow_id"], {}))


def _private(hass: HomeAssistant) -> list:
    return [p for p in async_get_pipelines(hass) if p.name == PRIVATE_PIPELINE_NAME]


async def test_private_pipeline_is_created_once(
    hass: HomeAssistant, assist: None, mock_config_entry: MockConfigEntry
) -> None:
    """Set up twice (a restart): one private pipeline, all local; it can be made preferred."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    (pipeline,) = _private(hass)
    assert (pipeline.stt_engine, pipeline.stt_language) == (STT, "ko")
    assert pipeline.conversation_engine == "conversation.home_assistant"
    assert pipeline.tts_engine is None  # no local text-to-speech is set up
    assert mock_config_entry.runtime_data.private_pipeline_id == pipeline.id

    issue = ir.async_get(hass).async_get_issue(DOMAIN, "use_private_pipeline")
    assert issue is not None
    # The model speaks Korean, the test home English: the suggestion says so.
    assert issue.translation_key == "use_private_pipeline_other_language"
    # Language names, not codes: each in its own language (autonyms), in parentheses.
    assert issue.translation_placeholders["language"] == "한국어"
    assert issue.translation_placeholders["home_language"] == "English"
    result = await _fix(hass, "use_private_pipeline")
    assert result["type"] == "create_entry"
    store = hass.data[KEY_ASSIST_PIPELINE].pipeline_store
    assert store.async_get_preferred_item() == pipeline.id

    # The user deletes the pipeline: the next start creates it again.
    other = next(p for p in async_get_pipelines(hass) if p.id != pipeline.id)
    store.async_set_preferred_item(other.id)
    await store.async_delete_item(pipeline.id)
    await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert len(_private(hass)) == 1


async def test_cloud_pipelines_are_reported_and_fixed(
    hass: HomeAssistant, assist: None, mock_config_entry: MockConfigEntry
) -> None:
    """A pipeline using cloud services gets a repair; fixing it makes every stage local."""
    openai = MockConfigEntry(domain="openai_conversation", title="ChatGPT")
    openai.add_to_hass(hass)
    store = hass.data[KEY_ASSIST_PIPELINE].pipeline_store
    cloudy = await store.async_create_item(
        {
            "name": "Cloudy",
            "language": "ko",
            "conversation_engine": openai.entry_id,
            "conversation_language": "ko",
            "stt_engine": "cloud",
            "stt_language": "ko",
            "tts_engine": "google_translate",
            "tts_language": "ko",
            "tts_voice": None,
            "wake_word_entity": None,
            "wake_word_id": None,
        }
    )
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"cloud_pipeline_{cloudy.id}")
    assert issue is not None
    # Services by name, and the fix says that text-to-speech goes (no local one here).
    assert issue.translation_key == "cloud_pipeline_no_tts"
    openai_name = (await async_get_integration(hass, "openai_conversation")).name
    assert issue.translation_placeholders == {
        "pipeline": "Cloudy",
        "services": f"Home Assistant Cloud, {openai_name}, Google Translate text-to-speech",
        # Exactly what the fix changes, stage by stage.
        "changes": "speech-to-text: Home Assistant Cloud → Voice Guard; "
        f"conversation agent: {openai_name} → Home Assistant; "
        "text-to-speech: Google Translate text-to-speech → off",
    }
    report = await hass.services.async_call(
        DOMAIN, "privacy_report", {}, blocking=True, return_response=True
    )
    assert report["cloud_pipelines"][0]["summary"] == (
        f"Cloudy: voice leaves the home (Home Assistant Cloud, {openai_name}, "
        "Google Translate text-to-speech)."
    )
    sensor = hass.states.get("sensor.voice_guard_cloud_pipelines")
    assert sensor.state == "1"
    assert sensor.attributes["pipelines"] == {
        "Cloudy": ["stt: cloud", "conversation: openai_conversation", "tts: google_translate"]
    }

    result = await _fix(hass, f"cloud_pipeline_{cloudy.id}")
    assert result["type"] == "create_entry"
    fixed = next(p for p in async_get_pipelines(hass) if p.id == cloudy.id)
    assert (fixed.stt_engine, fixed.conversation_engine, fixed.tts_engine) == (
        STT,
        "conversation.home_assistant",
        None,
    )

    # The audit runs again when pipelines change.
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=2))
    await hass.async_block_till_done()
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"cloud_pipeline_{cloudy.id}") is None
    assert hass.states.get("sensor.voice_guard_cloud_pipelines").state == "0"


async def test_fixing_a_deleted_pipeline(
    hass: HomeAssistant, assist: None, mock_config_entry: MockConfigEntry
) -> None:
    """A pipeline deleted before its repair is confirmed: the repair explains."""
    store = hass.data[KEY_ASSIST_PIPELINE].pipeline_store
    cloudy = await store.async_create_item(
        {
            "name": "Cloudy",
            "language": "ko",
            "conversation_engine": "conversation.home_assistant",
            "conversation_language": "ko",
            "stt_engine": "cloud",
            "stt_language": "ko",
            "tts_engine": None,
            "tts_language": None,
            "tts_voice": None,
            "wake_word_entity": None,
            "wake_word_id": None,
        }
    )
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    manager = repairs_flow_manager(hass)
    assert manager is not None
    flow = await manager.async_init(DOMAIN, data={"issue_id": f"cloud_pipeline_{cloudy.id}"})
    await store.async_delete_item(cloudy.id)
    result = await manager.async_configure(flow["flow_id"], {})
    assert result["type"] == "abort"
    assert result["reason"] == "pipeline_not_fixable"


class LocalVoice(TextToSpeechEntity):
    """A local text-to-speech entity (as Piper would be)."""

    _attr_name = "Local voice"
    _attr_unique_id = "local-voice"
    _attr_supported_languages = ["ko", "en"]  # noqa: RUF012
    _attr_default_language = "ko"

    async def async_get_tts_audio(
        self, message: str, language: str, options: dict[str, object]
    ) -> tuple[str | None, bytes | None]:
        """Say nothing."""
        return None, None


async def test_private_pipeline_speaks_with_a_local_voice(
    hass: HomeAssistant, assist: None, mock_config_entry: MockConfigEntry
) -> None:
    """A local text-to-speech that speaks the language becomes the pipeline's voice."""
    assert await async_setup_component(hass, "tts", {})

    async def setup_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
        await hass.config_entries.async_forward_entry_setups(entry, [Platform.TTS])
        return True

    async def setup_tts(
        hass: HomeAssistant, entry: ConfigEntry, add: AddConfigEntryEntitiesCallback
    ) -> None:
        add([LocalVoice()])

    mock_integration(hass, MockModule("test_tts", async_setup_entry=setup_entry))
    mock_platform(hass, "test_tts.tts", MockPlatform(async_setup_entry=setup_tts))
    mock_platform(hass, "test_tts.config_flow", None)
    tts_entry = MockConfigEntry(domain="test_tts")
    tts_entry.add_to_hass(hass)
    with mock_config_flow("test_tts", TestFlow):
        assert await hass.config_entries.async_setup(tts_entry.entry_id)
        mock_config_entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
    (pipeline,) = _private(hass)
    assert pipeline.tts_engine == "tts.local_voice"
    assert pipeline.tts_language == "ko"


class TestFlow(ConfigFlow):
    """The test integration's (unused) config flow."""

    VERSION = 1
