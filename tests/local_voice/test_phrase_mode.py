"""Phrase mode in Home Assistant: the grammar follows the home, and a light obeys a voice."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from homeassistant.components import stt
from homeassistant.components.assist_pipeline import PipelineEventType, PipelineStage
from homeassistant.components.homeassistant.exposed_entities import async_expose_entity
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    area_registry as ar,
    entity_registry as er,
    floor_registry as fr,
    issue_registry as ir,
)
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_mock_service,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.voice_guard.const import CONF_MODE, DOMAIN
from custom_components.voice_guard.local_voice import phrase_mode
from custom_components.voice_guard.local_voice.engine.base import RecognitionSettings
from custom_components.voice_guard.local_voice.engine.vosk_engine import VoskEngine
from custom_components.voice_guard.local_voice.phrase_mode import (
    REBUILD_COOLDOWN,
    UNKNOWN_WORDS_ISSUE,
    PhraseManager,
    _load_intents,
)

from ..assist import ENTITY_ID, events_of, korean_pipeline, post_speech, speak_to_pipeline
from ..speech import speak, stream, to_wav

SENSOR = "sensor.voice_guard_phrases"
COMMAND = "부엌 조명 켜줘"  # "turn on the kitchen lights"
# espeak-ng's default Korean voice says 켜줘 so that its opposite, 꺼, is a close second:
# phrase mode rightly does not act on that (FLIP_MARGIN). This voice says it clearly.
VOICE = "ko+f3"


def _manager(entry: MockConfigEntry) -> PhraseManager:
    manager = entry.runtime_data.phrases
    assert isinstance(manager, PhraseManager)
    return manager


async def _after_cooldown(hass: HomeAssistant) -> None:
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=REBUILD_COOLDOWN + 1))
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_a_light_is_switched_on_by_voice_through_assist(
    hass: HomeAssistant, home: str, phrase_entry: MockConfigEntry, speech_dir: Path
) -> None:
    """Spoken "turn on the kitchen lights" runs through a pipeline and turns the lamp on."""
    assert await async_setup_component(hass, "conversation", {})
    assert await async_setup_component(hass, "intent", {})
    assert await async_setup_component(hass, "assist_pipeline", {})
    turned_on = async_mock_service(hass, "light", "turn_on")
    pcm = speak(COMMAND, speech_dir, VOICE)
    # Open vocabulary alone gets this command wrong.
    open_vocabulary = RecognitionSettings(language="ko", silence_ms=300, max_seconds=30)
    heard = await phrase_entry.runtime_data.engine.transcribe(stream(pcm), open_vocabulary)
    assert heard.text != COMMAND
    pipeline_id = await korean_pipeline(hass, "Korean")
    events = await speak_to_pipeline(
        hass,
        pipeline_id,
        pcm,
        end_stage=PipelineStage.INTENT,
        silence_after_ms=1500,
    )
    await hass.async_block_till_done()

    stt_end = events_of(events, PipelineEventType.STT_END)
    assert stt_end[0].data["stt_output"]["text"] == COMMAND
    assert [call.data["entity_id"] for call in turned_on] == [[home]]


async def test_the_grammar_follows_names_aliases_areas_and_exposure(
    hass: HomeAssistant, home: str, phrase_entry: MockConfigEntry
) -> None:
    """Changes reach the grammar a moment later, without a restart; others cost nothing."""
    manager = _manager(phrase_entry)
    built = manager.phrase_set
    assert built is not None
    assert {"스탠드", "부엌", "거실"} <= built.vocabulary
    assert "guard" not in built.vocabulary  # not the names of Voice Guard's own entities
    assert manager.phrases_for("ko-KR") is built
    assert manager.phrases_for("en") is None  # another language: open vocabulary
    builds = manager.builds
    sensor = hass.states.get(SENSOR)
    assert sensor is not None
    assert int(sensor.state) == built.summary()["phrases"]
    assert sensor.attributes["vocabulary"] == len(built.vocabulary)

    er.async_get(hass).async_update_entity(home, aliases={"램프"})
    ar.async_get(hass).async_create("서재", aliases={"작은방"})
    floor = fr.async_get(hass).async_create("이층")
    await _after_cooldown(hass)

    built = manager.phrase_set
    assert built is not None
    assert {"램프", "서재", "작은방"} <= built.vocabulary
    assert built.match("서재 조명 켜줘") == "서재 조명 켜줘"
    assert manager.builds == builds + 1  # one build for the burst of changes
    assert int(hass.states.get(SENSOR).state) == built.summary()["phrases"]  # type: ignore[union-attr]

    # A change that does not alter what can be said rebuilds nothing.
    fr.async_get(hass).async_update(floor.floor_id, level=2)
    await _after_cooldown(hass)
    assert manager.builds == builds + 1

    # An entity hidden from Assist leaves the grammar.
    async_expose_entity(hass, "conversation", home, should_expose=False)
    await _after_cooldown(hass)
    built = manager.phrase_set
    assert built is not None
    assert "스탠드" not in built.vocabulary
    assert "램프" not in built.vocabulary


async def test_names_the_model_cannot_say_raise_a_repair(
    hass: HomeAssistant, home: str, phrase_entry: MockConfigEntry
) -> None:
    """An entity name of unknown words is listed with its entity, until it is renamed."""
    registry = er.async_get(hass)
    hass.states.async_set(home, "off", {"friendly_name": "전등"})  # the model lacks 전등
    registry.async_update_entity(home, name="전등")
    await _after_cooldown(hass)

    issue = ir.async_get(hass).async_get_issue(DOMAIN, UNKNOWN_WORDS_ISSUE)
    assert issue is not None
    assert issue.translation_placeholders == {"count": "1", "words": f"- 전등: {home}"}
    manager = _manager(phrase_entry)
    assert manager.diagnostics()["unknown_words"] == {"전등": (home,)}
    assert manager.phrase_set is not None
    assert all("전등" not in phrase for phrase in manager.phrase_set.vosk_grammar)

    # The user follows the advice: an alias of known words is recognised.
    registry.async_update_entity(home, aliases={"스탠드"})
    await _after_cooldown(hass)
    assert "스탠드" in manager.phrase_set.vocabulary
    assert ir.async_get(hass).async_get_issue(DOMAIN, UNKNOWN_WORDS_ISSUE) is not None

    hass.states.async_set(home, "off", {"friendly_name": "램프"})
    registry.async_update_entity(home, name="램프")
    await _after_cooldown(hass)
    assert ir.async_get(hass).async_get_issue(DOMAIN, UNKNOWN_WORDS_ISSUE) is None


async def test_custom_sentences_join_on_reload_and_broken_files_are_reported(
    hass: HomeAssistant,
    home: str,
    phrase_entry: MockConfigEntry,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A custom sentence file counts after conversation.reload; a broken one is named."""
    assert await async_setup_component(hass, "conversation", {})
    hass.config.config_dir = str(tmp_path)
    (tmp_path / "configuration.yaml").write_text("", encoding="utf-8")
    folder = tmp_path / "custom_sentences" / "ko"

    def write(name: str, text: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")

    await hass.async_add_executor_job(
        write,
        "lamp.yaml",
        'language: "ko"\nintents:\n  HassTurnOn:\n    data:\n'
        '      - sentences:\n          - "{name} 작동 시작"\n',
    )
    await hass.services.async_call("conversation", "reload", blocking=True)
    await _after_cooldown(hass)
    manager = _manager(phrase_entry)
    assert manager.phrase_set is not None
    assert manager.phrase_set.match("스탠드 작동 시작") == "스탠드 작동 시작"

    # A file that is no YAML, and one that is no sentence file, are left out and named.
    await hass.async_add_executor_job(write, "broken.yaml", "intents: [unclosed\n")
    await hass.async_add_executor_job(write, "list.yaml", "- just a list\n")
    ar.async_get(hass).async_create("서재")
    await _after_cooldown(hass)
    assert manager.phrase_set.match("스탠드 작동 시작") == "스탠드 작동 시작"
    assert manager.diagnostics()["custom_sentence_files_refused"] == ["broken.yaml", "list.yaml"]
    assert "broken.yaml cannot be read" in caplog.text
    assert "list.yaml are not in the expected format" in caplog.text
    assert "Traceback" not in caplog.text


async def test_open_vocabulary_mode_builds_nothing(
    hass: HomeAssistant, home: str, mock_config_entry: MockConfigEntry
) -> None:
    """In open-vocabulary mode there is no phrase set and no phrase sensor."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(mock_config_entry, options={CONF_MODE: "open"})
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.runtime_data.phrases is None
    assert hass.states.get(SENSOR) is None


async def test_switching_to_open_vocabulary_removes_the_phrase_sensor(
    hass: HomeAssistant, home: str, phrase_entry: MockConfigEntry
) -> None:
    """The phrase sensor goes away with phrase mode (not "unavailable"), and comes back."""
    registry = er.async_get(hass)
    assert hass.states.get(SENSOR) is not None
    result = await hass.config_entries.options.async_init(phrase_entry.entry_id)
    defaults = {key.schema: key.default() for key in result["data_schema"].schema}
    await hass.config_entries.options.async_configure(
        result["flow_id"], {**defaults, CONF_MODE: "open"}
    )
    await hass.async_block_till_done()
    assert hass.states.get(SENSOR) is None
    assert registry.async_get(SENSOR) is None
    result = await hass.config_entries.options.async_init(phrase_entry.entry_id)
    await hass.config_entries.options.async_configure(
        result["flow_id"], {**defaults, CONF_MODE: "hybrid"}
    )
    await hass.async_block_till_done()
    assert hass.states.get(SENSOR) is not None


async def test_stt_entity_uses_the_phrase_set(
    hass: HomeAssistant,
    home: str,
    phrase_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    speech_dir: Path,
) -> None:
    """The speech-to-text API answers with the command in hybrid mode."""
    status, body = await post_speech(await hass_client(), to_wav(speak(COMMAND, speech_dir, VOICE)))
    assert status == 200
    assert body == {"result": "success", "text": COMMAND}
    assert stt.async_get_speech_to_text_entity(hass, ENTITY_ID) is not None


def test_curated_speech_to_phrase_sentences_are_preferred() -> None:
    """German has a curated closed-vocabulary set (in newer intents packages); Korean not."""
    import home_assistant_intents as hai  # noqa: PLC0415

    templates, full = _load_intents("ko-KR")
    assert templates is full
    assert full is not None
    assert full["language"] == "ko"
    templates, full = _load_intents("de-DE")
    assert full is not None
    if hasattr(hai, "get_speech_to_phrase_intents"):
        assert templates == hai.get_speech_to_phrase_intents("de")
        assert templates is not full
    else:
        assert templates is full
    assert _load_intents("xx") == (None, None)


async def test_a_language_without_templates_still_gets_custom_sentences(
    hass: HomeAssistant, home: str, tmp_path: Path
) -> None:
    """No intents for the language: the grammar holds the user's own sentences only."""
    hass.config.config_dir = str(tmp_path)
    folder = tmp_path / "custom_sentences" / "xx"
    folder.mkdir(parents=True)
    (folder / "own.yaml").write_text(
        'language: "xx"\nintents:\n  HassTurnOn:\n    data:\n'
        '      - sentences:\n          - "{name} go"\n',
        encoding="utf-8",
    )
    manager = PhraseManager(hass, "xx", None)
    await manager.async_start()
    assert manager.phrase_set is not None
    assert manager.phrase_set.match("스탠드 go") == "스탠드 go"
    manager.async_stop()


async def test_a_failed_build_keeps_the_last_phrase_set(
    hass: HomeAssistant,
    home: str,
    phrase_entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A build that fails is logged; recognition goes on with the previous phrase set."""
    manager = _manager(phrase_entry)
    before = manager.phrase_set

    def broken(*_args: object, **_kwargs: object) -> None:
        raise ValueError("a template hassil cannot read")

    monkeypatch.setattr(phrase_mode, "build_phrase_set", broken)
    ar.async_get(hass).async_create("서재")
    await _after_cooldown(hass)
    assert manager.phrase_set is before
    assert "The phrase set could not be built" in caplog.text


async def test_a_long_list_of_unknown_words_is_shortened(
    hass: HomeAssistant, home: str, phrase_entry: MockConfigEntry
) -> None:
    """The repair lists 20 words and counts the rest."""
    registry = er.async_get(hass)
    for number in range(25):
        entry = registry.async_get_or_create("switch", "test", f"s{number}")
        hass.states.async_set(entry.entity_id, "off", {"friendly_name": f"qz{number}x"})
    registry.async_update_entity(home, aliases={"램프"})
    await _after_cooldown(hass)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, UNKNOWN_WORDS_ISSUE)
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["count"] == "25"
    assert issue.translation_placeholders["words"].endswith("- … (+5)")


def test_a_stored_mode_that_is_no_mode_falls_back_to_hybrid() -> None:
    """Options edited by hand (or by an older version) cannot switch phrase mode off."""
    from custom_components.voice_guard.local_voice.data import SpeechSettings  # noqa: PLC0415

    assert SpeechSettings.from_options({CONF_MODE: "phrases"}).mode == "hybrid"
    assert SpeechSettings.from_options({CONF_MODE: None}).mode == "hybrid"
    assert SpeechSettings.from_options({CONF_MODE: "open"}).mode == "open"
    # A strictness that is none of the levels is the default one.
    for stored in ("lenient", None, 0.5):
        assert SpeechSettings.from_options({"strictness": stored}).strictness == "balanced"
    assert SpeechSettings.from_options({"strictness": "strict"}).strictness == "strict"


OWN_COMMAND = "부엌에 있는 스탠드 켜줘"  # a sentence of the home's own, ko+f3 below


async def _own_sentences(hass: HomeAssistant, tmp_path: Path) -> None:
    hass.config.config_dir = str(tmp_path)
    (tmp_path / "configuration.yaml").write_text("", encoding="utf-8")
    folder = tmp_path / "custom_sentences" / "ko"
    folder.mkdir(parents=True)
    (folder / "where.yaml").write_text(
        'language: "ko"\nintents:\n  HassTurnOn:\n    data:\n'
        '      - sentences:\n          - "{area}에 있는 {name} 켜줘"\n',
        encoding="utf-8",
    )


@pytest.mark.parametrize("mode", ["phrase", "hybrid"])
async def test_hybrid_never_loses_a_command_phrase_mode_finds(
    hass: HomeAssistant,
    home: str,
    mock_config_entry: MockConfigEntry,
    tmp_path: Path,
    speech_dir: Path,
    mode: str,
) -> None:
    """The regression of 47bc4a6: through a real pipeline, four times, in both modes.

    Home Assistant 2026's pipeline hands over slightly different audio each run; with
    Vosk's runtime grammar hybrid mode turned some runs into open-vocabulary text.
    """
    await _own_sentences(hass, tmp_path)
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(mock_config_entry, options={CONF_MODE: mode})
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.runtime_data.engine.diagnostics()["exact_grammar"]["in_use"]
    for component in ("conversation", "intent", "assist_pipeline"):
        assert await async_setup_component(hass, component, {})
    pipeline_id = await korean_pipeline(hass, "Korean")
    pcm = speak(OWN_COMMAND, speech_dir, "ko+f3")
    heard = []
    for _ in range(4):
        events = await speak_to_pipeline(
            hass, pipeline_id, pcm, end_stage=PipelineStage.STT, silence_after_ms=1500
        )
        stt_end = events_of(events, PipelineEventType.STT_END)
        heard.append(stt_end[0].data["stt_output"]["text"] if stt_end else None)
    assert heard == [OWN_COMMAND] * 4


async def test_a_reload_frees_the_home_grammar(
    hass: HomeAssistant, home: str, phrase_entry: MockConfigEntry
) -> None:
    """The home's grammar folder is rebuilt with the home, one at a time, gone on unload."""
    engine = phrase_entry.runtime_data.engine
    assert isinstance(engine, VoskEngine)
    root = engine.grammar_root
    assert root is not None
    first = engine.diagnostics()["exact_grammar"]["in_use"]
    assert first is not None
    assert len(list(root.iterdir())) == 1
    ar.async_get(hass).async_create("서재")
    await _after_cooldown(hass)
    assert engine.diagnostics()["exact_grammar"]["in_use"]["arcs"] > first["arcs"]
    assert len(list(root.iterdir())) == 1  # the old one went once unused
    assert await hass.config_entries.async_reload(phrase_entry.entry_id)
    await hass.async_block_till_done()
    assert engine.closed
    assert engine._home is None
    assert len(list(root.iterdir())) == 1  # the reloaded entry's own
    assert await hass.config_entries.async_unload(phrase_entry.entry_id)
    assert list(root.iterdir()) == []
