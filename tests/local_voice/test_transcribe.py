"""The transcribe action: files, paths and errors, also hostile ones."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any, BinaryIO
from unittest.mock import patch

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
)

from custom_components.voice_guard.const import CONF_MODE, DOMAIN
from custom_components.voice_guard.local_voice import transcribe
from custom_components.voice_guard.local_voice.engine.base import RecognitionSettings

from ..fakes.adguard_home import FakeAdGuardHome
from ..guarded import call_action, filter_entry, setup_entry
from ..speech import stream, to_wav

# --- transcribe ----------------------------------------------------------------------------


async def test_transcribe_a_wav_file(
    hass: HomeAssistant, init_integration: MockConfigEntry, living_room_on: bytes, tmp_path: Path
) -> None:
    """A WAV file in an allowed folder becomes the engine's text of it."""
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    voicemail = tmp_path / "voicemail.wav"
    await hass.async_add_executor_job(voicemail.write_bytes, to_wav(living_room_on))
    settings = RecognitionSettings(language="ko", silence_ms=60_000, max_seconds=30)
    engine = init_integration.runtime_data.engine
    expected = (await engine.transcribe(stream(living_room_on), settings)).text

    response = await call_action(hass, "transcribe", {"file": str(voicemail)})

    assert response["text"] == expected
    assert response["audio_ms"] == pytest.approx(len(living_room_on) / 32, abs=1)

    hass.config.media_dirs = {"local": str(tmp_path)}
    response = await call_action(
        hass, "transcribe", {"media_content_id": "media-source://media_source/local/voicemail.wav"}
    )
    assert response["text"] == expected


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"file": "/etc/passwd"}, "path_not_allowed"),
        ({"file": "{tmp}/../outside.wav"}, "path_not_allowed"),
        ({"file": "{tmp}/missing.wav"}, "file_not_found"),
        ({"file": "{tmp}/noise.wav"}, "audio_bad_format"),
        # A language tag (the schema's check) the Korean engine does not recognise.
        ({"file": "{tmp}/noise.wav", "language": "de"}, "language_not_recognised"),
        ({"media_content_id": "media-source://radio_browser/abc"}, "media_not_local"),
        ({"media_content_id": "media-source://media_source/other/x.wav"}, "media_not_local"),
        ({}, "no_audio_source"),
    ],
)
async def test_transcribe_refuses_bad_input(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    tmp_path: Path,
    data: dict[str, str],
    key: str,
) -> None:
    """Each bad input ends in its translated validation error."""
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    hass.config.media_dirs = {"local": str(tmp_path)}
    await hass.async_add_executor_job((tmp_path / "noise.wav").write_bytes, b"RIFF1234WAVEjunk")
    data = {k: v.format(tmp=tmp_path) for k, v in data.items()}
    with pytest.raises(ServiceValidationError) as err:
        await call_action(hass, "transcribe", data)
    assert err.value.translation_key == key


async def test_transcribe_without_a_speech_engine(
    hass: HomeAssistant, adguard: FakeAdGuardHome
) -> None:
    """Without local speech-to-text the action says so."""
    await setup_entry(hass, filter_entry("adguard_home", adguard.url))
    with pytest.raises(HomeAssistantError) as err:
        await call_action(hass, "transcribe", {"file": "/tmp/x.wav"})  # noqa: S108
    assert err.value.translation_key == "no_speech_engine"


# --- transcribe: files that are no recording ----------------------------------------------


real_open_wav = transcribe._open_wav


class _Counting:
    """A file that counts the bytes read from it."""

    def __init__(self, file: BinaryIO) -> None:
        self._file = file
        self.read_bytes = 0

    def read(self, size: int) -> bytes:
        data = self._file.read(size)
        self.read_bytes += len(data)
        return data

    def close(self) -> None:
        self._file.close()


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
    opened: list[_Counting] = []

    def open_counting(path: Path) -> _Counting:
        opened.append(_Counting(real_open_wav(path)))
        return opened[-1]

    with patch.object(transcribe, "_open_wav", open_counting):
        with pytest.raises(ServiceValidationError) as err:
            await _transcribe(hass, {"file": str(huge)})
        assert err.value.translation_key == "audio_too_long"
        max_seconds = init_integration.runtime_data.speech.max_seconds
        assert err.value.translation_placeholders["max_seconds"] == str(max_seconds)
        with pytest.raises(ServiceValidationError) as err:
            await _transcribe(hass, {"file": str(headerless)})
        assert err.value.translation_key == "not_wav"
    # Read only as far as the limit (16 kHz, 16-bit: 32,000 bytes a second), never 2 GB.
    assert opened[0].read_bytes <= (max_seconds + 1) * 32_000 + 2 * transcribe.CHUNK
    assert len(opened) == 1  # the file without a WAV header is refused before reading
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
        await asyncio.wait_for(_transcribe(hass, {"file": str(fifo)}), timeout=120)  # a hang guard
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


async def test_phrases_only_mode_holds_no_open_vocabulary_model_between_transcriptions(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    living_room_on: bytes,
    tmp_path: Path,
) -> None:
    """Phrases only frees the open-vocabulary model; transcribe loads it and frees it after."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(mock_config_entry, options={CONF_MODE: "phrase"})
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    engine = mock_config_entry.runtime_data.engine

    def model() -> dict[str, Any]:
        info: dict[str, Any] = engine.diagnostics()["model"]
        return info

    assert model()["open_vocabulary_loaded"] is False
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    voicemail = tmp_path / "voicemail.wav"
    await hass.async_add_executor_job(voicemail.write_bytes, to_wav(living_room_on))

    response = await call_action(hass, "transcribe", {"file": str(voicemail)})

    assert response["text"]
    assert model()["open_vocabulary_loads_on_demand"] == 1
    assert model()["open_vocabulary_loaded"] is False
