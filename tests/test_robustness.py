"""Hostile and unlucky input: stalled clients, reloads mid-sentence, files that are no WAV.

Each case must end in a clear result (an error result, a translated error, a response
that says what happened) within a bound, never a hang, a dropped connection or a
traceback.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import json
import os
from pathlib import Path
import time
from typing import Any
from unittest.mock import patch

from homeassistant.components.assist_pipeline import PipelineEventType, PipelineStage
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.voice_guard.const import DEFAULT_MAX_DECODERS, DOMAIN
from custom_components.voice_guard.local_voice.engine.base import STALL_SECONDS

from .assist import ENTITY_ID, HEADERS, events_of, korean_pipeline, post_speech, run_pipeline
from .fakes.adguard_home import FakeAdGuardHome
from .speech import FRAME, to_wav
from .test_guard import KITCHEN_IP, _device, _setup, filter_entry, kitchen

# A good request behind stalled ones is answered within the stall limit plus its own
# decoding (about a second here): the bound the README states.
GOOD_REQUEST_BOUND = STALL_SECONDS + 5


class _RawClient:
    """An HTTP client on a real socket that can stop sending in the middle of its body."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def post_stt(cls, client: Any, token: str, first: bytes) -> _RawClient:
        """Start a chunked POST to the STT API and send only `first`."""
        url = client.make_url("/")
        reader, writer = await asyncio.open_connection(url.host, url.port)
        head = [
            f"POST /api/stt/{ENTITY_ID} HTTP/1.1",
            f"Host: {url.host}:{url.port}",
            f"Authorization: Bearer {token}",
            f"X-Speech-Content: {HEADERS['X-Speech-Content']}",
            "Transfer-Encoding: chunked",
            "",
            "",
        ]
        writer.write("\r\n".join(head).encode())
        if first:
            writer.write(f"{len(first):x}\r\n".encode() + first + b"\r\n")
        await writer.drain()
        return cls(reader, writer)

    async def response(self) -> tuple[int, dict[str, Any]]:
        """Read the status and JSON body the server answered with."""
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        status = int(lines[0].split()[1])
        length = next(
            int(line.split(":", 1)[1])
            for line in lines
            if line.lower().startswith("content-length")
        )
        body = await self.reader.readexactly(length)
        return status, json.loads(body)

    def close(self) -> None:
        self.writer.close()


async def test_stalled_clients_cannot_keep_good_requests_waiting(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    hass_access_token: str,
    kitchen_on: bytes,
    socket_enabled: None,
) -> None:
    """Clients that stop sending (socket open) end with an error result; others are served.

    As many stalled clients as there are decoders (the default) send 16 kB of speech and
    then nothing, and more send nothing at all; a good request is still answered within
    GOOD_REQUEST_BOUND seconds.
    """
    client = await hass_client()
    stalled = [
        await _RawClient.post_stt(client, hass_access_token, to_wav(kitchen_on)[:16_000])
        for _ in range(DEFAULT_MAX_DECODERS)
    ]
    silent = [await _RawClient.post_stt(client, hass_access_token, b"") for _ in range(2)]
    await asyncio.sleep(0.5)  # the stalled clients hold their decoders now

    started = time.monotonic()
    status, body = await asyncio.wait_for(
        post_speech(client, to_wav(kitchen_on)), timeout=GOOD_REQUEST_BOUND + 5
    )
    elapsed = time.monotonic() - started
    assert status == 200
    assert body["result"] == "success"
    assert body["text"]
    assert elapsed < GOOD_REQUEST_BOUND

    for raw in stalled + silent:
        status, result = await asyncio.wait_for(raw.response(), timeout=STALL_SECONDS + 5)
        raw.close()
        assert status == 200
        assert result == {"text": None, "result": "error"}


async def test_reload_during_a_recognition_answers_with_an_error(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    kitchen_on: bytes,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Reloading the entry mid-sentence gives that request an error result, not a dropped link."""
    client = await hass_client()
    speaking = asyncio.Event()

    async def microphone() -> AsyncIterator[bytes]:
        wav = to_wav(kitchen_on)
        yield wav[: FRAME * 10]
        speaking.set()
        while True:  # a speaker who goes on and on, in real time
            await asyncio.sleep(0.02)
            yield kitchen_on[:FRAME]

    request = asyncio.create_task(post_speech(client, microphone()))
    await speaking.wait()
    await asyncio.sleep(0.3)
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    status, body = await asyncio.wait_for(request, timeout=10)
    assert status == 200
    assert body == {"text": None, "result": "error"}
    assert "engine_closed" in caplog.text
    assert init_integration.state is ConfigEntryState.LOADED
    # The reloaded engine serves the next request.
    status, body = await post_speech(client, to_wav(kitchen_on))
    assert body["result"] == "success"


async def test_unload_during_a_pipeline_run_reports_speech_to_text_failed(
    hass: HomeAssistant, init_integration: MockConfigEntry, kitchen_on: bytes
) -> None:
    """Inside an Assist pipeline the run ends with Assist's own speech-to-text error."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "assist_pipeline", {})
    pipeline_id = await korean_pipeline(hass, "Private")
    speaking = asyncio.Event()

    async def microphone() -> AsyncIterator[bytes]:
        while True:
            for start in range(0, len(kitchen_on), FRAME):
                yield kitchen_on[start : start + FRAME]
                speaking.set()
                await asyncio.sleep(0.02)

    events: list[Any] = []
    run = asyncio.create_task(
        run_pipeline(hass, pipeline_id, microphone(), events, end_stage=PipelineStage.STT)
    )
    await speaking.wait()
    await asyncio.sleep(0.5)
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await asyncio.wait_for(run, timeout=10)
    assert not run.cancelled()
    errors = events_of(events, PipelineEventType.ERROR)
    assert len(errors) == 1, events
    assert errors[0].data["code"] == "stt-stream-failed"
    assert events_of(events, PipelineEventType.RUN_END)


# --- transcribe: files that are no recording ----------------------------------------------


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")  # pragma: no cover


async def _transcribe(hass: HomeAssistant, data: dict[str, Any]) -> Any:
    return await hass.services.async_call(
        DOMAIN, "transcribe", data, blocking=True, return_response=True
    )


async def test_a_huge_sparse_file_is_read_only_as_far_as_the_limit(
    hass: HomeAssistant, init_integration: MockConfigEntry, kitchen_on: bytes, tmp_path: Path
) -> None:
    """A 2 GB file costs a few MB of memory and answers fast: reading stops at the limit."""
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    warm = tmp_path / "warm.wav"
    huge = tmp_path / "huge.wav"
    headerless = tmp_path / "headerless.wav"

    def write() -> None:
        warm.write_bytes(to_wav(kitchen_on))
        with huge.open("wb") as file:  # a WAV header, then 2 GB of holes (zeros)
            file.write(to_wav(kitchen_on))
            file.truncate(2 * 1024**3)
        with headerless.open("wb") as file:
            file.truncate(2 * 1024**3)

    await hass.async_add_executor_job(write)
    await _transcribe(hass, {"file": str(warm)})  # the decoders' own memory, once
    before = await hass.async_add_executor_job(_rss_kib)
    started = time.monotonic()
    with pytest.raises(ServiceValidationError) as err:
        await _transcribe(hass, {"file": str(huge)})
    assert err.value.translation_key == "audio_not_recognised"
    assert err.value.translation_placeholders["reason"] == "too_long"
    with pytest.raises(ServiceValidationError) as err:
        await _transcribe(hass, {"file": str(headerless)})
    assert err.value.translation_key == "not_wav"
    assert time.monotonic() - started < 15
    grown_mib = (await hass.async_add_executor_job(_rss_kib) - before) / 1024
    assert grown_mib < 16


async def test_a_fifo_is_refused_at_once(
    hass: HomeAssistant, init_integration: MockConfigEntry, tmp_path: Path
) -> None:
    """A named pipe (nobody writing) is refused before it is opened: no hung thread."""
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    fifo = tmp_path / "pipe.wav"
    os.mkfifo(fifo)
    with pytest.raises(ServiceValidationError) as err:
        await asyncio.wait_for(_transcribe(hass, {"file": str(fifo)}), timeout=5)
    assert err.value.translation_key == "not_a_file"
    folder = tmp_path / "folder.wav"
    folder.mkdir()
    with pytest.raises(ServiceValidationError) as err:
        await _transcribe(hass, {"file": str(folder)})
    assert err.value.translation_key == "not_a_file"


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"file": "{tmp}/voice\x00mail.wav"}, "path_invalid"),
        ({"file": "{tmp}/voice\nmail.wav"}, "path_invalid"),
        ({"media_content_id": "media-source://media_source/local/a\x00.wav"}, "path_invalid"),
        ({"file": "{tmp}/text.wav"}, "not_wav"),
        ({"file": "{tmp}/empty.wav"}, "not_wav"),
        ({"file": "{tmp}/locked.wav"}, "file_unreadable"),
    ],
    ids=["nul", "newline", "media-nul", "text-named-wav", "empty", "unreadable"],
)
async def test_bad_paths_and_files_get_translated_errors(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    tmp_path: Path,
    data: dict[str, str],
    key: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A NUL byte, a text file named .wav, an empty or unreadable file: each its error."""
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    hass.config.media_dirs = {"local": str(tmp_path)}

    def write() -> None:
        (tmp_path / "text.wav").write_text("this is not audio, just text\n" * 100)
        (tmp_path / "empty.wav").write_bytes(b"")
        locked = tmp_path / "locked.wav"
        locked.write_bytes(b"RIFF")
        locked.chmod(0)

    await hass.async_add_executor_job(write)
    data = {k: v.format(tmp=tmp_path) for k, v in data.items()}
    real_open = os.open

    def refusing_open(path: Any, *args: Any, **kwargs: Any) -> int:
        # Root reads any file whatever its mode (CI runs as root): refuse as the kernel would.
        if str(path).endswith("locked.wav"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    with (
        patch("custom_components.voice_guard.local_voice.transcribe.os.open", refusing_open),
        pytest.raises(ServiceValidationError) as err,
    ):
        await _transcribe(hass, data)
    assert err.value.translation_key == key
    assert "Traceback" not in caplog.text


# --- actions while the filter is down -----------------------------------------------------


async def test_actions_store_the_change_while_the_filter_is_down(
    hass: HomeAssistant, adguard: FakeAdGuardHome
) -> None:
    """A translated error says the filter was not updated; the change is applied once back."""
    await _setup(hass, filter_entry("adguard_home", adguard.url, kitchen(blocks=["block_voice"])))
    device = _device(hass, "switch.kitchen_echo_block_cloud_voice")
    coordinator = hass.config_entries.async_entries(DOMAIN)[0].runtime_data

    async def call(service: str, data: dict[str, Any]) -> Any:
        return await hass.services.async_call(
            DOMAIN, service, {"device_id": device.id, **data}, blocking=True, return_response=True
        )

    adguard.fail_status = 503
    with pytest.raises(HomeAssistantError) as err:
        await call("apply_policy", {"block": ["block_voice", "block_telemetry"]})
    assert err.value.translation_key == "filter_not_updated"
    assert err.value.translation_placeholders == {"filter": "AdGuard Home (test)"}
    assert adguard.query(KITCHEN_IP, "unagi-na.amazon.com") == "NotFilteredNotFound"
    adguard.fail_status = None
    await coordinator.async_refresh()
    assert adguard.query(KITCHEN_IP, "unagi-na.amazon.com") == "FilteredBlackList"

    adguard.fail_status = 503
    with pytest.raises(HomeAssistantError) as err:
        await call("allow_cloud_temporarily", {"duration": {"minutes": 10}})
    assert err.value.translation_key == "filter_not_updated"
    assert adguard.query(KITCHEN_IP, "avs-alexa-na.amazon.com") == "FilteredBlackList"
    adguard.fail_status = None
    await coordinator.async_refresh()
    assert adguard.query(KITCHEN_IP, "avs-alexa-na.amazon.com") == "NotFilteredNotFound"

    response = await call("apply_policy", {"block": ["block_voice"]})
    assert response == {
        "devices": [],
        "block": ["block_voice"],
        "after_allowance": {"Kitchen Echo": response["after_allowance"]["Kitchen Echo"]},
    }


# --- Home Assistant 2026.12: one reload per change, no deprecated use ----------------------


@pytest.fixture
def setups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The entry ids Voice Guard's setup ran for, in order."""
    import custom_components.voice_guard as integration  # noqa: PLC0415

    calls: list[str] = []
    real = integration.async_setup_entry

    async def counting(hass: HomeAssistant, entry: Any) -> bool:
        calls.append(entry.entry_id)
        return await real(hass, entry)

    monkeypatch.setattr(integration, "async_setup_entry", counting)
    return calls


async def test_reauth_and_reconfigure_reload_the_entry_once(
    hass: HomeAssistant, adguard: FakeAdGuardHome, setups: list[str]
) -> None:
    """Each finished flow reloads once (the conftest fails on Home Assistant's warning)."""
    from homeassistant.config_entries import SOURCE_RECONFIGURE  # noqa: PLC0415
    from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_USERNAME  # noqa: PLC0415

    adguard.password = "changed"  # noqa: S105
    entry = await _setup(hass, filter_entry("adguard_home", adguard.url, kitchen()))
    assert entry.state is ConfigEntryState.SETUP_ERROR
    flow = hass.config_entries.flow.async_progress()[0]
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_USERNAME: "admin", CONF_PASSWORD: "changed"}
    )
    await hass.async_block_till_done()
    assert result["reason"] == "reauth_successful"
    assert entry.state is ConfigEntryState.LOADED
    assert setups == [entry.entry_id] * 2

    for password in ("", "changed"):  # unchanged data, then changed data: one reload each
        before = len(setups)
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
        )
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {CONF_URL: adguard.url, CONF_USERNAME: "admin", CONF_PASSWORD: password},
        )
        await hass.async_block_till_done()
        assert result["reason"] == "reconfigure_successful"
        assert len(setups) == before + 1
        assert entry.state is ConfigEntryState.LOADED
